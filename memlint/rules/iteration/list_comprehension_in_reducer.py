"""MEM201 list-comprehension-in-reducer."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Option, Rule
from memlint.semantic.scale import iteration, reportable
from memlint.semantic.syntax import positional

# Callables that consume an iterable once and keep none of its items as a list. `sorted`
# builds its own list, so the comprehension's list is a second, needless one.
REDUCERS = frozenset(
    "builtins.sum builtins.any builtins.all builtins.min builtins.max builtins.sorted "
    "builtins.set builtins.frozenset builtins.tuple builtins.dict math.fsum math.prod "
    "statistics.mean statistics.fmean statistics.median collections.Counter "
    "collections.deque heapq.nlargest heapq.nsmallest".split()
)
# Reducers that keep every element themselves: the generator saves the intermediate list, not
# the memory of the result.
COPYING = {
    "builtins.sorted": "sorted() builds its own list anyway; a generator saves only the second, "
                       "intermediate copy",
    "builtins.tuple": "tuple() keeps every element anyway; a generator saves the intermediate list",
    "builtins.set": "the generator saves the intermediate list (the set keeps the distinct elements)",
    "builtins.frozenset": "the generator saves the intermediate list (the set keeps the distinct "
                          "elements)",
    "builtins.dict": "the generator saves the intermediate list of pairs",
    "collections.Counter": "the generator saves the intermediate list (the Counter keeps the "
                           "distinct elements)",
    "collections.deque": "the generator saves the intermediate list (the deque keeps what fits "
                         "its maxlen)",
    "statistics.median": "median() sorts its own copy anyway; a generator saves the intermediate list",
}
# Where the iterable is not the first positional argument.
ITERABLE_POSITION = {"heapq.nlargest": 1, "heapq.nsmallest": 1}


class ListComprehensionInReducer(Rule):
    code = "MEM201"
    name = "list-comprehension-in-reducer"
    pylint_id = "W7720"
    message = ("list comprehension{scale} passed to {func}() is built only to be consumed once; "
               "use a generator expression: {saving}")
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
        import pandas as pd

        orders = pd.read_csv("orders.csv")
        total = sum([row.price * row.qty for row in orders.itertuples()])
    """
    use_instead = """
        import pandas as pd

        orders = pd.read_csv("orders.csv")
        total = sum(row.price * row.qty for row in orders.itertuples())
    """
    fix = "none"
    limits = """
        `str.join` is not flagged: it builds a list from a generator anyway, so the list
        comprehension is as cheap or cheaper. Calls that need a sequence (`len`, `np.array`,
        `list`) are not flagged. A shadowed builtin (`def sum(...)`, `from x import max`)
        is not flagged. With `any`/`all`, switching to a generator skips the elements after the
        decisive one: if the comprehension has side effects, keep it. A comprehension with
        `async for` or `await` is never flagged: it cannot become a generator passed to a
        synchronous call.

        Scale (docs/scale.md): by default only a comprehension over data (rows or columns of
        something read or loaded, a `DataLoader`...) or over a known number of at least
        `min-items` (100,000) items is flagged; over a literal, a `range(k)` with a small
        `k` or a function's parameter it is silent unless `report-unknown-scale` is on.
    """
    invalid = (
        "import pandas as pd\ndf = pd.read_csv(p)\nok = any([x > 0 for x in df['a']])\n",
        "lines = open('big.log')\nm = max([len(s) for s in lines], default=0)\n",
        "import numpy as np\nX = np.load('x.npy')\nu = set([t for t in X[:, 0]])\n",
        "import heapq\nimport pandas as pd\nitems = pd.read_parquet(p)\n"
        "top = heapq.nlargest(3, [s for s in items.score])\n",
        "with open(p) as f:\n    total = sum(\n        # in cents\n        [len(l) for l in f]\n    )\n",
        "import pandas as pd\nrows = pd.read_csv(p).itertuples()\nn = sum(([1 for r in rows if r.ok]))\n",
    )
    valid = (
        "s = ''.join([c.upper() for c in text])\n",
        "n = len([x for x in xs if x])\n",
        "import numpy as np\na = np.array([f(x) for x in xs])\n",
        "def sum(xs):\n    return 0\nt = sum([x for x in xs])\n",
        "from mylib import max\nm = max([x for x in xs])\n",
        "t = sum(x for x in xs)\n",
        "ok = any([x > 0 for x in xs])\n",
        "m = max([len(s) for s in ['a', 'bb', 'ccc']])\n",
        "import pandas as pd\ndf = pd.read_csv(p)\nw = max([len(c) for c in df.columns])\n",
        "async def f(rows):\n    return sum([await g(r) async for r in rows])\n",
    )
    # A list display right after an opening parenthesis or a comma, with whitespace, line
    # continuations or comments in between (`sum(([...]))` matches at the inner paren).
    # No repeated `(` and no line-long wildcard: either rescans a run from each start,
    # quadratic on deeply nested or long lines.
    options = {
        "min-items": Option(100_000, "comprehensions over a known number of items below this are "
                                     "not flagged"),
    }
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
        if not isinstance(value, cst.ListComp) or _is_async(value):
            return  # an `async for` or `await` comprehension cannot feed a synchronous call
        sc = iteration(self.ctx.semantic, value.for_in)
        if not reportable(sc, self.ctx, self.option("min-items")):
            return
        func = qn.rpartition(".")[2] if qn.startswith("builtins.") else qn
        if sc.data:
            scale = f" over data ({sc.why})"
        elif sc.small and sc.count is not None:
            scale = f" of {sc.count:,} items"
        else:
            scale = " (its length is not known)"
        saving = COPYING.get(qn, "the generator holds one element at a time, not the whole list")
        self.report(value, func=func, scale=scale, saving=saving)


def _is_async(node: cst.CSTNode) -> bool:
    """Does the comprehension hold an `async for` or an `await` (in its element, conditions
    or iterables)?"""
    if type(node) is cst.Await or (type(node) is cst.CompFor and node.asynchronous is not None):
        return True
    return any(_is_async(c) for c in node.children)
