"""Loops over the rows of data, and expressions that hold one row or a batch of one row.

A loop's variables are split by what they hold on each iteration:
- `index`: an integer position (`for i in range(len(X))`, `enumerate`'s counter) or a row
  label (`iterrows`' index);
- `elems`: one element of what is iterated (`for x in X`, `for text in texts`);
- `strong`: the subset of `elems` known to be exactly one row of a table (`iterrows`,
  `itertuples`, the argument of `df.apply(f, axis=1)`).

`classify()` then says whether an expression is derived from one row (ROW), from a row of a
strong loop (STRONG, whatever function computed it), or is a batch holding exactly one row
built from it (BATCH1: `x.reshape(1, -1)`, `x[None]`, `[x]`, `X[i:i+1]`, `X.iloc[[i]]`...).
Anything else is None. Loops over calls memlint does not know (a data loader, a generator,
`np.array_split`, a file) have no row variables: their elements may be batches or a stream.
"""

from __future__ import annotations

from typing import Dict, Optional, Set

import libcst as cst

from memlint.semantic.bindings import mentions
from memlint.semantic.syntax import int_value

ROW = "row"
STRONG = "strong-row"
BATCH1 = "batch-of-one"

_PROGRESS = frozenset(
    "tqdm.tqdm tqdm.auto.tqdm tqdm.notebook.tqdm tqdm.std.tqdm tqdm.rich.tqdm".split()
)
_RANGES = frozenset({"builtins.range", "tqdm.trange", "tqdm.auto.trange", "tqdm.notebook.trange"})
_SEQUENCE_WRAPPERS = frozenset(
    "builtins.list builtins.tuple builtins.reversed builtins.sorted numpy.array "
    "numpy.asarray".split()
)
# Element-wise conversions: the result holds what their first argument held.
CONVERSIONS = frozenset(
    "numpy.array numpy.asarray numpy.asanyarray numpy.ascontiguousarray numpy.float32 "
    "torch.tensor torch.as_tensor torch.from_numpy torch.Tensor torch.FloatTensor "
    "tensorflow.constant tensorflow.convert_to_tensor pandas.DataFrame pandas.Series "
    "scipy.sparse.csr_matrix".split()
)
# Methods that keep the shape (up to a dtype, device or container change).
KEEP_SHAPE = frozenset(
    "to_numpy astype float double half to cpu cuda numpy copy clone detach tolist "
    "to_list".split()
)
_EXPAND = frozenset({"numpy.expand_dims", "tensorflow.expand_dims", "torch.unsqueeze"})


class LoopVars:
    __slots__ = ("index", "elems", "strong")

    def __init__(self) -> None:
        self.index: Set[str] = set()
        self.elems: Set[str] = set()
        self.strong: Set[str] = set()

    def merge(self, other: Optional["LoopVars"]) -> None:
        if other is not None:
            self.index |= other.index
            self.elems |= other.elems
            self.strong |= other.strong

    def names(self) -> Set[str]:
        return self.index | self.elems

    def __bool__(self) -> bool:
        return bool(self.index or self.elems)


def _names(target: cst.BaseExpression):
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from _names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from _names(target.value)


def _args(call: cst.Call):
    if any(a.star for a in call.args):
        return None
    return [a.value for a in call.args if a.keyword is None]


def _tuple_targets(target: cst.BaseExpression, n: int):
    if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == n and all(
        isinstance(el, cst.Element) for el in target.elements
    ):
        return [el.value for el in target.elements]
    return None


