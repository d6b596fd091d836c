"""Is an expression a new object that owns its data, so that copying it is pure waste?

`values.Value.fresh` says an object is newly made. Copy rules need more: the object must own
its memory outright (not be a view of, or share buffers with, something still alive) and, in
pandas before Copy-on-Write, must not carry the `_is_copy` back-reference that makes a write
to it raise SettingWithCopyWarning (boolean selections, `query`, `dropna`, `head`, ...: for
those `.copy()` is the documented idiom). `fresh_origin` applies those extra conditions on top
of the shared provenance tables and says where the object came from, for messages.

Everything here is conservative: None means "cannot vouch", and copy rules stay silent.
"""

from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from memlint.semantic.syntax import is_false, is_none, is_true, keyword, positional
from memlint.semantic.values import Value, method_value

ARRAY_KINDS = frozenset(("dataframe", "series", "ndarray", "tensor", "sparse"))
CONTAINER_KINDS = frozenset(("list", "dict", "set"))

# Calls that `values.call_value` counts as fresh but that may return their input or share
# its memory: `np.asarray(a)` is `a`, `np.frombuffer` and `torch.from_numpy` wrap an existing
# buffer (copying them is how one gets a writable, independent array).
SHARING_CALLS = frozenset(("numpy.asarray", "numpy.frombuffer", "torch.from_numpy"))
# Loaders that return a memory map when given mmap_mode/mmap: `.copy()` loads it into RAM.
MMAP_CALLS = {"numpy.load": "mmap_mode", "joblib.load": "mmap_mode", "torch.load": "mmap"}

# pandas methods the shared table counts as fresh but whose result may be a view of the
# receiver (`head`, `tail`, `to_numpy`, `to_frame`) or is a selection that pandas < 3 flags
# with `_is_copy` (`query`, `dropna`, `drop_duplicates`, `filter`, `loc`-based or
# `take`-based selections), so that `.copy()` after them is the idiom that silences
# SettingWithCopyWarning. Under Copy-on-Write they are lazy copies; either way, not vouched.
PANDAS_SELECTIONS = frozenset(
    "head tail sample query dropna drop_duplicates filter nlargest nsmallest to_numpy to_frame "
    "reindex".split()
)
# `m.tocsr()` is `m` itself when m is already CSR (copy=False is the default).
SPARSE_CONVERSIONS = frozenset("tocsr tocsc tocoo tolil todok tobsr todia asformat".split())
# groupby(...) / resample(...) / rolling(...) reductions always build a new frame or series.
GROUPERS = frozenset(("groupby", "resample", "rolling", "expanding", "ewm"))
GROUP_REDUCERS = frozenset(
    "agg aggregate sum mean median min max std var sem prod count size nunique first last "
    "quantile cumsum cumcount cummax cummin cumprod rank transform describe".split()
)


class Fresh:
    __slots__ = ("kind", "origin")

    def __init__(self, kind: str, origin: str):
        self.kind = kind
        self.origin = origin

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Fresh({self.kind}, {self.origin!r})"


# --- what a copy call looks like --------------------------------------------------------------

# Text every file holding a copy call contains (the copy rules' trigger): `copy` then its call's
# parenthesis (`x.copy()`, `copy.deepcopy(x)`, `np.copy(x)`), or an import renaming it
# (`deepcopy as dc`). A comment between them admits the file: scanning past comments would
# rescan a long line from every `copy` on it.
COPY_CALL_TRIGGER = r"copy(?:\s|\\|\))*[(#]|copy(?:\s|\\)+as\b"


def copy_call(semantic, node: cst.CSTNode) -> Optional[Tuple[cst.BaseExpression, str, bool]]:
    """(receiver, spelling, deep) if `node` is a full copy of one object, else None.

    Recognised: `x.copy()` / `x.copy(deep=True)`, `copy.copy(x)`, `copy.deepcopy(x)` and
    `np.copy(x)`. `deep` is True only for `copy.deepcopy`, the one form that also copies the
    Python objects a container holds. Shallow pandas copies (`deep=False`), numpy layout
    changes (`order="F"`) and anything with extra arguments are not copies of that kind.
    """
    if not type(node) is cst.Call:
        return None
    func = node.func
    args = node.args
    if any(a.star for a in args):
        return None
    if type(func) is cst.Attribute and func.attr.value == "copy":
        qn = semantic.qualified_name(func)
        if qn is not None:  # `copy.copy(x)` / `np.copy(x)` spelled as attributes of modules
            return _function_copy(qn, node)
        if not args:
            return func.value, ".copy()", False
        if len(args) == 1 and args[0].keyword is not None and args[0].keyword.value == "deep" and (
            is_true(args[0].value)
        ):
            return func.value, ".copy()", False
        return None
    qn = semantic.qualified_name(func)
    return _function_copy(qn, node) if qn else None


