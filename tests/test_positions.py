"""Positions anchored on an enclosing node equal those of libcst's whole-module pass, always."""

from __future__ import annotations

import libcst as cst
import pytest

from memlint.engine.traversal import child_fields as _child_fields
from memlint.engine.positions import full_positions, locate
from tests.helpers import FIXTURES

TRICKY = {
    # The same expression text in two places, inside blocks of different indentation: the
    # continuation line of the nested one carries the block's indentation.
    "indented-duplicates": (
        "f(x,\n  y)\n"
        "if a:\n    f(x,\n      y)\n"
        "    if b:\n        f(x,\n          y)\n"
    ),
    # An elif renders as `if` on its own: it must not be anchored there.
    "elif": (
        "def g(skipna, mask):\n"
        "    if skipna:\n        pass\n"
        "    elif not skipna and mask is not None:\n        return 1\n"
        "    if not skipna and mask is not None:\n        return 1\n"
    ),
    "crlf-and-tabs": "import numpy as np\r\nif x:\r\n\ty = np.zeros((10,\r\n\t\t20))\r\n\tz = [a for a in y]\r\n",
    "no-trailing-newline": "import pandas as pd\ndf = pd.read_csv(p)",
    "lone-cr": "a = 1\rb = sum([x for x in y])\r",
    "starred": "print(*[x for x in y], *[x for x in y])\nt = (*a, *b)\n",
    "semicolons": "a = f(1); b = f(1); c = f(1)\nif q: a = f(1); b = f(1)\n",
    "annotations": "def f(a: int = 1, *args: str, **kw: float) -> list:\n    x: int = 1\n    return [a]\n",
    "decorators-comments": (
        "# lead\n@dec(1)\n@dec(1)\ndef f():\n    # inner\n    return [x for x in y]\n\n\n"
        "class C:\n    @dec(1)\n    def f(self):\n        return [x for x in y]\n"
    ),
    "strings": 'x = """\nf(1)\n"""\ny = f(1)\nz = f"{f(1)}"\n',
    "match": "match p:\n    case [1, 2] | {'a': 1}:\n        f(1)\n    case _:\n        f(1)\n",
}


def _all_requests(module: cst.Module):
    """Every node, with the stack the engine would have when visiting it, and a shallower one."""
    out, stack, todo, leave = [], [], [module], object()
    while todo:
        node = todo.pop()
        if node is leave:
            stack.pop()
            continue
        stack.append(node)
        todo.append(leave)
        if len(stack) > 1:
            out.append((node, tuple(stack)))
            if len(stack) > 3:
                out.append((node, tuple(stack[:-2])))

        children = []
        for name in _child_fields(type(node)):
            v = getattr(node, name)
            if isinstance(v, cst.CSTNode):
                children.append(v)
            elif type(v) in (list, tuple):
                children.extend(c for c in v if isinstance(c, cst.CSTNode))
        todo.extend(reversed(children))
    return out


def _check(source: str) -> None:
    module = cst.parse_module(source)
    requests = _all_requests(module)
    expected = full_positions(module, {id(n) for n, _ in requests})
    got = locate(module, source, requests)
    wrong = [(type(n).__name__, got.get(id(n)), expected[id(n)]) for n, _ in requests
             if got.get(id(n)) != expected[id(n)]]
    assert not wrong, wrong[:5]
    # Reported from leave_Module, with nothing but the module open: found by a walk.
    alone = [(n, (module,)) for n, _ in requests[::3]]
    got = locate(module, source, alone)
    wrong = [(type(n).__name__, got.get(id(n)), expected[id(n)]) for n, _ in alone
             if got.get(id(n)) != expected[id(n)]]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_sources(name):
    _check(TRICKY[name])


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.name)
def test_fixture_files(path):
    _check(path.read_text(encoding="utf-8"))
