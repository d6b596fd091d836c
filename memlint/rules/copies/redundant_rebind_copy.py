"""MEM302 redundant-rebind-copy."""

from __future__ import annotations

from memlint.rules.copies.base import CopyStatement, CopyTracking
from memlint.semantic.fresh import COPY_CALL_TRIGGER
from memlint.semantic.mutation import CALL, ESCAPE


def spelled(c: CopyStatement) -> str:
    if c.spelling.startswith("."):
        return c.receiver + c.spelling
    return c.spelling.replace("()", f"({c.receiver})")


class RedundantRebindCopy(CopyTracking):
    code = "MEM302"
    name = "redundant-rebind-copy"
    pylint_id = "W7731"
    message = ("'{name} = {copy}' copies an object that only '{name}' references (it comes from "
               "{origin}); drop the copy")
    summary = "A variable is replaced by a copy of itself although nothing else references the original."
    what = """
        Flags `x = x.copy()` (or `copy.copy(x)`, `copy.deepcopy(x)`, `np.copy(x)`) where `x`
        was bound, in the same function or module, to a new object (a reader, constructor,
        literal or a method that returns a new object: see MEM301) and nothing else can
        reference that object: between its creation and the copy, `x` was only read or
        modified in place, never aliased (`y = x`), stored in a container or attribute,
        passed to a function, or captured by a closure.
    """
    why = """
        Rebinding `x` drops the only reference to the original, so the copy protects
        nothing: no other name can see the original change, and the original is freed right
        after. Meanwhile the copy allocates the whole object a second time, so while it is
        made memory holds both: a 3 GB frame needs 6 GB at that line.
    """
    example = """
        import pandas as pd

        def load(path):
            df = pd.read_parquet(path, columns=["user", "amount"])
            df = df.copy()
            df["amount"] = df["amount"].fillna(0)
            return df
    """
    use_instead = """
        import pandas as pd

        def load(path):
            df = pd.read_parquet(path, columns=["user", "amount"])
            df["amount"] = df["amount"].fillna(0)
            return df
    """
    limits = """
        Never flags a function parameter: `def f(df): df = df.copy()` is the correct
        defensive copy of the caller's object. Silent when `x` came from something that may
        be shared or a view (a parameter, a global, an attribute, `df[mask]`, `df.loc[...]`,
        `df.dropna()`, `df.head()`, `np.asarray(a)`, ...: see MEM301's limits), when `x` is
        bound in several branches the analysis does not follow, declared `global` or
        `nonlocal`, used in a nested function or lambda, or was aliased, stored or passed to
        any call except a few known pure ones (`len`, `print`, `np.mean`, ...) before the
        copy, or when the copy is in an `except` or `finally` block of the `try` that binds
        `x` (the binding may not have happened). In a loop every binding of `x` must be a new object and no use of `x` in the
        loop may alias it. Class bodies are not analysed.
    """
    invalid = (
        "import numpy as np\ndef f(n):\n    a = np.zeros(n, dtype=np.float32)\n    a = a.copy()\n"
        "    a[0] = 1\n    return a\n",
        "import pandas as pd\ndf = pd.read_csv('a.csv', usecols=['a'])\nprint(len(df), df.shape)\n"
        "df = df.copy()\n",
        "import copy\ndef f():\n    cfg = {'lr': 0.1, 'layers': [64, 32]}\n    cfg = copy.deepcopy(cfg)\n"
        "    return cfg\n",
        "import pandas as pd\ndef f(a, b):\n    m = pd.merge(a, b, on='k')\n    m['z'] = 0\n"
        "    m = m.copy()\n    return m\n",
        "import numpy as np\ndef f(n, steps):\n    s = np.zeros(n, dtype=np.float32)\n"
        "    for i in steps:\n        s = s.copy()\n        s[i] += 1\n    return s\n",
        "import numpy as np\ndef f(n):\n    a = np.ones(n, dtype=np.float32)\n    a = np.copy(a)\n"
        "    return a\n",
    )
    valid = (
        "def f(df):\n    df = df.copy()\n    df['a'] = 1\n    return df\n",
        "import pandas as pd\ndef f(df):\n    sub = df[df.a > 0]\n    sub = sub.copy()\n    sub['b'] = 1\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    raw = df\n"
        "    df = df.copy()\n    df['a'] = 0\n    return raw, df\n",
        "import pandas as pd\ndef f(p, cache):\n    df = pd.read_csv(p, usecols=['a'])\n    cache.append(df)\n"
        "    df = df.copy()\n    df['a'] = 0\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    register(df)\n"
        "    df = df.copy()\n",
        "import pandas as pd\ndef f(p, q, c):\n    if c:\n        df = pd.read_csv(p, usecols=['a'])\n"
        "    else:\n        df = load(q)\n    df = df.copy()\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n"
        "    g = lambda: df\n    df = df.copy()\n    return g\n",
        "import numpy as np\ndef f(n, steps):\n    s = np.zeros(n, dtype=np.float32)\n    hist = []\n"
        "    for i in steps:\n        s = s.copy()\n        s[i] += 1\n        hist.append(s)\n"
        "    return hist\n",
        "import pandas as pd\ndf = pd.read_csv('a.csv', usecols=['a'])\ndef peek():\n    return df\n"
        "df = df.copy()\n",
        "import copy\ndef f(rows):\n    items = list(rows)\n    items = copy.deepcopy(items)\n"
        "    return items\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n    view = df.values\n"
        "    df = df.copy()\n    df['a'] = 0\n    return view\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a'])\n"
        "    df = df.copy(deep=False)\n",
        "import pandas as pd\ndef f(p):\n    df = pd.read_csv(p, usecols=['a']).dropna()\n"
        "    df = df.copy()\n    df['b'] = 1\n",
        "def f(x):\n    global cache\n    cache = [1]\n    cache = cache.copy()\n",
        "import pandas as pd\ndef f(p, cached):\n    df = cached\n    try:\n"
        "        df = pd.read_csv(p, usecols=['a'])\n    except OSError:\n        df = df.copy()\n"
        "    df['a'] = 1\n    return df\n",
    )
    triggers = COPY_CALL_TRIGGER

    def judge(self, c: CopyStatement) -> None:
        x = c.receiver
        scope = c.scope
        if c.target != x or scope.is_param(x) or not c.value.fresh:
            return
        receiver_use = self.use_of(c, x, c.receiver_node)
        if receiver_use is None:
            return
        store = self.binding_before(c, x, receiver_use.index)
        origin = self.binding_origin(c, store, c.deep, at=receiver_use)
        if origin is None:
            return
        kind = c.value.kind
        if c.spelling == "np.copy()" and kind != "ndarray":
            return
        for u in self.uses(c, x):
            if u is receiver_use or u.node is c.target_node:
                continue
            inside = self.in_loop(u, c.loop)
            if not inside and not (store.index < u.index < receiver_use.index):
                if u.parents and u.parents[0] is not scope.node:
                    return  # a closure sees the variable: it may run at any time
                continue
            if u.kind == "store":
                if self.binding_origin(c, u, c.deep) is None:
                    return  # in the loop, x is also bound to something that may be shared
                continue
            if self.effect(c, u, kind, elements=c.deep) in (CALL, ESCAPE):
                return
        self.report(c.call, name=x, copy=spelled(c), origin=origin.origin)