def loop_vars(sem, it: cst.BaseExpression, target: cst.BaseExpression) -> Optional[LoopVars]:
    """What the names bound by `for <target> in <it>` hold, if `it` iterates over data rows."""
    lv = LoopVars()
    if isinstance(it, cst.Call):
        qn = sem.qualified_name(it.func)
        args = _args(it)
        if args is None:
            return None
        if qn in _PROGRESS and args:
            return loop_vars(sem, args[0], target)
        if qn in _RANGES:
            step = args[2] if len(args) == 3 else None
            if not 1 <= len(args) <= 3 or (step is not None and int_value(step) != 1):
                return None  # range(0, n, batch_size): a loop over batches
            if isinstance(target, cst.Name):
                lv.index.add(target.value)
                return lv
            return None
        if qn == "builtins.enumerate" and len(args) == 1:
            parts = _tuple_targets(target, 2)
            if parts is None:
                return None
            lv.index.update(_names(parts[0]))
            lv.merge(loop_vars(sem, args[0], parts[1]))
            return lv
        if qn == "builtins.zip" and args:
            parts = _tuple_targets(target, len(args))
            if parts is None:
                return None
            for arg, part in zip(args, parts):
                lv.merge(loop_vars(sem, arg, part))
            return lv or None
        if qn in _SEQUENCE_WRAPPERS and len(args) == 1:
            return loop_vars(sem, args[0], target)
        if isinstance(it.func, cst.Attribute):
            method = it.func.attr.value
            if method == "iterrows":
                parts = _tuple_targets(target, 2)
                if parts is None:
                    return None
                lv.index.update(_names(parts[0]))
                lv.elems.update(_names(parts[1]))
                lv.strong.update(_names(parts[1]))
                return lv
            if method == "itertuples":
                lv.elems.update(_names(target))
                lv.strong.update(lv.elems)
                return lv
            if method in ("items", "iteritems"):
                parts = _tuple_targets(target, 2)
                if parts is None:
                    return None
                lv.elems.update(_names(parts[1]))
                return lv
            if method in ("to_numpy", "tolist", "to_list"):
                lv.elems.update(_names(target))
                return lv
        return None  # a loader, a generator, np.array_split(...): maybe batches, maybe a stream
    if isinstance(it, (cst.Name, cst.Attribute, cst.Subscript)):
        if sem.qualified_name(it) == "sys.stdin":
            return None
        kind = sem.value_of(it).kind
        if kind in ("file", "dataframe", "dict"):
            return None  # a stream of lines; a frame's or dict's iteration yields its keys
        lv.elems.update(_names(target))
        return lv or None
    return None


def _first_is_one(call: cst.Call) -> bool:
    """`reshape(1, -1)`, `reshape((1, -1))`, `view(1, n)`."""
    args = _args(call)
    if not args:
        return False
    first = args[0]
    if isinstance(first, (cst.Tuple, cst.List)) and first.elements:
        return len(args) == 1 and int_value(first.elements[0].value) == 1
    return int_value(first) == 1 and len(args) >= 2


def _axis_zero(call: cst.Call) -> bool:
    for a in call.args:
        if a.keyword is not None and a.keyword.value in ("axis", "dim"):
            return int_value(a.value) == 0
    args = _args(call) or []
    return len(args) >= 2 and int_value(args[1]) == 0


def _is_one_more(node: cst.BaseExpression, name: str) -> bool:
    """`i + 1` or `1 + i`."""
    if not isinstance(node, cst.BinaryOperation) or not isinstance(node.operator, cst.Add):
        return False
    left, right = node.left, node.right
    return (isinstance(left, cst.Name) and left.value == name and int_value(right) == 1) or (
        isinstance(right, cst.Name) and right.value == name and int_value(left) == 1
    )


def classify(sem, expr: cst.BaseExpression, lv: LoopVars, derived: Dict[str, str]) -> Optional[str]:
    """ROW, STRONG, BATCH1 or None for `expr` inside a loop with variables `lv`; `derived`
    maps names assigned in the loop body to their own class."""
    found = _classify(sem, expr, lv, derived)
    if found is None and lv.strong and mentions(expr, lv.strong | _strong_names(derived)):
        return STRONG  # computed from exactly one table row, by whatever function
    return found


def _strong_names(derived: Dict[str, str]) -> Set[str]:
    return {n for n, c in derived.items() if c == STRONG}


def _row(c: Optional[str]) -> bool:
    return c in (ROW, STRONG)