def _function_copy(qn: str, node: cst.Call):
    if qn not in ("copy.copy", "copy.deepcopy", "numpy.copy"):
        return None
    if len(node.args) != 1 or node.args[0].keyword is not None:
        return None
    spelling = {"copy.copy": "copy.copy()", "copy.deepcopy": "copy.deepcopy()",
                "numpy.copy": "np.copy()"}[qn]
    return node.args[0].value, spelling, qn == "copy.deepcopy"


# --- is the copied value a new object? ---------------------------------------------------------

_LITERALS = {
    cst.List: ("list", "a list literal"),
    cst.Dict: ("dict", "a dict literal"),
    cst.Set: ("set", "a set literal"),
    cst.ListComp: ("list", "a list comprehension"),
    cst.DictComp: ("dict", "a dict comprehension"),
    cst.SetComp: ("set", "a set comprehension"),
}
_CONSTANTS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)


def fresh_origin(semantic, expr: cst.BaseExpression, deep: bool = False) -> Optional[Fresh]:
    """A `Fresh(kind, origin)` if `expr` certainly evaluates to a new object owning its data.

    With `deep`, the objects inside a container must be new (or immutable) too, which is
    what makes a `copy.deepcopy` of it redundant.
    """
    lit = _LITERALS.get(type(expr))
    if lit is not None:
        if deep and not _deep_literal(semantic, expr):
            return None
        return Fresh(*lit)
    if type(expr) is cst.Call:
        return _fresh_call(semantic, expr, deep)
    if type(expr) is cst.BinaryOperation:
        v = semantic.value_of(expr)
        if v.fresh and v.kind in ARRAY_KINDS:
            return Fresh(v.kind, "an arithmetic expression")
    return None


def _deep_literal(semantic, expr) -> bool:
    if type(expr) in (cst.List, cst.Set):
        return all(
            not type(el) is cst.StarredElement and _deep_item(semantic, el.value)
            for el in expr.elements
        )
    if type(expr) is cst.Dict:
        return all(
            type(el) is cst.DictElement and _deep_item(semantic, el.value)
            for el in expr.elements
        )
    if type(expr) in (cst.ListComp, cst.SetComp):
        return _deep_item(semantic, expr.elt)
    if type(expr) is cst.DictComp:
        return _deep_item(semantic, expr.value)
    return False


def _deep_item(semantic, expr) -> bool:
    if isinstance(expr, _CONSTANTS) or (
        type(expr) is cst.Name and expr.value in ("None", "True", "False")
    ):
        return True
    if type(expr) is cst.Tuple:
        return all(not type(el) is cst.StarredElement and _deep_item(semantic, el.value)
                   for el in expr.elements)
    return fresh_origin(semantic, expr, deep=True) is not None


def _copy_kw(call: cst.Call) -> Optional[bool]:
    """The literal value of a `copy=` keyword: True, False, or None when absent or unknown."""
    kw = keyword(call, "copy")
    if kw is None:
        return None
    if is_true(kw.value):
        return True
    return False  # False, None or an expression: may not copy


def _fresh_call(semantic, call: cst.Call, deep: bool) -> Optional[Fresh]:
    if any(a.star for a in call.args):
        return None
    func = call.func
    qn = semantic.qualified_name(func)
    if qn is not None:
        return _fresh_function(semantic, qn, call, deep)
    if not type(func) is cst.Attribute:
        return None
    method = func.attr.value
    receiver = func.value
    if keyword(call, "inplace") is not None or keyword(call, "out") is not None:
        return None
    if method == "copy":
        inner = copy_call(semantic, call)
        if inner is None:
            return None
        kind = semantic.value_of(inner[0]).kind
        if deep and kind not in ARRAY_KINDS:
            return None
        return Fresh(kind, "another .copy()")
    if method in GROUP_REDUCERS and _is_grouping(semantic, receiver):
        return Fresh("dataframe", f"{_grouper_name(receiver)}().{method}()")
    value = receiver_value(semantic, receiver)
    if value.kind not in ARRAY_KINDS:
        return None
    if value.kind in ("dataframe", "series") and method in PANDAS_SELECTIONS:
        return None
    if value.kind == "sparse" and method in SPARSE_CONVERSIONS:
        return None
    result = method_value(value, method)
    if not result.fresh or _copy_kw(call) is False:
        return None
    if deep and result.kind not in ARRAY_KINDS:
        return None
    if type(receiver) is cst.Subscript:  # a selection: a frame or a series
        return Fresh(result.kind, f".{method}()")
    owner = {"dataframe": "DataFrame", "series": "Series", "ndarray": "ndarray",
             "tensor": "Tensor", "sparse": "sparse matrix"}[value.kind]
    return Fresh(result.kind, f"{owner}.{method}()")


# Parameter annotations that say what a parameter holds.
ANNOTATED_KINDS = {
    "pandas.DataFrame": "dataframe",
    "pandas.Series": "series",
    "numpy.ndarray": "ndarray",
    "torch.Tensor": "tensor",
}


