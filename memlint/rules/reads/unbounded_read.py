"""MEM101 unbounded-read."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import has_star_args, is_false, is_none, keyword, positional

# reader -> the keyword arguments that bound what it loads, most useful first
_ROW_READERS = ("chunksize", "usecols", "dtype", "nrows", "iterator")
BOUNDS = {
    "read_csv": _ROW_READERS,
    "read_table": _ROW_READERS,
    "read_fwf": _ROW_READERS,
    "read_sql": ("chunksize", "dtype"),
    "read_sql_query": ("chunksize", "dtype"),
    "read_sql_table": ("chunksize", "columns", "dtype"),
    "read_json": ("chunksize", "nrows", "dtype"),  # only with lines=True
    "read_parquet": ("columns", "filters"),
    "read_feather": ("columns",),
    "read_orc": ("columns",),
}


class UnboundedRead(Rule):
    code = "MEM101"
    name = "unbounded-read"
    pylint_id = "W7710"
    message = "{func}() loads the whole file into memory; bound it with {bounds}"
    summary = "A pandas reader loads a whole file with no column, dtype, row or chunk bound."
    what = """
        Flags pandas readers called with nothing that bounds what they load: `read_csv`,
        `read_table`, `read_fwf`, `read_sql*` and `read_json(lines=True)` with none of
        `chunksize`, `iterator`, `nrows`, `usecols` or `dtype` (the ones that apply to the
        reader), and `read_parquet`, `read_feather` and `read_orc` with no `columns`.
    """
    why = """
        Without a bound pandas materialises every row of every column, and with inferred
        dtypes: numbers become 64-bit and text becomes one Python object per cell. A frame
        typically takes several times the size of its CSV in memory. Selecting the columns
        you use, declaring compact dtypes (`float32`, `category`), or streaming in chunks
        keeps the peak close to what the computation needs.
    """
    example = """
        import pandas as pd

        df = pd.read_csv("events.csv")
        print(df["amount"].sum())
    """
    use_instead = """
        import pandas as pd

        df = pd.read_csv("events.csv", usecols=["amount"], dtype={"amount": "float32"})
        print(df["amount"].sum())
    """
    limits = """
        Calls made through `**kwargs` are not flagged (a bound may be inside). Readers are
        recognised through imports (`import pandas as pd`, `from pandas import read_csv`);
        a `read_csv` method of another library's object is never flagged. `read_json` is
        flagged only with `lines=True`, the one form that can be bounded. The rule cannot
        know the file is small: silence it with `# noqa: MEM101` where it is.
    """
    invalid = (
        "from pandas import read_csv as rc\nframe = rc(path)\n",
        "import pandas\nt = pandas.read_parquet('a.parquet')\n",
        "import pandas as pd\nx = pd.read_json(p, lines=True)\n",
        "import pandas as pd\ndef f(con):\n    return pd.read_sql('select * from t', con)\n",
        "def load(p):\n    import pandas as pd\n    return pd.read_csv(p, sep=';')\n",
    )
    valid = (
        "import pandas as pd\nfor chunk in pd.read_csv(p, chunksize=100_000):\n    pass\n",
        "import pandas as pd\ndf = pd.read_parquet(p, columns=['a', 'b'])\n",
        "import pandas as pd\ndf = pd.read_csv(p, **options)\n",
        "import pandas as pd\ndf = pd.read_json(p)\n",
        "class Store:\n    def read_csv(self, p): ...\nstore = Store()\nstore.read_csv('x')\n",
        "import polars as pd\ndf = pd.read_csv('x.csv')\n",
    )
    triggers = r"read_(?:csv|table|fwf|sql|json|parquet|feather|orc)"

    def visit_Call(self, node: cst.Call) -> None:
        qn = self.ctx.semantic.qualified_name(node.func)
        if not qn or not qn.startswith("pandas."):
            return
        module, _, func = qn.rpartition(".")
        if module != "pandas" or func not in BOUNDS or has_star_args(node):
            return
        if func == "read_json":
            lines = keyword(node, "lines")
            if lines is None or is_false(lines.value):
                return
        # Beyond the source (and the connection for SQL), a positional argument may be one of
        # the bounds (`read_parquet(p, "auto", ["a"])`): cannot decide, stay silent.
        if len(positional(node)) > (2 if func.startswith("read_sql") else 1):
            return
        bounds = BOUNDS[func]
        for name in bounds:
            arg = keyword(node, name)
            if arg is not None and not is_none(arg.value) and not (
                name == "iterator" and is_false(arg.value)
            ):
                return
        if len(bounds) == 1:
            hint = f"{bounds[0]}="
        else:
            hint = ", ".join(f"{b}=" for b in bounds[:-1]) + f" or {bounds[-1]}="
        self.report(node, func=f"pandas.{func}", bounds=hint)