def _classify(sem, expr, lv: LoopVars, derived) -> Optional[str]:
    if isinstance(expr, cst.Name):
        if expr.value in lv.strong:
            return STRONG
        if expr.value in lv.elems:
            return ROW
        return derived.get(expr.value)
    if isinstance(expr, (cst.List, cst.Tuple)):
        elements = expr.elements
        if not elements or any(not isinstance(el, cst.Element) for el in elements):
            return None
        inner = [classify(sem, el.value, lv, derived) for el in elements]
        if len(elements) == 1 and isinstance(expr, cst.List) and _row(inner[0]):
            return BATCH1  # [x]: a batch holding one sample
        if all(_row(c) for c in inner):
            return STRONG if STRONG in inner else ROW  # [row.a, row.b]: the features of one row
        return None
    if isinstance(expr, cst.Attribute):
        if expr.attr.value == "T" and isinstance(expr.value, cst.Call) and isinstance(
            expr.value.func, cst.Attribute
        ) and expr.value.func.attr.value == "to_frame":
            inner = classify(sem, expr.value.func.value, lv, derived)
            return BATCH1 if _row(inner) else None  # row.to_frame().T: a one-row frame
        if expr.attr.value in ("values", "array"):
            return classify(sem, expr.value, lv, derived)
        inner = classify(sem, expr.value, lv, derived)
        return inner if _row(inner) else None  # row.text, row.features
    if isinstance(expr, cst.Subscript):
        return _subscript(sem, expr, lv, derived)
    if isinstance(expr, cst.Call):
        return _call(sem, expr, lv, derived)
    return None


def _subscript(sem, expr: cst.Subscript, lv: LoopVars, derived) -> Optional[str]:
    if not expr.slice:
        return None
    first = expr.slice[0].slice
    if isinstance(first, cst.Slice):
        lower, upper = first.lower, first.upper
        if (isinstance(lower, cst.Name) and lower.value in lv.names() and first.step is None
                and upper is not None and _is_one_more(upper, lower.value)):
            return BATCH1  # X[i:i+1]
        return None
    index = first.value
    if isinstance(index, cst.List) and len(index.elements) == 1 and isinstance(
        index.elements[0].value, cst.Name
    ) and index.elements[0].value.value in lv.index:
        return BATCH1  # X[[i]], X.iloc[[i]], X.loc[[idx]]
    if isinstance(index, cst.Name) and (index.value in lv.index or index.value in lv.elems):
        return ROW  # X[i], X.iloc[i], X[i, :], cache[key]
    base = classify(sem, expr.value, lv, derived)
    if _row(base):
        if (isinstance(index, cst.Name) and index.value == "None") or (
            sem.qualified_name(index) == "numpy.newaxis"
        ):
            return BATCH1  # x[None], x[np.newaxis, :]
        return base  # row["text"], row[features]
    return None


def _call(sem, call: cst.Call, lv: LoopVars, derived) -> Optional[str]:
    func = call.func
    args = _args(call)
    qn = sem.qualified_name(func)
    if qn is None and isinstance(func, cst.Attribute):
        method = func.attr.value
        inner = classify(sem, func.value, lv, derived)
        if inner is None:
            return None
        if method in ("reshape", "view") and _first_is_one(call):
            return BATCH1
        if method == "unsqueeze" and _axis_zero_or_first(call):
            return BATCH1
        if method in KEEP_SHAPE:
            return inner
        return None
    if not args:
        return None
    inner = classify(sem, args[0], lv, derived)
    if qn in CONVERSIONS:
        return inner
    if qn in _EXPAND and _row(inner) and _axis_zero(call):
        return BATCH1
    if qn == "numpy.atleast_2d" and _row(inner) and len(args) == 1:
        return BATCH1
    if qn in ("numpy.reshape", "torch.reshape") and _row(inner) and len(args) == 2:
        shape = args[1]
        if isinstance(shape, (cst.Tuple, cst.List)) and shape.elements and int_value(
            shape.elements[0].value
        ) == 1:
            return BATCH1  # np.reshape(x, (1, -1))
    return None


def _axis_zero_or_first(call: cst.Call) -> bool:
    args = _args(call) or []
    if args:
        return int_value(args[0]) == 0
    return any(a.keyword is not None and a.keyword.value == "dim" and int_value(a.value) == 0
               for a in call.args)
