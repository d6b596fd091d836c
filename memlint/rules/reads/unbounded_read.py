"""MEM101 unbounded-read."""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.frame_use import FrameUse, classify_chain, classify_uses
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


def _columns_read_for(call: cst.Call, cols_kw: str) -> Optional[List[str]]:
    """The columns the read itself needs beside those the code uses: its `index_col=` and
    `parse_dates=` columns, by name. None when they are named by position or otherwise (a
    usecols= list would then move another column into the index, or drop one it parses)."""
    out: List[str] = []
    for name in ("index_col", "parse_dates"):
        arg = keyword(call, name)
        if arg is None or is_none(arg.value) or is_false(arg.value):
            continue
        value = arg.value
        if name == "parse_dates" and type(value) is cst.Name and value.value == "True":
            continue  # parses the index: its column is index_col's, handled above
        items = value.elements if type(value) in (cst.List, cst.Tuple) else None
        values = [el.value for el in items] if items is not None else [value]
        for v in values:
            if type(v) is not cst.SimpleString:
                return None
            try:
                text = v.evaluated_value
            except Exception:  # noqa: BLE001 - a malformed literal
                return None
            if not isinstance(text, str):
                return None
            if text not in out:
                out.append(text)
    return out


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
        flagged only with `lines=True`, the one form that can be bounded.

        Scale (docs/scale.md): by default the rule reports only a read whose frame's later
        use, in the same scope, shows the bound to declare: only some columns read (it names
        them for `usecols=`), columns cast right after (`dtype=`), only a sample kept, or the
        frame converted whole to an array. A frame used whole (returned, passed to another
        function, every column touched) is reported only with `report-unknown-scale`, since
        no bound applies that code shows; so is a read in a test module. In-memory buffers
        (`io.StringIO`, `io.BytesIO`) and reads with `skiprows=` are never flagged. Column
        uses through a helper function or an alias stored in a container are not followed.
        The rule cannot know the file is small: silence it with `# noqa: MEM101` where it is.
    """
    invalid = (
        "from pandas import read_csv as rc\nframe = rc(path)\nprint(frame['a'].mean())\n",
        "import pandas\nt = pandas.read_parquet('a.parquet')\ntotal = t.amount.sum()\n",
        "import pandas as pd\nx = pd.read_json(p, lines=True)\nx['t'] = x['t'].astype('float32')\n",
        "import pandas as pd\ndef f(con):\n    return pd.read_sql('select * from t', con).to_numpy()\n",
        "def load(p):\n    import pandas as pd\n    df = pd.read_csv(p, sep=';')\n    return df.sample(1000)\n",
    )
    valid = (
        "import pandas as pd\nfor chunk in pd.read_csv(p, chunksize=100_000):\n    pass\n",
        "import pandas as pd\ndf = pd.read_parquet(p, columns=['a', 'b'])\n",
        "import pandas as pd\ndf = pd.read_csv(p, **options)\n",
        "import pandas as pd\ndf = pd.read_json(p)\n",
        "class Store:\n    def read_csv(self, p): ...\nstore = Store()\nstore.read_csv('x')\n",
        "import polars as pd\ndf = pd.read_csv('x.csv')\nprint(df['a'])\n",
        "import io\nimport pandas as pd\ndf = pd.read_csv(io.StringIO(text))\nprint(df['a'])\n",
        "import pandas as pd\ndf = pd.read_csv(p, skiprows=lambda i: i % 10)\nprint(df['a'])\n",
        "import pandas as pd\ndef load(p):\n    return pd.read_csv(p)\n",
        "import pandas as pd\ndf = pd.read_csv(p)\nmodel.fit(df)\n",
    )
    needs = frozenset({"uses"})
    triggers = r"read_(?:csv|table|fwf|sql|json|parquet|feather|orc)"

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self._pending = []  # (read call, reader, bounds, name, owner scope, use counter)

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
        args = positional(node)
        if len(args) > (2 if func.startswith("read_sql") else 1):
            return
        bounds = BOUNDS[func]
        for name in bounds + ("skiprows",):
            arg = keyword(node, name)
            if arg is not None and not is_none(arg.value) and not (
                name == "iterator" and is_false(arg.value)
            ):
                return
        source = args[0].value if args else (keyword(node, "filepath_or_buffer") or keyword(node, "path"))
        if isinstance(source, cst.Arg):
            source = source.value
        if source is not None and self._in_memory(source):
            return  # a StringIO or BytesIO: the data is in memory already, nothing to stream
        if self.ctx.is_test:
            return  # a test reads a small fixture file
        model = self.ctx.semantic
        stack = self.ctx.stack
        parent = stack[-2] if len(stack) > 1 else None
        grand = stack[-3] if len(stack) > 2 else None
        if type(parent) is cst.Assign and len(parent.targets) == 1 and type(
                parent.targets[0].target) is cst.Name and parent.value is node:
            name = parent.targets[0].target.value
            owner = model.lookup(name) or model.scope
            self._pending.append((node, func, bounds, name, owner, model._use_counter))
            return
        use = FrameUse()
        if type(parent) in (cst.Attribute, cst.Subscript) and parent.value is node:
            classify_chain(node, parent, grand, model, use)
        else:
            use.whole = True
        self._decide(node, func, bounds, use, "the frame")

    def _in_memory(self, source) -> bool:
        model = self.ctx.semantic
        if type(source) is cst.Call:
            if model.qualified_name(source.func) in ("io.StringIO", "io.BytesIO"):
                return True
            if type(source.func) is cst.Name:  # `try: from StringIO import StringIO` / `io`
                scope = model.lookup(source.func.value)
                quals = scope.b.imports.get(source.func.value) if scope is not None else None
                return bool(quals) and all(q.endswith(("StringIO", "BytesIO")) for q in quals)
            return False
        return model.value_of(source).kind == "buffer"

    def leave_Module(self, node: cst.Module) -> None:
        model = self.ctx.semantic
        for call, func, bounds, name, owner, counter in self._pending:
            use = classify_uses(owner.uses.get(name, ()), counter, model)
            self._decide(call, func, bounds, use, f"`{name}`")
        self._pending = []

    def _decide(self, node, func, bounds, use: FrameUse, what: str) -> None:
        reader = f"pd.{func}"
        cols_kw = "usecols" if "usecols" in bounds else ("columns" if "columns" in bounds else None)
        dtype_ok = "dtype" in bounds
        if use.casts and dtype_ok:
            cast = [c for c in use.casts if c != "*"]
            which = (", ".join(f"`{c}`" for c in cast[:4]) + ("..." if len(cast) > 4 else "")
                     if cast else "the frame")
            self.report(node, message=(
                f"{reader}() infers 64-bit and object dtypes, then {which} is cast after the "
                f"read: declare dtype= at read time; the frame peaks at the inferred dtypes first"))
            return
        if use.sample is not None and ("chunksize" in bounds or "nrows" in bounds):
            self.report(node, message=(
                f"{reader}() loads the whole file, then {what} keeps only .{use.sample} of its "
                f"rows: sample while reading (chunksize= and sample each chunk, or skiprows= a "
                f"callable keeping that share)"))
            return
        if use.columns and not use.whole and not use.array and cols_kw is not None:
            cols = use.columns
            listed = ", ".join(f"`{c}`" for c in cols[:6]) + ("..." if len(cols) > 6 else "")
            kept = _columns_read_for(node, cols_kw)
            if kept is not None:
                wanted = kept + [c for c in cols if c not in kept]
                self.report(node, message=(
                    f"{reader}() loads every column of the file, but only {listed} of {what} "
                    f"{'is' if len(cols) == 1 else 'are'} used: if the file holds more, pass "
                    f"{cols_kw}="
                    + (repr(wanted) if len(wanted) <= 12 else "[...] with those columns")))
                return
        if use.array and not use.whole and dtype_ok:
            self.report(node, message=(
                f"{reader}() infers float64 for every numeric column, and {what} becomes one "
                f"array: pass dtype=np.float32 (or per-column dtypes) at read time to halve "
                f"both the frame and the array"))
            return
        if getattr(self.ctx, "report_unknown_scale", False):
            if len(bounds) == 1:
                hint = f"{bounds[0]}="
            else:
                hint = ", ".join(f"{b}=" for b in bounds[:-1]) + f" or {bounds[-1]}="
            self.report(node, func=f"pandas.{func}", bounds=hint)
