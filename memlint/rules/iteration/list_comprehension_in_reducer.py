"""MEM201 list-comprehension-in-reducer."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import positional

# Callables that consume an iterable once and keep none of its items as a list. `sorted`
# builds its own list, so the comprehension's list is a second, needless one.
REDUCERS = frozenset(
    "builtins.sum builtins.any builtins.all builtins.min builtins.max builtins.sorted "
    "builtins.set builtins.frozenset builtins.tuple builtins.dict math.fsum math.prod "
    "statistics.mean statistics.fmean statistics.median collections.Counter "
    "collections.deque heapq.nlargest heapq.nsmallest".split()
)
# Where the iterable is not the first positional argument.
ITERABLE_POSITION = {"heapq.nlargest": 1, "heapq.nsmallest": 1}


class ListComprehensionInReducer(Rule):
    code = "MEM201"
    name = "list-comprehension-in-reducer"
    pylint_id = "W7720"
    message = "list comprehension passed to {func}() is built only to be consumed once; use a generator expression"
    summary = "A list comprehension is passed to a call that consumes it once; a generator would do."
    what = """
        Flags a list comprehension passed as the iterable to a call that reads it once and
        keeps no list of it: `sum`, `any`, `all`, `min`, `max`, `sorted`, `set`,
        `frozenset`, `tuple`, `dict`, `math.fsum`, `math.prod`, `statistics.mean`,
        `collections.Counter`, `heapq.nlargest` and the like.
    """
    why = """
        The brackets make Python build the whole list first, holding every element at once,
        and then hand it to a function that only needed to see each element once. A generator
        expression feeds the same values one at a time, so the peak is one element instead of
        all of them; `any` and `all` can also stop at the first decisive element.
    """
    example = """
        total = sum([row.price * row.qty for row in rows])
    """
    use_instead = """
        total = sum(row.price * row.qty for row in rows)
    """
    fix = "none"
    limits = """
        `str.join` is not flagged: it builds a list from a generator anyway, so the list
        comprehension is as cheap or cheaper. Calls that need a sequence (`len`, `np.array`,
        `list`) are not flagged. A shadowed builtin (`def sum(...)`, `from x import max`)
        is not flagged. With `any`/`all`, switching to a generator skips the elements after the
        decisive one: if the comprehension has side effects, keep it.
    """
    invalid = (
        "ok = any([x > 0 for x in xs])\n",
        "m = max([len(s) for s in names], default=0)\n",
        "u = set([t.lower() for t in tokens])\n",
        "import heapq\ntop = heapq.nlargest(3, [s.score for s in items])\n",
        "total = sum(\n    # in cents\n    [p.price for p in items]\n)\n",
        "n = sum(([1 for r in rows if r.ok]))\n",
    )
    valid = (
        "s = ''.join([c.upper() for c in text])\n",
        "n = len([x for x in xs if x])\n",
        "import numpy as np\na = np.array([f(x) for x in xs])\n",
        "def sum(xs):\n    return 0\nt = sum([x for x in xs])\n",
        "from mylib import max\nm = max([x for x in xs])\n",
        "t = sum(x for x in xs)\n",
    )
    # A list display right after an opening parenthesis or a comma, with whitespace, line
    # continuations or comments in between (`sum(([...]))` matches at the inner paren).
    # No repeated `(` and no line-long wildcard: either rescans a run from each start,
    # quadratic on deeply nested or long lines.
    triggers = r"[(,](?:\s|\\|#[^\n]{0,300}\n)*\["

    def visit_Call(self, node: cst.Call) -> None:
        args = positional(node)
        if not args or len(args) != len([a for a in node.args if a.keyword is None]):
            return  # *args: cannot tell which argument is the iterable
        qn = self.ctx.semantic.qualified_name(node.func)
        if qn not in REDUCERS:
            return
        index = ITERABLE_POSITION.get(qn, 0)
        if len(args) <= index:
            return
        value = args[index].value
        if isinstance(value, cst.ListComp):
            self.report(value, func=qn.rpartition(".")[2] if qn.startswith("builtins.") else qn)
