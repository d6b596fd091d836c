"""Import resolution and provenance: what the rules rely on to never match by spelling."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint.engine.traversal import traverse as _traverse
from memlint.rule import FileContext
from memlint.rule import Rule
from memlint.semantic import SemanticModel


class _Probe(Rule):
    """Records qualified_name / value_of for every call to `probe(expr)`."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.seen = []

    def visit_Call(self, node):
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            arg = node.args[0].value
            sem = self.ctx.semantic
            self.seen.append((sem.qualified_name(arg), sem.value_of(arg).kind))


def probe(source: str):
    module = cst.parse_module(textwrap.dedent(source))
    semantic = SemanticModel(record_uses=True)
    ctx = FileContext("t.py", source, semantic)
    rule = _Probe(ctx)
    failed = {}
    _traverse(module, semantic, [rule], failed)
    assert not failed
    return rule.seen


@pytest.mark.parametrize("source,expected", [
    ("import pandas as pd\nprobe(pd.read_csv)", "pandas.read_csv"),
    ("import pandas\nprobe(pandas.read_csv)", "pandas.read_csv"),
    ("from pandas import read_csv as rc\nprobe(rc)", "pandas.read_csv"),
    ("import numpy.random as npr\nprobe(npr.rand)", "numpy.random.rand"),
    ("import os.path\nprobe(os.path.join)", "os.path.join"),
    ("def f():\n    import pandas as pd\n    probe(pd.read_csv)", "pandas.read_csv"),
    # A name imported in a function is not visible outside it.
    ("def f():\n    import pandas as pd\nprobe(pd.read_csv)", None),
    # Parameters, assignments and relative imports shadow or are not libraries.
    ("import pandas as pd\ndef f(pd):\n    probe(pd.read_csv)", None),
    ("import pandas as pd\npd = Store()\nprobe(pd.read_csv)", None),
    ("from .pandas import read_csv\nprobe(read_csv)", None),
    ("probe(sum)", "builtins.sum"),
    ("def sum(x):\n    pass\nprobe(sum)", None),
    ("def f():\n    probe(sum)\nsum = 3", None),
    ("class A:\n    import numpy as np\n    def m(self):\n        probe(np.zeros)", None),
    ("import numpy as np\nclass A:\n    def m(self):\n        probe(np.zeros)", "numpy.zeros"),
    ("try:\n    import ujson as json\nexcept ImportError:\n    import json\nprobe(json.loads)", None),
    ("import pandas as pd\nprobe([pd.read_csv for pd in xs][0])", None),
    ("import pandas as pd\nf = lambda pd: probe(pd.read_csv)", None),
    ("store = object()\nprobe(store.read_csv)", None),
])
def test_qualified_names(source, expected):
    assert probe(source)[0][0] == expected


@pytest.mark.parametrize("source,kind", [
    ("import pandas as pd\ndf = pd.read_csv(p)\nprobe(df)", "dataframe"),
    ("import numpy as np\na = np.zeros(3)\nprobe(a)", "ndarray"),
    ("import torch\nt = torch.tensor([1])\nprobe(t)", "tensor"),
    ("import scipy.sparse as sp\nm = sp.csr_matrix(x)\nprobe(m)", "sparse"),
    ("import pandas as pd\ndf = pd.read_csv(p)\nsub = df[df.a > 0]\nprobe(sub)", "dataframe"),
    ("import pandas as pd\nif c:\n    df = pd.read_csv(p)\nprobe(df)", "unknown"),
    ("import pandas as pd\ndf = pd.read_csv(p)\nfor i in r:\n    df = g(df)\nprobe(df)", "unknown"),
    ("import pandas as pd\ndef f(df):\n    probe(df)", "unknown"),
    ("x = [1, 2]\nprobe(x)", "list"),
])
def test_provenance(source, kind):
    assert probe(source)[0][1] == kind


@pytest.mark.parametrize("source,fresh", [
    ("import numpy as np\na = np.zeros(3)\nprobe(a)", True),
    ("import numpy as np\na = np.asarray(x)\nprobe(a)", False),
    ("import torch\nt = torch.from_numpy(a)\nprobe(t)", False),
    ("import numpy as np\na = np.zeros(3)\nb = a\nprobe(a)", False),
    ("import numpy as np\na = np.zeros(3)\nb = a\nprobe(b)", False),
    ("import numpy as np\na = b = np.zeros(3)\nprobe(a)", False),
    ("import pandas as pd\ndf = pd.read_csv(p)\nh = df.head()\nprobe(h)", False),
])
def test_freshness(source, fresh):
    module = cst.parse_module(source)
    semantic = SemanticModel()
    ctx = FileContext("t.py", source, semantic)
    seen = []

    class P(Rule):
        def visit_Call(self, node):
            if isinstance(node.func, cst.Name) and node.func.value == "probe":
                seen.append(self.ctx.semantic.value_of(node.args[0].value).fresh)

    _traverse(module, semantic, [P(ctx)], {})
    assert seen == [fresh]


def _uses(source):
    module = cst.parse_module(source)
    semantic = SemanticModel(record_uses=True)
    ctx = FileContext("t.py", source, semantic)
    scopes = []

    class P(Rule):
        def leave_FunctionDef(self, node):
            scopes.append(self.ctx.semantic.scope)

        def leave_Module(self, node):
            scopes.append(self.ctx.semantic.scope)

    _traverse(module, semantic, [P(ctx)], {})
    return scopes


def test_unpacking_targets_are_stores():
    (module,) = _uses("a, (b, *c) = f()\nfor i, x in g():\n    print(x)\n[y for y, z in h()]\n")
    kinds = {n: [u.kind for u in us] for n, us in module.uses.items()}
    assert kinds["a"] == ["store"] and kinds["b"] == ["store"] and kinds["c"] == ["store"]
    assert kinds["i"] == ["store"] and kinds["x"] == ["store", "arg"]


def test_nonlocal_store_belongs_to_the_enclosing_function():
    inner, outer, _ = _uses(
        "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n = 1\n    return n\n"
    )
    assert "n" not in inner.uses
    assert [u.kind for u in outer.uses["n"]][:2] == ["store", "capture"]
