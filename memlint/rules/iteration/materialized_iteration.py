"""MEM202 materialized-iteration."""

from __future__ import annotations

from typing import Set

import libcst as cst

from memlint.semantic import scale as S
from memlint.rule import Rule
from memlint.semantic.syntax import positional
from memlint.semantic.bindings import dotted, names_read

# Lazy iterables that `list()` makes eager for no reason when the result is only iterated.
LAZY = frozenset(
    "builtins.range builtins.map builtins.filter builtins.zip builtins.enumerate "
    "builtins.reversed builtins.iter".split()
)
# Methods that only read a container: calling them in the loop body does not mutate it.
READ_ONLY = frozenset(
    "get keys values items copy count index startswith endswith format lower upper strip "
    "split join issubset issuperset isdisjoint union intersection difference".split()
)


class _Touches(cst.CSTVisitor):
    """Does a loop body do anything to `names` that could mutate them?"""

    def __init__(self, names: Set[str]):
        self.names = names
        self.found = False

    def _is_container(self, expr) -> bool:
        d = dotted(expr)
        if d is None:
            return False
        parts = d.split(".")
        return any(".".join(parts[:i]) in self.names for i in range(1, len(parts) + 1))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and self._is_container(func.value):
            if func.attr.value not in READ_ONLY:
                self.found = True
        for arg in node.args:  # passed to a function, which may mutate it
            if self._is_container(arg.value):
                self.found = True

    def _store(self, target) -> None:
        base = target
        while isinstance(base, (cst.Subscript, cst.Attribute)):
            base = base.value
            if self._is_container(base):
                self.found = True
                return
        if self._is_container(target):
            self.found = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._store(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._store(node.target)


class MaterializedIteration(Rule):
    code = "MEM202"
    name = "materialized-iteration"
    pylint_id = "W7721"
    message = "{what} is built only to be iterated once; {fix}"
    summary = "A for loop iterates over a list built only for that loop."
    what = """
        Flags a `for` loop whose iterable is a list built just for it: a list comprehension
        (`for x in [f(y) for y in z]`), or `list(...)` around something that is already
        iterable (`for i in list(range(n))`, `for x in list(gen)`, `for k in list(d)`).
    """
    why = """
        The loop visits each element once, but the list holds all of them before the first
        iteration starts. Iterating the generator, range or container directly keeps one
        element alive at a time: for `list(range(10**7))` that is about 400 MB of list and int
        objects that never needed to exist.
    """
    example = """
        for i in list(range(n_rows)):
            process(i)
    """
    use_instead = """
        for i in range(n_rows):
            process(i)
    """
    limits = """
        `list(d)` is the standard way to iterate a snapshot of a container that the loop
        changes (`for k in list(d): del d[k]`), so the rule stays silent whenever the loop
        body could mutate anything the listed expression names: a method other than a plain
        read (`get`, `keys`, `items`, ...), an item or attribute assignment, a `del`, or
        passing it to a function. Shadowed `list` or `range` are not flagged. Nor is a list
        the scale model knows to be small (docs/scale.md): `list(df.columns)`,
        `list(range(5))`, a comprehension over a literal.
    """
    invalid = (
        "for x in [normalize(r) for r in rows]:\n    write(x)\n",
        "def f(gen):\n    for x in list(gen):\n        print(x)\n",
        "for k in list(d.keys()):\n    print(d[k])\n",
        "for i, v in list(enumerate(values)):\n    total += i * v\n",
        "for row in ([r for r in rows if r]):\n    print(row)\n",
        "for (a,\n     b) in list(pairs.items()):\n    print(a, b)\n",
        "import builtins\nfor x in builtins.list(gen):\n    print(x)\n",
    )
    valid = (
        "for k in list(d):\n    del d[k]\n",
        "for k in list(cache.keys()):\n    cache.pop(k)\n",
        "for item in list(self.items):\n    self.remove(item)\n",
        "for x in list(queue):\n    handle(queue)\n",
        "for x in (f(y) for y in z):\n    pass\n",
        "for x in [a, b, c]:\n    pass\n",
        "def list(x):\n    return x\nfor i in list(range(3)):\n    pass\n",
        "for x in [y for y in items]:\n    items.remove(x)\n",
    )
    # `in` then a list display (through whitespace, continuations, parentheses), or the
    # word `list` anywhere: the call may be spelled `builtins.list` or an alias. No
    # line-long wildcard: each `in` of a long line would rescan the line (quadratic).
    triggers = r"\blist\b|\bin\b(?:\s|\(|\\)*\["

    def visit_For(self, node: cst.For) -> None:
        it = node.iter
        if isinstance(it, cst.ListComp):
            source = it
            what, fix = "the list comprehension", "iterate a generator expression instead"
        elif isinstance(it, cst.Call) and self.ctx.semantic.is_builtin(it.func, "list"):
            args = positional(it)
            if len(it.args) != 1 or len(args) != 1:
                return
            inner = args[0].value
            source = inner
            if isinstance(inner, cst.Call):
                qn = self.ctx.semantic.qualified_name(inner.func)
                if qn in LAZY:
                    name = qn.rpartition(".")[2]
                    what, fix = f"list({name}(...))", f"iterate {name}(...) directly"
                elif isinstance(inner.func, cst.Attribute) and inner.func.attr.value in (
                    "keys", "values", "items"
                ):
                    what, fix = "the list", "iterate the view directly"
                else:
                    return  # list(f(x)): f may return anything, including a one-shot iterator
            elif isinstance(inner, cst.GeneratorExp):
                what, fix = "list(<generator>)", "iterate the generator directly"
            elif isinstance(inner, (cst.Name, cst.Attribute)):
                what, fix = "the list copy", "iterate the original directly"
            else:
                return
        else:
            return
        if what != "the list" and S.of(self.ctx.semantic, source).small:
            return  # `list(df.columns)`, `list(range(5))`: a few pointers, nothing to save
        names = names_read(source)
        touches = _Touches(names)
        node.body.visit(touches)
        if not touches.found:
            self.report(it, what=what, fix=fix)
