"""semantic/fresh.py and semantic/mutation.py on their own: what is a new object, and what a
use of a name does to the object it refers to."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint.engine import lint_source
from memlint.rule import Rule
from memlint.semantic import mutation as M
from memlint.semantic.fresh import copy_call, fresh_origin

PRELUDE = "import copy\nimport numpy as np\nimport pandas as pd\nimport torch\n"


def _effects(body: str, kind: str = "dataframe", name: str = "y"):
    """The effect of every use of `name` in `def f(p):` + body, in source order (no binds)."""
    found = []

    class Probe(Rule):
        code = "MEM999"
        needs = frozenset({"uses"})

        def leave_FunctionDef(self, node):
            scope = self.ctx.semantic.scope
            for u in scope.uses.get(name, []):
                e = M.effect(u, scope, self.ctx.semantic, kind)
                if e != M.BIND:
                    found.append(e)

    source = PRELUDE + "def f(p):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    result = lint_source(source, "t.py", [Probe])
    assert result.status in ("ok", "skipped"), result.diagnostics
    return found


@pytest.mark.parametrize("body,expected", [
    ("y = g()\nprint(len(y), y.shape[0])\n", [M.READ, M.READ]),
    ("y = g()\nn = y.shape[0]\n", [M.READ]),
    ("y = g()\ncols = y.columns\n", [M.ESCAPE]),
    ("y = g()\nfor c in y.columns:\n    print(c)\n", [M.READ]),
    ("y = g()\ny['a'] = 1\n", [M.MUTATE]),
    ("y = g()\ny.loc[y.a > 0, 'b'] = 1\n", [M.MUTATE, M.READ]),
    ("y = g()\ny.index.name = 'id'\n", [M.MUTATE]),
    ("y = g()\ny.columns = ['a']\n", [M.MUTATE]),
    ("y = g()\ny += 1\n", [M.MUTATE]),
    ("y = g()\ny.fillna(0, inplace=True)\n", [M.MUTATE]),
    ("y = g()\ny['a'].fillna(0, inplace=True)\n", [M.MUTATE]),
    ("y = g()\ny.values.sort()\n", [M.MUTATE]),
    ("y = g()\ny.add_(1)\n", [M.MUTATE]),
    ("y = g()\ny.insert(0, 'a', 1)\n", [M.MUTATE]),
    ("y = g()\ndel y['a']\n", [M.MUTATE]),
    ("y = g()\ndel y\n", [M.DELETE]),
    ("y = g()\nz = y\n", [M.ESCAPE]),
    ("y = g()\nv = y.values\n", [M.ESCAPE]),
    ("y = g()\nh = y.head()\n", [M.ESCAPE]),
    ("y = g()\nt = y.dropna()\n", [M.READ]),
    ("y = g()\nt = y[y.a > 0]\n", [M.READ, M.READ]),
    ("y = g()\nt = y[['a', 'b']]\n", [M.READ]),
    ("y = g()\nt = y['a']\n", [M.ESCAPE]),
    ("y = g()\nm = y.mean()\n", [M.READ]),
    ("y = g()\ns = y.copy(deep=False)\n", [M.ESCAPE]),
    ("y = g()\nfit(y)\n", [M.CALL]),
    ("y = g()\nmodel.fit(y['a'])\n", [M.CALL]),
    ("y = g()\nprint(y)\n", [M.READ]),
    ("y = g()\nnp.add(y, 1, out=y)\n", [M.CALL, M.CALL]),
    ("y = g()\nx = np.concatenate([y, y])\n", [M.READ, M.READ]),
    ("y = g()\nitems = [y]\n", [M.ESCAPE]),
    ("y = g()\nreturn y\n", [M.ESCAPE]),
    ("y = g()\nreturn y.shape\n", [M.READ]),
    ("y = g()\nyield y\n", [M.ESCAPE]),
    ("y = g()\nh = lambda: y\n", [M.ESCAPE]),
    ("y = g()\ndef inner():\n    return y.sum()\n", [M.ESCAPE]),
    ("y = g()\ntotals = [y[c].sum() for c in cols]\n", [M.READ]),
    ("y = g()\nparts = [y[c] for c in cols]\n", [M.ESCAPE]),
    ("y = g()\nif y.empty or y is None:\n    pass\n", [M.READ, M.READ]),
    ("y = g()\nz = y or other\n", [M.ESCAPE]),
    ("y = g()\n(y or other).append(1)\n", [M.MUTATE]),
    ("y = g()\nprint(f'{y}')\n", [M.READ]),
    ("y = g()\ny.apply(fn)\n", [M.CALL]),
    ("y = g()\ny.agg('mean')\n", [M.READ]),
    ("y = g()\ny.assign(c=lambda d: d.a)\n", [M.CALL]),
    ("y = g()\ny.pipe(fn)\n", [M.CALL]),
    ("y = g()\nself.data = y\n", [M.ESCAPE]),
    ("y = g()\ncache[k] = y\n", [M.ESCAPE]),
    ("y = g()\nz[y] = 1\n", [M.READ]),
    ("y = g()\nz += y\n", [M.READ]),
    ("y = g()\nwith y:\n    pass\n", [M.CALL]),
    ("y = g()\na, y[0] = 1, 2\n", [M.MUTATE]),
    ("y = g()\ny.geo.set_crs('EPSG:4326')\n", [M.CALL]),
    ("y = g()\ny.plot.bar()\n", [M.READ]),
    ("y = g()\nn = y['a'].str.len().max()\n", [M.READ]),
    ("y = g()\ny['a'].cat.set_categories(c, inplace=True)\n", [M.MUTATE]),
])
def test_effect_on_frames(body, expected):
    assert _effects(body) == expected


@pytest.mark.parametrize("body,kind,expected", [
    ("y = g()\nfor row in y:\n    row[0] = 1\n", "ndarray", [M.ESCAPE]),
    ("y = g()\nfor c in y:\n    print(c)\n", "dataframe", [M.READ]),
    ("y = g()\nfor v in y:\n    print(v)\n", "list", [M.READ]),
    ("y = g()\ny.append(1)\n", "list", [M.MUTATE]),
    ("y = g()\nn = y.count(1)\n", "list", [M.READ]),
    ("y = g()\ny.frobnicate()\n", "object", [M.CALL]),
    ("y = g()\ny.fill(0)\n", "ndarray", [M.MUTATE]),
    ("y = g()\nz = y.reshape(-1)\n", "ndarray", [M.ESCAPE]),
    ("y = g()\nz = y.astype(np.float32)\n", "ndarray", [M.READ]),
    ("y = g()\nz = y.astype(np.float32, copy=False)\n", "ndarray", [M.ESCAPE]),
    ("y = g()\ny.sort_values('a', key=fn)\n", "dataframe", [M.CALL]),
])
def test_effect_by_kind(body, kind, expected):
    assert _effects(body, kind) == expected


def _fresh(expr: str, deep: bool = False, setup: str = ""):
    out = []

    class Probe(Rule):
        code = "MEM998"

        def leave_Expr(self, node):
            if self.ctx.semantic.scope.kind == "module":
                out.append(fresh_origin(self.ctx.semantic, node.value, deep=deep))

    source = PRELUDE + setup + expr + "\n"
    lint_source(source, "t.py", [Probe])
    got = out[-1]
    return None if got is None else got.origin


@pytest.mark.parametrize("expr,origin", [
    ("pd.read_csv(p)", "pd.read_csv()"),
    ("np.zeros(3)", "np.zeros()"),
    ("[1, 2]", "a list literal"),
    ("{'a': 1}", "a dict literal"),
    ("dict(a=1)", "dict()"),
    ("pd.DataFrame({'a': [1]})", "pd.DataFrame()"),
    ("pd.DataFrame()", "pd.DataFrame()"),
    ("pd.DataFrame(np.zeros((2, 2)))", "pd.DataFrame()"),
    ("pd.DataFrame(arr)", None),
    ("pd.DataFrame(arr, copy=True)", "pd.DataFrame()"),
    ("pd.DataFrame({'a': [1]}, copy=False)", None),
    ("pd.Series(values)", None),
    ("np.asarray(x)", None),
    ("np.array(x)", "np.array()"),
    ("np.array(x, copy=False)", None),
    ("np.frombuffer(b)", None),
    ("np.load(p)", "np.load()"),
    ("np.load(p, mmap_mode='r')", None),
    ("np.load(p, mmap_mode=None)", "np.load()"),
    ("torch.from_numpy(a)", None),
    ("torch.zeros(3)", "torch.zeros()"),
    ("x.copy().copy()", "another .copy()"),
    ("x.copy(deep=False)", None),
    ("df[df.a > 0]", None),
    ("df", None),
    ("g(x)", None),
])
def test_fresh_origin(expr, origin):
    assert _fresh(expr) == origin


@pytest.mark.parametrize("expr,origin", [
    ("df.merge(o)", "DataFrame.merge()"),
    ("df.sort_values('a')", "DataFrame.sort_values()"),
    ("df.groupby('k').sum()", "groupby().sum()"),
    ("df.groupby('k')['v'].agg('mean')", "groupby().agg()"),
    ("df['a'].map(m)", ".map()"),
    ("df.dropna()", None),
    ("df.drop_duplicates()", None),
    ("df.query('a > 0')", None),
    ("df.head()", None),
    ("df.to_numpy()", None),
    ("df.astype('int8', copy=False)", None),
    ("df.rename(columns=m, inplace=True)", None),
    ("df.loc[df.a > 0]", None),
    ("df.values", None),
    ("df * 2", "an arithmetic expression"),
])
def test_fresh_methods_of_a_known_frame(expr, origin):
    assert _fresh(expr, setup="df = pd.read_csv(p)\n") == origin


@pytest.mark.parametrize("expr,origin", [
    ("a.reshape(4, 4)", None),
    ("a.ravel()", None),
    ("a.T", None),
    ("a[1:]", None),
    ("a.astype(np.float32)", "ndarray.astype()"),
    ("a.flatten()", "ndarray.flatten()"),
])
def test_fresh_methods_of_a_known_array(expr, origin):
    assert _fresh(expr, setup="a = np.zeros(16)\n") == origin


def test_sparse_conversions_may_return_the_same_matrix():
    setup = "import scipy.sparse as sp\nm = sp.random(10, 10)\n"
    assert _fresh("m.tocsr()", setup=setup) is None
    assert _fresh("m.toarray()", setup=setup) == "sparse matrix.toarray()"
    assert _fresh("sp.csr_matrix(m)", setup=setup) is None
    assert _fresh("sp.csr_matrix(m, copy=True)", setup=setup) == "scipy.sparse.csr_matrix()"


@pytest.mark.parametrize("expr,deep_origin", [
    ("{'a': 1, 'b': [1, 2]}", "a dict literal"),
    ("dict(a=1, b=(1, 2))", "dict()"),
    ("[x, y]", None),
    ("list(rows)", None),
    ("x.copy()", None),
    ("np.zeros(3)", "np.zeros()"),
    ("copy.deepcopy(x)", "copy.deepcopy()"),
    ("copy.copy(x)", None),
])
def test_deep_freshness(expr, deep_origin):
    assert _fresh(expr, deep=True) == deep_origin


@pytest.mark.parametrize("expr,expected", [
    ("x.copy()", ".copy()"),
    ("x.copy(deep=True)", ".copy()"),
    ("x.copy(deep=False)", None),
    ("x.copy(order='F')", None),
    ("copy.copy(x)", "copy.copy()"),
    ("copy.deepcopy(x)", "copy.deepcopy()"),
    ("copy.deepcopy(x, memo)", None),
    ("np.copy(x)", "np.copy()"),
    ("np.copy(x, order='F')", None),
    ("x.clone()", None),
    ("x.copy(*a)", None),
])
def test_copy_call(expr, expected):
    out = []

    class Probe(Rule):
        code = "MEM997"

        def leave_Expr(self, node):
            found = copy_call(self.ctx.semantic, node.value)
            out.append(found[1] if found else None)

    lint_source(PRELUDE + expr + "\n", "t.py", [Probe])
    assert out[-1] == expected


def test_use_parents_reach_the_enclosing_scope():
    seen = []

    class Probe(Rule):
        code = "MEM996"
        needs = frozenset({"uses"})

        def leave_FunctionDef(self, node):
            for u in self.ctx.semantic.scope.uses.get("a", []):
                seen.append((type(u.parents[0]).__name__, type(u.parents[-1]).__name__))

    lint_source("def f():\n    a = 1\n    return [a for _ in b]\n", "t.py", [Probe])
    assert seen == [("FunctionDef", "AssignTarget"), ("FunctionDef", "ListComp")]
    assert isinstance(cst.parse_module("x"), cst.Module)
