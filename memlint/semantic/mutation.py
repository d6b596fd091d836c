"""What one use of a local name does to the object it refers to.

`effect(use, scope, semantic, kind)` reads a recorded `Use` (see model.Use: its `parents`
are the nodes between its scope and the Name) and answers with one of:

    READ    the object is only read: `len(x)`, `x.shape`, `x["a"].sum()`, `if x:`, `f"{x}"`
    MUTATE  the object, or memory it shares, may be changed in place: `x[...] = v`,
            `x.loc[m, "a"] = v`, `x += 1`, `x.sort()`, `x.fillna(0, inplace=True)`, `x.add_(1)`
    CALL    passed to a call that may mutate or keep it: `f(x)`, `obj.method(x)`, `x()`
    ESCAPE  a reference (or a view) outlives the expression: `y = x`, `v = x.values`,
            `return x`, `yield x`, `[x, y]`, `self.a = x`, a closure capturing `x`
    BIND    the name itself is (re)bound: `x = ...`, `for x in ...`
    DELETE  `del x`

Whatever the analysis cannot follow is CALL or ESCAPE, never READ: callers that look for
"never mutated" or "never escapes" stay silent on anything unusual. A lifetimes rule can use
the same answers: a name whose uses are all READ/MUTATE/DELETE never outlives its scope.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from memlint.semantic.syntax import is_false, is_none, keyword
from memlint.semantic import methods
from memlint.semantic.fresh import ARRAY_KINDS

READ = "read"
MUTATE = "mutate"
CALL = "call"
ESCAPE = "escape"
BIND = "bind"
DELETE = "delete"

# Methods that change their receiver in place (semantic.methods). Any method ending in a single
# underscore (torch's `add_`, `zero_`, ...), any dunder, and any call with a non-False
# `inplace=` count as mutators too.
MUTATORS = methods.with_effect(methods.MUTATES)

# Methods of array-like objects whose result never shares memory with the receiver (a new
# object or a scalar), so nothing done with the result can affect it.
INDEPENDENT = frozenset(
    # reductions and statistics
    "sum mean median min max std var sem prod count nunique mode quantile describe corr cov "
    "value_counts unique any all argmax argmin idxmax idxmin nanmean argsort searchsorted "
    "nonzero memory_usage equals isna notna isnull notnull duplicated "
    # conversions and output
    "tolist to_list to_dict to_json to_csv to_parquet to_pickle to_string to_records to_sql "
    "to_excel to_markdown to_latex to_html to_feather to_hdf tobytes tofile dump dumps info "
    # new objects (PANDAS_FRESH_METHODS / NUMPY_FRESH_METHODS that are never views)
    "copy merge join assign drop astype sort_values sort_index reset_index set_index rename "
    "replace fillna round clip abs cumsum cumprod diff pct_change shift interpolate where mask "
    "melt pivot pivot_table explode agg aggregate flatten dot toarray todense ffill bfill rank "
    "add_prefix add_suffix repeat take compress "
    # selections that copy (take / boolean loc), even if pandas < 3 marks them `_is_copy`
    "dropna drop_duplicates query sample nlargest nsmallest filter reindex".split()
)
# Methods that hand the receiver, or views of its rows or columns, to a function argument,
# which may mutate or keep them: `df.apply(f)`, `df.pipe(f)`, `df.assign(c=lambda d: ...)`.
CALLBACKS = frozenset(
    "apply applymap map transform agg aggregate pipe where mask assign combine".split()
)
# Attributes that hold no mutable view of the data: scalars, tuples, dtypes.
SAFE_ATTRS = frozenset(
    "shape ndim size dtype dtypes nbytes itemsize name empty is_unique hasnans nnz format "
    "device is_cuda requires_grad".split()
)
# Attributes of frames and arrays whose methods are pandas' / numpy's own; a method of any
# other attribute (a registered accessor such as `df.geo`) is treated as an unknown call.
ACCESSORS = frozenset(
    "str dt cat sparse plot style loc iloc at iat values array T mT real imag flat index "
    "columns dtypes shape data grad".split()
)
# pandas axes: their labels are immutable, but the Index object (its `name`) belongs to the
# frame, so binding it to a name is still an escape; reading or iterating it is not.
AXIS_ATTRS = frozenset(("columns", "index"))
# Methods of builtin containers that only read.
CONTAINER_READERS = {
    "list": frozenset("copy count index".split()),
    "dict": frozenset("copy get keys values items".split()),
    "set": frozenset(
        "copy union intersection difference symmetric_difference issubset issuperset "
        "isdisjoint".split()
    ),
}
# Functions that only read their arguments and return something new (when given no `out=`).
PURE_FUNCTIONS = frozenset(
    "builtins." + n
    for n in "len print repr str isinstance issubclass type id hash bool int float complex "
    "format callable abs round sum any all".split()
) | frozenset(
    "numpy." + n
    for n in "sum mean median std var min max amin amax average percentile quantile argmax "
    "argmin any all count_nonzero allclose array_equal array_equiv isclose isnan isfinite "
    "isinf unique histogram nanmean nansum nanstd nanvar nanmin nanmax nanmedian shape ndim "
    "size prod sqrt log log1p log2 log10 exp expm1 abs absolute sign sort argsort dot matmul "
    "corrcoef cov cumsum cumprod diff round clip concatenate stack vstack hstack "
    "column_stack where array_str array_repr linalg.norm".split()
) | frozenset(
    "pandas." + n for n in "isna isnull notna notnull concat merge".split()
)

_PASS_THROUGH = (cst.BooleanOperation,)


def is_mutator_call(call: cst.Call, method: str) -> bool:
    if method in MUTATORS:
        return True
    if method.startswith("__") and method.endswith("__"):
        return True
    if method.endswith("_") and not method.endswith("__"):
        return True
    inplace = keyword(call, "inplace")
    if inplace is not None and not (is_false(inplace.value) or is_none(inplace.value)):
        return True
    return False


def _method_effect(call: cst.Call, method: str, kind: str, derived: bool) -> Optional[str]:
    """MUTATE, READ (result independent of the receiver) or None (result may share)."""
    if is_mutator_call(call, method):
        return MUTATE
    if kind in ARRAY_KINDS:
        if any(type(a.value) is cst.Lambda for a in call.args) or (
            method in CALLBACKS and any(_maybe_callable(a.value) for a in call.args)
        ) or (keyword(call, "key") is not None and _maybe_callable(keyword(call, "key").value)):
            return CALL
        if method in INDEPENDENT and keyword(call, "copy") is None and not (
            method == "copy" and call.args
        ):
            return READ
        return None
    if not derived and kind in CONTAINER_READERS:
        if method in CONTAINER_READERS[kind]:
            return READ if method in ("copy", "count", "index", "get") else None
        return MUTATE
    return CALL  # unknown object: any method may change it or keep a reference to it


def _maybe_callable(node) -> bool:
    return type(node) in (cst.Name, cst.Attribute, cst.Call, cst.Lambda) and not (
        type(node) is cst.Name and node.value in ("None", "True", "False")
    )


def effect(use, scope, semantic, kind: str = "unknown", elements: bool = False) -> str:
    """What `use` (a Use of a name bound in `scope`) does with the object; see the module doc.

    `kind` is the object's values.Value kind. `elements` says the objects a container holds
    matter too (the name holds a deep copy): then iterating it, which hands out those
    objects, is an escape.
    """
    if use.kind == "store":
        return BIND
    if use.kind == "del":
        return DELETE
    parents = use.parents
    if not parents or parents[0] is not scope.node:
        return ESCAPE  # used inside a nested function, lambda or class: captured
    if use.kind == "aug":
        return MUTATE
    cur = use.node
    i = len(parents) - 1
    derived = False
    safe = None  # "all" / "axis": the derived value shares no mutable memory with the object
    while i >= 0:
        parent = parents[i]
        if type(parent) is cst.Attribute and parent.value is cur:
            call = parents[i - 1] if i >= 1 else None
            if type(call) is cst.Call and call.func is parent:
                method = parent.attr.value
                if (kind in ARRAY_KINDS and type(cur) is cst.Attribute
                        and cur.attr.value not in ACCESSORS):
                    return CALL  # `df.geo.set_crs(...)`: a registered accessor may do anything
                root_kind = kind if not derived or kind in ARRAY_KINDS else "unknown"
                verdict = _method_effect(call, method, root_kind, derived)
                if verdict is not None:
                    return verdict
                cur, i, derived = call, i - 2, True
                continue
            if kind in ARRAY_KINDS and not derived:
                if parent.attr.value in SAFE_ATTRS:
                    safe = "all"
                elif parent.attr.value in AXIS_ATTRS and kind in ("dataframe", "series"):
                    safe = "axis"
            cur, i, derived = parent, i - 1, True
            continue
        if type(parent) is cst.Subscript and parent.value is cur:
            if kind in ARRAY_KINDS and _copying_selection(parent, cur, use.node):
                safe = "all"  # `x[mask]`, `x[["a", "b"]]`: advanced indexing copies
            cur, i, derived = parent, i - 1, True
            continue
        if isinstance(parent, _PASS_THROUGH) or (
            type(parent) is cst.IfExp and parent.test is not cur
        ):
            cur, i = parent, i - 1
            continue
        verdict = _consumer(parents, i, cur, derived, semantic, kind, elements)
        if safe and verdict in (CALL, ESCAPE):
            # `n = x.shape[0]`, `f(x.columns)`: nothing of x is handed out
            if safe == "all" or not _bound(parents, i, cur):
                return READ
        return verdict
    return ESCAPE


def _bound(parents, i, cur) -> bool:
    holder = parents[i] if i >= 0 else None
    return type(holder) in (cst.Assign, cst.AnnAssign, cst.NamedExpr) and holder.value is cur


def _consumer(parents, i, cur, derived, semantic, kind, elements) -> str:
    holder = parents[i]
    if type(holder) in (cst.AssignTarget, cst.AnnAssign) and holder.target is cur:
        return MUTATE if derived else BIND
    if type(holder) is cst.AugAssign:
        if holder.target is cur:
            return MUTATE
        return READ if kind in ARRAY_KINDS and not elements else ESCAPE
    if type(holder) is cst.Del:
        return MUTATE if derived else DELETE
    if type(holder) in (cst.Element, cst.StarredElement) and _in_target(parents, i - 1):
        return MUTATE if derived else BIND
    if type(holder) is cst.Expr:
        return READ
    if isinstance(holder, (cst.Comparison, cst.ComparisonTarget, cst.BinaryOperation,
                           cst.UnaryOperation, cst.FormattedStringExpression, cst.Index,
                           cst.Slice)):
        return READ
    if type(holder) is cst.IfExp:  # cur is its test
        return READ
    if type(holder) in (cst.If, cst.While) and holder.test is cur:
        return READ
    if type(holder) is cst.Assert:
        return READ
    if type(holder) is cst.Arg:
        call = parents[i - 1] if i >= 1 else None
        if type(call) is cst.Call and _pure_call(semantic, call) and not holder.star:
            return READ
        return CALL
    if type(holder) is cst.Call:  # cur is the callee
        return CALL
    if type(holder) in (cst.Element, cst.StarredElement) and not derived:
        # `np.concatenate([a, x])`: a container literal handed straight to a pure function
        container = parents[i - 1] if i >= 1 else None
        arg = parents[i - 2] if i >= 2 else None
        call = parents[i - 3] if i >= 3 else None
        if (type(container) in (cst.List, cst.Tuple) and type(arg) is cst.Arg
                and type(call) is cst.Call and _pure_call(semantic, call)
                and not arg.star and not type(holder) is cst.StarredElement):
            return READ
        return ESCAPE
    if type(holder) in (cst.For, cst.CompFor) and holder.iter is cur:
        if derived:
            return ESCAPE
        if kind in ("dataframe", "series"):
            return READ  # column labels / scalars
        if kind in ("list", "dict", "set") and not elements:
            return READ
        return ESCAPE  # ndarray/tensor rows are views; a deep copy's items are its own
    if type(holder) in (cst.With, cst.WithItem):
        return CALL
    return ESCAPE  # Assign value, return, yield, await, raise, containers, walrus, ...


_MASK_METHODS = frozenset(
    "isin isna notna isnull notnull between duplicated contains startswith endswith "
    "match".split()
)


def _copying_selection(sub: cst.Subscript, base, name) -> bool:
    """`x[mask]`, `x[[cols]]`, `x.loc[mask]`: indexing that returns a copy, never a view."""
    if not (base is name or (type(base) is cst.Attribute and base.value is name
                             and base.attr.value == "loc")):
        return False
    if len(sub.slice) != 1 or not type(sub.slice[0].slice) is cst.Index:
        return False
    key = sub.slice[0].slice.value
    return type(key) is cst.List or _is_mask(key)


def _is_mask(node) -> bool:
    if type(node) is cst.Comparison:
        return True
    if type(node) is cst.UnaryOperation and type(node.operator) is cst.BitInvert:
        return _is_mask(node.expression)
    if type(node) is cst.BinaryOperation and isinstance(
        node.operator, (cst.BitAnd, cst.BitOr, cst.BitXor)
    ):
        return _is_mask(node.left) and _is_mask(node.right)
    if type(node) is cst.Call and type(node.func) is cst.Attribute:
        return node.func.attr.value in _MASK_METHODS
    return False


def _in_target(parents, i) -> bool:
    """Is the container at parents[i] (possibly nested) an assignment or loop target?"""
    node = parents[i] if i >= 0 else None
    while i >= 1 and type(node) in (cst.Tuple, cst.List):
        holder = parents[i - 1]
        if type(holder) in (cst.AssignTarget, cst.For, cst.CompFor) and holder.target is node:
            return True
        if type(holder) in (cst.Element, cst.StarredElement):
            i -= 2
            node = parents[i] if i >= 0 else None
            continue
        return False
    return False


def _pure_call(semantic, call: cst.Call) -> bool:
    if keyword(call, "out") is not None:
        return False
    qn = semantic.qualified_name(call.func)
    if qn is None or qn not in PURE_FUNCTIONS:
        return False
    if qn in ("pandas.concat", "pandas.merge") and keyword(call, "copy") is not None:
        return False
    return True