def receiver_value(semantic, expr) -> Value:
    """value_of(expr), also knowing a parameter's kind from its annotation (`df: pd.DataFrame`)
    when the parameter is never rebound, and a selection from such a parameter (`df["a"]`)."""
    value = semantic.value_of(expr)
    if value.known:
        return value
    base = expr.value if type(expr) is cst.Subscript else expr
    if not type(base) is cst.Name:
        return value
    kind = annotated_kind(semantic, base.value)
    if kind is None:
        return value
    if base is expr:
        return Value(kind, False, False, "parameter")
    return Value(kind, False, False, "subscript")


def annotated_kind(semantic, name: str) -> Optional[str]:
    scope = semantic.lookup(name)
    if scope is None or scope.kind != "function" or not scope.is_param(name):
        return None
    if scope.b.counts.get(name, 0) != 1:
        return None  # rebound somewhere in the function
    params = scope.node.params
    for group in (params.posonly_params, params.params, params.kwonly_params):
        for p in group:
            if p.name.value == name and p.annotation is not None:
                return ANNOTATED_KINDS.get(semantic.qualified_name(p.annotation.annotation) or "")
    return None


def _is_grouping(semantic, expr) -> bool:
    """`df.groupby(...)`, optionally with a column selection: `df.groupby(k)["x"]`."""
    if type(expr) is cst.Subscript:
        expr = expr.value
    if not (type(expr) is cst.Call and type(expr.func) is cst.Attribute):
        return False
    if expr.func.attr.value not in GROUPERS:
        return False
    return receiver_value(semantic, expr.func.value).kind in ("dataframe", "series")


def _grouper_name(expr) -> str:
    if type(expr) is cst.Subscript:
        expr = expr.value
    return expr.func.attr.value


def _short(qn: str) -> str:
    for full, short in (("numpy.", "np."), ("pandas.", "pd.")):
        if qn.startswith(full):
            return short + qn[len(full):]
    return qn.replace("builtins.", "", 1)


def _fresh_function(semantic, qn: str, call: cst.Call, deep: bool) -> Optional[Fresh]:
    if qn in SHARING_CALLS:
        return None
    mmap = MMAP_CALLS.get(qn)
    if mmap is not None:
        kw = keyword(call, mmap)
        if kw is not None and not is_none(kw.value) and not is_false(kw.value):
            return None
        if len(positional(call)) > 1:
            return None  # np.load(f, mmap_mode) positionally
    origin = _short(qn) + "()"
    if qn.startswith("scipy.sparse.") and qn.endswith(("_matrix", "_array")):
        # csr_matrix(other_sparse) and csr_matrix((data, indices, indptr)) reuse the arrays
        # they are given unless copy=True.
        return Fresh("sparse", origin) if _copy_kw(call) is True else None
    if qn in ("pandas.DataFrame", "pandas.Series"):
        return _fresh_frame(semantic, qn, call, origin)
    if qn in ("numpy.array", "pandas.concat", "pandas.merge") and _copy_kw(call) is False:
        return None
    if qn in ("builtins.list", "builtins.dict", "builtins.set", "builtins.sorted"):
        kind = semantic.value_of(call).kind
        if deep and not _deep_builtin(semantic, qn, call):
            return None
        return Fresh(kind, origin)
    if qn == "copy.copy":
        return None if deep else Fresh("object", origin)
    value = semantic.value_of(call)
    if not value.fresh:
        return None
    if deep and value.kind not in ARRAY_KINDS and qn not in (
        "copy.deepcopy", "pickle.load", "pickle.loads", "joblib.load", "torch.load"
    ):
        return None
    return Fresh(value.kind, origin)


def _deep_builtin(semantic, qn: str, call: cst.Call) -> bool:
    """`dict(a=1)`, `list()`: a container whose items are constants or new objects."""
    if positional(call):
        return False
    return all(_deep_item(semantic, a.value) for a in call.args)


def _fresh_frame(semantic, qn: str, call: cst.Call, origin: str) -> Optional[Fresh]:
    kind = "dataframe" if qn == "pandas.DataFrame" else "series"
    copy = _copy_kw(call)
    if copy is True:
        return Fresh(kind, origin)
    if copy is False:
        return None
    args = positional(call)
    data = args[0].value if args else None
    kw = keyword(call, "data")
    if kw is not None:
        data = kw.value
    if data is None or is_none(data):
        return Fresh(kind, origin)
    # pandas builds new arrays from lists and dicts (a dict is copied by default); it wraps
    # an ndarray, Series or DataFrame without copying, so the frame is new only if that
    # input itself is a new object nothing else references.
    if isinstance(data, (cst.List, cst.Dict, cst.ListComp, cst.DictComp, cst.GeneratorExp,
                         cst.Tuple)):
        return Fresh(kind, origin)
    value = semantic.value_of(data)
    if value.kind in ("list", "dict"):
        return Fresh(kind, origin)
    if not type(data) is cst.Name and fresh_origin(semantic, data) is not None:
        return Fresh(kind, origin)
    return None
