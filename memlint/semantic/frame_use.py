"""How a DataFrame read from a file is used afterwards, so MEM101 can say what bound applies.

Given a frame bound to a name (`df = pd.read_csv(p)`), the uses of that binding (up to its
next rebinding) are sorted into what they need of the frame:

- **columns**: `df["a"]`, `df[["a", "b"]]`, `df.a` read only those columns;
- **casts**: `df["x"] = df["x"].astype("float32")`, `pd.to_datetime(df["x"])` stored back, or
  `df.astype(...)`: the frame first holds the column in the inferred dtype;
- **sample**: `df = df.sample(5_000)` / `df.head(1000)` rebinding the name: only some rows
  are kept;
- **array**: `df.to_numpy()` / `df.values`: the whole frame becomes one array;
- **neutral**: `len(df)`, `df.shape`, `df.columns`, `df.head()`, `print(df)`: no data kept;
- **whole**: anything else (passed on, returned, iterated, captured, other methods): the
  code may need every column and row, and no bound can be proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set

import libcst as cst

from memlint.semantic.syntax import int_value

NEUTRAL_ATTRIBUTES = frozenset("shape columns dtypes index ndim size empty".split())
WHOLE_ATTRIBUTES = frozenset("plot loc iloc at iat T style sparse attrs axes flags str".split())
NEUTRAL_METHODS = frozenset("head tail info memory_usage".split())
SAMPLING_METHODS = frozenset("sample head tail".split())
CASTING_CALLS = frozenset("pandas.to_datetime pandas.to_numeric pandas.Categorical".split())
NEUTRAL_CALLS = frozenset("builtins.len builtins.print display IPython.display.display".split())


@dataclass
class FrameUse:
    columns: List[str] = field(default_factory=list)
    casts: List[str] = field(default_factory=list)  # cast columns; "*" for the whole frame
    sample: Optional[str] = None  # "sample(5,000)" when rows are sampled
    array: bool = False
    whole: bool = False

    def add_columns(self, names) -> None:
        for n in names:
            if n not in self.columns:
                self.columns.append(n)


def _string(node) -> Optional[str]:
    if type(node) is cst.SimpleString:
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - malformed literal: not a column name
            return None
        return value if isinstance(value, str) else None
    return None


def subscript_columns(sub: cst.Subscript) -> Optional[List[str]]:
    """`df["a"]` -> ["a"]; `df[["a", "b"]]` -> ["a", "b"]; anything else (a mask, a slice,
    a variable) -> None."""
    if len(sub.slice) != 1 or type(sub.slice[0].slice) is not cst.Index:
        return None
    key = sub.slice[0].slice.value
    one = _string(key)
    if one is not None:
        return [one]
    if type(key) in (cst.List, cst.Tuple) and key.elements:
        names = [_string(el.value) if type(el) is cst.Element else None for el in key.elements]
        if all(n is not None for n in names):
            return names
    return None


def _is_cast_of(value, sub: cst.Subscript, model) -> bool:
    """Is `value` a cast of the column `sub` (`df["x"].astype(...)`, `pd.to_datetime(df["x"])`)?"""
    if type(value) is not cst.Call:
        return False
    func = value.func
    if type(func) is cst.Attribute and func.attr.value == "astype":
        return type(func.value) is cst.Subscript and func.value.deep_equals(sub)
    if model.qualified_name(func) in CASTING_CALLS and value.args:
        first = value.args[0].value
        return type(first) is cst.Subscript and first.deep_equals(sub)
    return False


def _sample_size(call: cst.Call) -> Optional[str]:
    """`sample(5_000)`, `sample(n=500)`, `head(1000)` -> "5,000"; `sample(frac=0.1)` ->
    "frac=0.1"; a shuffle (`frac=1`) or an unknown size -> None."""
    for arg in call.args:
        if arg.keyword is None or arg.keyword.value == "n":
            n = int_value(arg.value)
            return f"{n:,}" if n is not None else None
        if arg.keyword.value == "frac" and type(arg.value) is cst.Float:
            try:
                frac = float(arg.value.value)
            except ValueError:
                return None
            return f"frac={arg.value.value}" if frac < 1 else None
    return None


def classify_chain(node: cst.CSTNode, parent, grandparent, model, out: FrameUse,
                   kept: bool = True) -> None:
    """What the expression `node` (the frame) is used for, from its parent and the parent's
    parent: a column subscript, a method call, an attribute, or anything else (whole)."""
    t = type(parent)
    if t is cst.Subscript and parent.value is node:
        cols = subscript_columns(parent)
        if cols is None:
            out.whole = True
        else:
            out.add_columns(cols)
        return
    if t is cst.Attribute and parent.value is node:
        attr = parent.attr.value
        called = type(grandparent) is cst.Call and grandparent.func is parent
        if called:
            if attr == "to_numpy":
                out.array = True
            elif attr == "astype":
                out.casts.append("*")
            elif attr in NEUTRAL_METHODS and not grandparent.args:
                pass
            elif attr in SAMPLING_METHODS and grandparent.args:
                n = _sample_size(grandparent)
                if not kept:
                    pass  # `df.head(3)` shown, not kept: nothing of the frame is kept
                elif n is not None:
                    out.sample = f"{attr}({n})"
                else:
                    out.whole = True
            else:
                out.whole = True
            return
        if attr == "values":
            out.array = True
        elif attr in NEUTRAL_ATTRIBUTES:
            pass
        elif attr in WHOLE_ATTRIBUTES or attr.startswith("_"):
            out.whole = True
        else:
            out.add_columns([attr])  # `df.amount`: a column
        return
    out.whole = True


def classify_uses(uses, after: int, model) -> FrameUse:
    """Sort the uses of one binding (`uses`: the name's Use records in source order, `after`:
    the use counter when the frame was bound) into a FrameUse."""
    out = FrameUse()
    rebinding = None  # the Assign that rebinds the name: its own reads are of the old frame
    for use in uses:
        if use.index <= after:
            continue
        parents = use.parents
        if rebinding is not None and not any(p is rebinding for p in parents):
            break
        kind = use.kind
        if kind == "store":
            holder = parents[-2] if len(parents) >= 2 else None
            if type(holder) is cst.Assign and rebinding is None:
                rebinding = holder
                continue
            break
        parent = parents[-1] if parents else None
        grand = parents[-2] if len(parents) >= 2 else None
        if kind == "item-store":
            sub = parent
            holder = grand if type(grand) is cst.AssignTarget else None
            stmt = parents[-3] if holder is not None and len(parents) >= 3 else None
            cols = subscript_columns(sub) if type(sub) is cst.Subscript else None
            if type(stmt) is cst.Assign and cols and len(cols) == 1 and _is_cast_of(stmt.value, sub, model):
                out.casts.append(cols[0])
            continue  # a new or replaced column: reads nothing of the frame
        if kind == "arg":
            call = grand
            if type(call) is cst.Call and (model.qualified_name(call.func) in NEUTRAL_CALLS
                                           or use.detail in ("display", "print")):
                continue
            out.whole = True
            continue
        if kind in ("subscript", "attr", "method"):
            # a value only shown (`df.head(3)` as a statement, a notebook's display) keeps
            # nothing of the frame
            shown = any(type(p) is cst.Expr for p in parents) and not any(
                type(p) in (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Return) for p in parents)
            classify_chain(use.node, parent, grand, model, out, kept=not shown)
            continue
        if kind == "del":
            break  # `del df`: the frame's life ends here
        out.whole = True
    return out
