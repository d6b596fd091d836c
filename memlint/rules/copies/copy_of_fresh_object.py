"""MEM301 copy-of-fresh-object."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.fresh import COPY_CALL_TRIGGER, copy_call, fresh_origin


class CopyOfFreshObject(Rule):
    code = "MEM301"
    name = "copy-of-fresh-object"
    pylint_id = "W7730"
    message = "{spelling} copies the result of {origin}, a new object nothing else references; drop the copy"
    summary = "A copy is made of an object that was just created and that nothing else references."
    what = """
        Flags `.copy()`, `copy.copy()`, `copy.deepcopy()` and `np.copy()` applied directly
        to an expression that already evaluates to a new object owning its data: a
        constructor or reader (`pd.read_csv(p).copy()`, `np.zeros(n).copy()`), a literal
        (`[1, 2].copy()`), another copy, or a method documented to return a new object
        (`df.merge(other).copy()`, `df.sort_values("t").copy()`,
        `df.groupby("k").sum().copy()`, `arr.astype(np.float32).copy()`), or arithmetic on
        arrays (`(a - b).copy()`).
    """
    why = """
        The object being copied was created by the same expression and nothing else holds
        it, so no one can observe a difference between it and its copy: the copy only
        allocates the same data a second time. While it is made, both exist, so the peak
        memory of the statement doubles (a 2 GB frame from `read_csv` needs 4 GB), and the
        time to copy every value is spent for nothing.
    """
    example = """
        import pandas as pd

        df = pd.read_parquet("events.parquet", columns=["user", "amount"]).copy()
    """
    use_instead = """
        import pandas as pd

        df = pd.read_parquet("events.parquet", columns=["user", "amount"])
    """
    limits = """
        Only the expression directly under the copy is judged; a copy of a variable is the
        business of MEM302 and MEM303. Results that may share memory with something still
        alive are never counted as new: selections and views (`df[mask]`, `df.loc[...]`,
        `df["col"]`, `.values`, `.iloc`, `.T`, `reshape`, `ravel`, slices), pandas
        selections that pandas < 3 marks for SettingWithCopyWarning (`query`, `dropna`,
        `drop_duplicates`, `filter`, `head`, `tail`, `sample`, `nlargest`, ...: `.copy()`
        after them is the documented idiom), `to_numpy`, `to_frame`, `np.asarray`,
        `np.frombuffer`, `torch.from_numpy`, memory-mapped loads (`mmap_mode=`),
        `pd.DataFrame(arr)` / `pd.Series(arr)` over an existing array, and anything passed
        `copy=False`. A method is known only when its receiver is: a frame from a reader or
        constructor, or a parameter annotated `pd.DataFrame`, `pd.Series`, `np.ndarray` or
        `torch.Tensor` and never rebound; `df.merge(o).copy()` on an unannotated parameter
        is not flagged.
        Shallow copies (`.copy(deep=False)`) and layout changes (`.copy(order="F")`) are
        not flagged; `copy.deepcopy` is flagged only when the items inside are new too.
    """
    invalid = (
        "import numpy as np\nx = np.zeros(n, dtype=np.float32).copy()\n",
        "import pandas as pd\ndef load(p, o):\n    df = pd.read_csv(p, usecols=['a'])\n"
        "    return df.merge(o, on='a').copy()\n",
        "pair = [1, 2].copy()\n",
        "import copy\nconfig = copy.deepcopy(dict(a=1, b=[1, 2]))\n",
        "import numpy as np\nv = np.copy(np.ones(3, dtype=np.float32))\n",
        "import pandas as pd\nframe = pd.DataFrame({'a': [1, 2]}).copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['k', 'v'])\n"
        "totals = df.groupby('k').sum().copy()\n",
        "import numpy as np\na = np.ones(4, dtype=np.float32)\nd = (a - a.mean()).copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nb = df['a'].astype('int32').copy()\n",
        "import copy\nimport numpy as np\nbuf = copy.copy(np.empty(8, dtype=np.uint8))\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a']).copy().copy()\n",
        "import pandas as pd\ndef f(df: pd.DataFrame, o):\n    return df.merge(o, on='k').copy()\n",
        "from copy import (\n    deepcopy  # copies nested lists too\n    as clone,\n)\n"
        "config = clone(dict(a=1, b=[1, 2]))\n",
    )
    valid = (
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nsub = df[df.a > 0].copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nsub = df.loc[df.a > 0].copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\ncol = df['a'].copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nv = df.values.copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nclean = df.dropna().copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\ntop = df.head(100).copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nq = df.query('a > 0').copy()\n",
        "import numpy as np\nm = np.zeros((4, 4), dtype=np.float32)\nt = m.T.copy()\n",
        "import numpy as np\nm = np.zeros(16, dtype=np.float32)\nr = m.reshape(4, 4).copy()\n",
        "import numpy as np\nm = np.zeros(16, dtype=np.float32)\nr = m[2:8].copy()\n",
        "import numpy as np\ndef f(x):\n    return np.asarray(x).copy()\n",
        "import numpy as np\nw = np.frombuffer(raw, dtype=np.uint8).copy()\n",
        "import numpy as np\nw = np.load(p, mmap_mode='r').copy()\n",
        "import torch\nt = torch.from_numpy(a).clone()\n",
        "import pandas as pd\ndef f(arr):\n    return pd.DataFrame(arr).copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nshallow = df.merge(o).copy(deep=False)\n",
        "import numpy as np\nf = np.zeros((4, 4), dtype=np.float32).copy(order='F')\n",
        "def f(df, o):\n    return df.merge(o).copy()\n",
        "import pandas as pd\ndef f(df: pd.DataFrame, o):\n    df = df.dropna()\n    return df.merge(o).copy()\n",
        "import pandas as pd\ndef f(df: pd.DataFrame):\n    return df[df.a > 0].copy()\n",
        "import copy\ndef f(rows):\n    return copy.deepcopy(list(rows))\n",
        "import numpy as np\nv = np.copy([1, 2, 3])\n",
        "import pandas as pd\ndef f(df):\n    df = df.copy()\n    return df\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nx = df.astype('int32', copy=False).copy()\n",
        "import pandas as pd\ndf = pd.read_csv(p, usecols=['a'])\nn = df.to_numpy().copy()\n",
        "import pandas as pd\ns = pd.read_csv(p, usecols=['a'])['a']\nf = s.to_frame().copy()\n",
        "class Frame:\n    def merge(self, o): ...\nx = Frame().merge(1).copy()\n",
    )
    triggers = COPY_CALL_TRIGGER

    def visit_Call(self, node: cst.Call) -> None:
        found = copy_call(self.ctx.semantic, node)
        if found is None:
            return
        receiver, spelling, deep = found
        if isinstance(receiver, cst.Name):
            return  # copies of variables: MEM302 / MEM303
        fresh = fresh_origin(self.ctx.semantic, receiver, deep=deep)
        if fresh is None:
            return
        if spelling == "np.copy()" and fresh.kind != "ndarray":
            return  # np.copy of a list converts it: not a second copy
        self.report(node, spelling=spelling, origin=fresh.origin)
