"""MEM303 copy-never-mutated."""

from __future__ import annotations

import libcst as cst

from memlint.rules.copies.base import CopyStatement, CopyTracking
from memlint.rules.copies.redundant_rebind_copy import spelled
from memlint.semantic.fresh import ARRAY_KINDS, COPY_CALL_TRIGGER, copy_call
from memlint.semantic.mutation import DELETE, MUTATE, READ

# Statements whose body may run zero or several times.
_BRANCHES = tuple(
    getattr(cst, n) for n in ("If", "For", "While", "Try", "TryStar", "Match") if hasattr(cst, n)
)


def _branches(use):
    return {id(p) for p in use.parents if isinstance(p, _BRANCHES)}


class CopyNeverMutated(CopyTracking):
    code = "MEM303"
    name = "copy-never-mutated"
    pylint_id = "W7732"
    message = ("'{target} = {copy}' but neither '{target}' nor '{name}' is modified, returned or "
               "passed on afterwards; use '{name}' and drop the copy")
    summary = "A local array or frame is copied although neither the copy nor the original is changed afterwards."
    default = True
    scope_kinds = ("function",)
    what = """
        Flags `y = x.copy()` (or `copy.copy(x)`, `copy.deepcopy(x)`, `np.copy(x)`) in a
        function, where `x` is a local DataFrame, Series, ndarray, tensor or sparse matrix
        created in that function (a reader, constructor or a method that returns a new
        object, see MEM301) and not aliased before the copy, and for the rest of the
        function neither `y` nor `x` is modified in place (item or attribute assignment,
        augmented assignment, `inplace=True`, `sort`, `fill`, `update`, `insert`, `add_`
        and other in-place methods), passed to a call (other than known pure functions such
        as `len`, `print`, `np.mean`), returned, yielded, stored in a container or
        attribute, or captured by a closure.
    """
    why = """
        A copy is only useful when one of the two objects changes while the other must not,
        or when one of them leaves the function where someone else might change it. When
        neither happens the two are identical for their whole lives, and the copy holds a
        second full copy of the data: a 1 GB frame costs 2 GB for as long as both live.
    """
    example = """
        import pandas as pd

        def summarize(path):
            df = pd.read_parquet(path, columns=["user", "amount"])
            raw = df.copy()
            df = df.dropna()
            print(len(raw), len(df), raw["amount"].mean())
    """
    use_instead = """
        import pandas as pd

        def summarize(path):
            raw = pd.read_parquet(path, columns=["user", "amount"])
            df = raw.dropna()
            print(len(raw), len(df), raw["amount"].mean())
    """
    limits = """
        On by default because it is built to be silent whenever it cannot prove the copy
        useless. It judges only functions: module-level names can be imported and changed
        by other modules, and class attributes by anyone. `x` must have been made by a
        known constructor, reader or method in the same function, so copies of parameters,
        globals, attributes and selections (`df[mask].copy()`, the pandas idiom before
        writing to a subset) are never flagged. `y` must be bound exactly once. Any use the
        analysis cannot classify counts as a possible mutation: passing either name, or a
        view of it (`y[cols]`, `y.values`), to any function or method other than known pure
        ones; methods of theirs taking callables (`apply`, `pipe`, `assign(c=f)`); use in a
        nested function. When `x` is rebound unconditionally after the copy
        (`df = df.dropna()`), later uses of the name refer to the new object and are not
        counted. Builtin lists, dicts and sets are not judged: their copies are usually
        small, and MEM302 already flags the rebinding case.
    """
    invalid = (
        "import numpy as np\ndef f(n):\n    a = np.arange(n, dtype=np.int64)\n    b = a.copy()\n"
        "    print(a.sum(), b.mean(), len(b))\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a', 'b'])\n    df['c'] = df.a + df.b\n"
        "    snapshot = df.copy()\n    if snapshot.empty:\n        return None\n"
        "    return snapshot['c'].sum() + df.shape[0]\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    raw = df.copy()\n"
        "    df = df[df.a > 0]\n    df['b'] = 1\n    print(raw.describe())\n",
        "import copy\nimport numpy as np\ndef f(n):\n    w = np.ones(n, dtype=np.float32)\n"
        "    w0 = copy.deepcopy(w)\n    print(np.allclose(w, w0))\n",
    )
    valid = (
        "import pandas as pd\ndef f(df):\n    sub = df[df.a > 0].copy()\n    sub['b'] = 1\n    return sub\n",
        "import pandas as pd\ndef f(df):\n    snap = df.copy()\n    print(snap.shape)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    b['a'] = 0\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    df.loc[df.a > 1, 'a'] = 0\n    print(b.a.sum())\n",
        "import numpy as np\ndef f(n):\n    a = np.zeros(n, dtype=np.float32)\n    b = a.copy()\n"
        "    b.sort()\n    print(b)\n",
        "import numpy as np\ndef f(n):\n    a = np.zeros(n, dtype=np.float32)\n    b = a.copy()\n"
        "    a.fill(1)\n    print(b)\n",
        "import numpy as np\ndef f(n):\n    a = np.zeros(n, dtype=np.float32)\n    b = a.copy()\n"
        "    process(b)\n",
        "import numpy as np\ndef f(n):\n    a = np.zeros(n, dtype=np.float32)\n    b = a.copy()\n"
        "    return b\n",
        "import numpy as np\ndef f(n):\n    a = np.zeros(n, dtype=np.float32)\n    b = a.copy()\n"
        "    a += 1\n    print(b)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    b.drop(columns=['a'], inplace=True)\n",
        "import copy\nimport torch\ndef f(n):\n    t = torch.zeros(n)\n    c = copy.copy(t)\n"
        "    t.add_(1)\n    print(c)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    v = b.values\n    v[0] = 1\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    g = lambda: b\n    print(b)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    df['a'] = df['a'] * 2\n    print(b)\n",
        "import pandas as pd\nraw = pd.read_csv('x.csv', usecols=['a'])\nDEFAULTS = raw.copy()\n",
        "def f():\n    base = {'a': 1}\n    opts = base.copy()\n    print(opts)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    b.apply(normalize)\n",
        "import pandas as pd\ndef f(p, keep):\n    df = pd.read_csv(p, usecols=['a'])\n    keep(df)\n"
        "    b = df.copy()\n    print(b)\n",
        "import numpy as np\ndef f(n, k):\n    a = np.zeros(n, dtype=np.float32)\n    for i in range(k):\n"
        "        b = a.copy()\n        print(b)\n        a[i] = 1\n",
        "import numpy as np\ndef f(n):\n    a = np.zeros((n, n), dtype=np.float32)\n    b = a.copy()\n"
        "    for row in b:\n        row[0] = 1\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    b.index.name = 'id'\n    print(b)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    snap = df.copy()\n"
        "    print(snap.shape)\n    df = df.copy()\n    df.iloc[0, 0] = 5\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    df = df.head(10)\n    df['a'] = 0\n    print(b)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    b = df.copy()\n"
        "    if p:\n        df = df.dropna()\n    df['a'] = 0\n    print(b)\n",
        "import numpy as np\ndef f(n):\n    arr = np.arange(n)\n    view = arr[2:5]\n    snap = arr.copy()\n"
        "    view[0] = 99\n    print(snap)\n",
    )
    triggers = COPY_CALL_TRIGGER

    def judge(self, c: CopyStatement) -> None:
        x, y = c.receiver, c.target
        scope = c.scope
        if x == y or scope.is_param(x) or scope.is_param(y) or scope.b.counts.get(y, 0) != 1:
            return
        value = c.value
        if not value.fresh or value.kind not in ARRAY_KINDS:
            return
        if c.spelling == "np.copy()" and value.kind != "ndarray":
            return
        receiver_use = self.use_of(c, x, c.receiver_node)
        if receiver_use is None:
            return
        store = self.binding_before(c, x, receiver_use.index)
        if self.binding_origin(c, store, c.deep, at=receiver_use) is None:
            return
        if not self._x_untouched(c, receiver_use, store, value.kind):
            return
        for u in self.uses(c, y):
            if u.node is c.target_node:
                continue
            if self.effect(c, u, value.kind) not in (READ, DELETE):
                return
        self.report(c.call, target=y, copy=spelled(c), name=x)

    def _x_untouched(self, c, receiver_use, store, kind) -> bool:
        """Not aliased between its creation and the copy; only read after it (or rebound)."""
        rebinding = None  # a statement rebinding x unconditionally after the copy
        copy_branches = _branches(receiver_use)
        for u in self.uses(c, c.receiver):
            if u is receiver_use:
                continue
            inside = self.in_loop(u, c.loop)
            if u.parents and u.parents[0] is not c.scope.node:
                return False  # a closure
            if not inside and u.index <= store.index:
                continue  # an earlier object
            if rebinding is not None and not inside and not any(p is rebinding for p in u.parents):
                continue  # after `x = ...`: another object
            before = not inside and u.index < receiver_use.index
            if u.kind == "store":
                if inside:
                    return False
                stmt = _statement(u)
                if _branches(u) <= copy_branches and not self._copies_itself(stmt, c.receiver):
                    rebinding = stmt
                continue
            e = self.effect(c, u, kind)
            if e == READ or (e == MUTATE and before) or (e == DELETE and not before):
                continue
            return False
        return True


    def _copies_itself(self, stmt, name) -> bool:
        """`x = x.copy()`: MEM302's to judge; counting it as a new object would let the two
        rules each suggest dropping one of two copies that are only redundant one at a time."""
        value = getattr(stmt, "value", None)
        found = copy_call(self.ctx.semantic, value) if value is not None else None
        return found is not None and isinstance(found[0], cst.Name) and found[0].value == name


def _statement(use):
    for p in reversed(use.parents):
        if isinstance(p, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.With)):
            return p
    return None
