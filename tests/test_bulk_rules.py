"""MEM102 and MEM6xx beyond their documented snippets: the provenance they rely on (files,
paths, sparse-output estimators), the dense-encoders option, default states, messages."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint import registry
from memlint.engine import lint_source
from memlint.rule import Rule
from tests.helpers import lint

EVERY_SCALE = {"*": {"report-unknown-scale": True}}


class _Probe(Rule):
    """Reports the value kind of every argument of `probe(...)` (a test-only rule)."""

    code = "MEM999"
    name = "probe"
    message = "{kind}"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            for arg in node.args:
                v = self.ctx.semantic.value_of(arg.value)
                self.report(arg, kind=f"{v.kind}/{'large' if v.large else 'small'}")


def kinds(source: str):
    result = lint_source(textwrap.dedent(source), "probe.py", [_Probe])
    assert result.status == "ok", result.diagnostics
    return [d.message for d in result.diagnostics]


def test_file_objects_from_openers_and_with():
    assert kinds("""
        import gzip, io
        from pathlib import Path
        with open(p) as a, gzip.open(p, "rt") as b:
            probe(a, b)
        c = io.open(p)
        d = (Path(root) / "x.txt").open()
        with Path(p).open("rb") as e:
            probe(c, d, e)
    """) == ["file/small"] * 5


def test_with_binds_only_self_returning_contexts():
    assert kinds("""
        import torch
        with torch.no_grad() as g, open(p) as f:
            probe(g, f)
    """) == ["unknown/small", "file/small"]


def test_shadowed_open_is_not_a_file():
    assert kinds("""
        def open(p):
            return p
        f = open("x")
        probe(f)
    """) == ["unknown/small"]


def test_sparse_output_estimators():
    assert kinds("""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
        vec = TfidfVectorizer(min_df=2).fit(docs)
        a = vec.transform(docs)
        b = OneHotEncoder().fit_transform(frame)
        c = OneHotEncoder(sparse_output=False).fit_transform(frame)
        d = OneHotEncoder(sparse_output=flag).fit_transform(frame)
        e = StandardScaler().fit_transform(frame)
        f = vec.transform(["one document"])
        probe(a, b, c, d, e, f)
    """) == ["sparse/large", "sparse/large"] + ["unknown/small"] * 3 + ["sparse/small"]


def test_tuple_unpacking_of_loaders_and_splits():
    assert kinds("""
        from sklearn.datasets import load_svmlight_file
        from sklearn.model_selection import train_test_split
        X, y = load_svmlight_file(path)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2)
        a, b = train_test_split(X)
        c, d, e = train_test_split(X)
        probe(X, y, X_tr, X_te, y_tr, a, b, c)
    """) == ["sparse/large", "ndarray/small", "sparse/large", "sparse/large", "ndarray/small",
             "sparse/large", "sparse/large", "unknown/small"]


def test_dense_encoders_option():
    src = textwrap.dedent("""
        from sklearn.preprocessing import OneHotEncoder, KBinsDiscretizer
        from sklearn.feature_extraction import DictVectorizer
        a = OneHotEncoder(sparse_output=False)
        b = OneHotEncoder(sparse=False, handle_unknown="ignore")
        c = DictVectorizer(sparse=False)
        d = KBinsDiscretizer(encode="onehot-dense")
        e = OneHotEncoder()
        f = KBinsDiscretizer(encode="ordinal")
        g = OneHotEncoder(**params)
    """)
    assert lint(src, select=["MEM602"]).diagnostics == []
    on = lint(src, select=["MEM602"], options={"MEM602": {"dense-encoders": True}})
    assert [d.line for d in on.diagnostics] == [4, 5, 6, 7]
    assert on.diagnostics[0].message.startswith("OneHotEncoder(sparse_output=False) builds a dense")


def test_default_states():
    default = {r.code for r in registry.select_rules()}
    assert {"MEM102", "MEM601", "MEM602"} <= default
    assert "MEM603" not in default


@pytest.mark.parametrize("source,line", [
    # a function defined in the loop body starts afresh
    ("import numpy as np\nfor x in xs:\n    def f(acc):\n        acc = np.append(acc, x)\n"
     "        return acc\n", None),
    # a short literal loop nested in a long one still repeats
    ("import numpy as np\nfor b in batches:\n    for k in ('a', 'b'):\n"
     "        acc = np.concatenate([acc, b[k]])\n", 4),
    # range with a large constant count
    ("import numpy as np\nfor i in range(1000):\n    acc = np.hstack((acc, f(i)))\n", 3),
    # the join is in a comprehension, not re-assigned
    ("import numpy as np\nfor x in xs:\n    acc = [np.concatenate([a, x]) for a in acc]\n", None),
])
def test_grow_in_loop_cases(source, line):
    # the pattern, whatever the scale (the scale policy has its own cases below)
    found = [d.line for d in lint(source, select=["MEM601"], options=EVERY_SCALE).diagnostics]
    assert found == ([line] if line else [])


@pytest.mark.parametrize("source,line", [
    # once a row of data: reported
    ("import numpy as np\nimport pandas as pd\nX = pd.read_csv(p)\nfor row in X.itertuples():\n"
     "    acc = np.append(acc, row.a)\n", 5),
    # once a batch, gathering model outputs of unknown width: silent
    ("import torch\nloader = torch.utils.data.DataLoader(ds)\nfor xb in loader:\n"
     "    out = torch.cat([out, net(xb)])\n", None),
    # ... gathering the batches themselves: reported
    ("import torch\nloader = torch.utils.data.DataLoader(ds)\nfor xb in loader:\n"
     "    out = torch.cat([out, xb])\n", 4),
    # a wide accumulator over a loop of unknown length: reported
    ("import numpy as np\nemb = np.empty((0, 768))\nfor b in batches:\n"
     "    emb = np.concatenate([emb, enc(b)])\n", 4),
    # a narrow one: silent
    ("import numpy as np\nemb = np.empty((0, 3))\nfor b in batches:\n"
     "    emb = np.concatenate([emb, enc(b)])\n", None),
    # a slice of at most five: silent
    ("import numpy as np\nfor i in order[:5]:\n    acc = np.append(acc, i)\n", None),
])
def test_grow_in_loop_scale_policy(source, line):
    found = [d.line for d in lint(source, select=["MEM601"]).diagnostics]
    assert found == ([line] if line else [])


@pytest.mark.parametrize("source,flagged", [
    ("with open(p) as f:\n    lines = f.readlines()\nreturn_value = process(lines)\n", False),
    ("def f(p):\n    with open(p) as fh:\n        lines = fh.readlines()\n    return lines\n", False),
    ("def f(p):\n    with open(p) as fh:\n        lines = fh.readlines()\n"
     "    return [l.strip() for l in lines]\n", True),
    ("def f(p):\n    with open(p) as fh:\n        lines = fh.readlines()\n"
     "    def g():\n        return lines\n    for l in lines:\n        print(l)\n", False),
    ("lines = []\nwith open(p) as f:\n    lines = f.readlines()\nfor l in lines:\n    print(l)\n", False),
    ("with open(p) as f:\n    rows = f.read().splitlines()\nfor r in reversed(rows):\n    print(r)\n", False),
    ("with open(p) as f:\n    rows = f.read().splitlines()\ndel f\nfor r in rows:\n    print(r)\n", True),
])
def test_read_whole_file_named_form(source, flagged):
    assert bool(lint(source, select=["MEM102"]).diagnostics) is flagged


def test_messages_name_the_fix():
    d = lint("import numpy as np\nfor x in xs:\n    acc = np.vstack([acc, x])\n",
             select=["MEM601"], options=EVERY_SCALE).diagnostics[0]
    assert "np.vstack(parts) once after the loop" in d.message and "`acc`" in d.message
    d = lint("with open(p) as log:\n    for line in log.readlines():\n        print(line)\n",
             select=["MEM102"]).diagnostics[0]
    assert (d.line, d.col) == (2, 16) and "`for line in log:`" in d.message


def test_constant_small_sparse_shapes_are_not_large():
    assert kinds("""
        import scipy.sparse as sp
        probe(sp.eye(64), sp.eye(2000), sp.identity(300), sp.random(50, 60, density=0.1),
              sp.random(m, n), sp.csr_matrix((100, 100)), sp.csr_matrix((data, ij), shape=(10**6, 10)),
              sp.coo_matrix((v, (r, c)), shape=(200, 300)), sp.csr_matrix([[1, 0], [0, 1]]),
              sp.csr_matrix(dense))
    """) == ["sparse/small", "sparse/large", "sparse/small", "sparse/small", "sparse/large",
             "sparse/small", "sparse/large", "sparse/small", "sparse/small", "sparse/large"]
