"""How a DataFrame read from a file is used afterwards, so MEM101 can say what bound applies.

Given a frame bound to a name (`df = pd.read_csv(p)`), the uses of that binding (up to its
next rebinding) are sorted into what they need of the frame:

- **columns**: `df["a"]`, `df[["a", "b"]]`, `df.a` read only those columns;
- **casts**: `df["x"] = df["x"].astype("float32")`, `pd.to_numeric(df["x"])` stored back, or
  `df.astype("float32")`, to a narrower number than pandas infers: the frame first holds
  the column in the inferred dtype;
- **sample**: `df = df.sample(5_000)` / `df.head(1000)` rebinding the name: only some rows
  are kept;
- **array**: `df.to_numpy()` / `df.values`: the whole frame becomes one array;
- **neutral**: `len(df)`, `df.shape`, `df.columns`, `df.memory_usage()`: no column read;
- **whole**: anything else (passed on, returned, iterated, captured, other methods, and
  shown: `print(df)`, `df.head(3)` or `df` as a notebook cell's value display every
  column): the code may need every column and row, and no bound can be proposed.

A column stored before it is ever read (`df["ds"] = pd.to_datetime(df["date"])`) is made by
the code, not read from the file: later reads of it name no column of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set

import libcst as cst

from memlint.semantic.syntax import int_value

NEUTRAL_ATTRIBUTES = frozenset("shape columns dtypes index ndim size empty".split())
WHOLE_ATTRIBUTES = frozenset("plot loc iloc at iat T style sparse attrs axes flags str".split())
NEUTRAL_METHODS = frozenset("memory_usage".split())
SAMPLING_METHODS = frozenset("sample head tail".split())
# Casts that dtype= at read time can declare with the same result: narrower numbers. (A
# category declared at read time parses its categories as strings, and datetimes need
# parse_dates=, so neither is proposed as a dtype.)
CASTING_CALLS = frozenset(["pandas.to_numeric"])
NARROW_DTYPES = frozenset("float32 float16 int8 int16 int32 uint8 uint16 uint32 half single".split())
NEUTRAL_CALLS = frozenset(["builtins.len"])


@dataclass
class FrameUse:
    columns: List[str] = field(default_factory=list)
    casts: List[str] = field(default_factory=list)  # cast columns; "*" for the whole frame
    created: List[str] = field(default_factory=list)  # columns the code makes before reading
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
    """Is `value` a cast of the column `sub` (`df["x"].astype("float32")`, `pd.to_numeric(df["x"])`)?"""
    if type(value) is not cst.Call:
        return False
    func = value.func
    if type(func) is cst.Attribute and func.attr.value == "astype":
        return (type(func.value) is cst.Subscript and func.value.deep_equals(sub)
                and bool(value.args) and _narrow_dtype(value.args[0].value))
    if model.qualified_name(func) in CASTING_CALLS and value.args:
        first = value.args[0].value
        return type(first) is cst.Subscript and first.deep_equals(sub)
    return False


def _narrow_dtype(node) -> bool:
    """`"float32"`, `np.float32`, `"int8"`...: a dtype narrower than what pandas infers."""
    if type(node) is cst.SimpleString:
        text = _string(node)
        return text is not None and text.lower() in NARROW_DTYPES
    if type(node) is cst.Attribute:
        return node.attr.value in NARROW_DTYPES
    return False


def _mentions(tree, sub: cst.Subscript) -> bool:
    found = []

    class _Find(cst.CSTVisitor):
        def visit_Subscript(self, node: cst.Subscript) -> Optional[bool]:
            if node.deep_equals(sub):
                found.append(node)
            return not found

    tree.visit(_Find())
    return bool(found)


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
            out.add_columns([c for c in cols if c not in out.created])
        return
    if t is cst.Attribute and parent.value is node:
        attr = parent.attr.value
        called = type(grandparent) is cst.Call and grandparent.func is parent
        if called:
            if attr == "to_numpy":
                out.array = True
            elif attr == "astype" and grandparent.args and _narrow_dtype(grandparent.args[0].value):
                out.casts.append("*")
            elif attr in NEUTRAL_METHODS and not grandparent.args:
                pass
            elif attr in SAMPLING_METHODS and grandparent.args and kept:
                n = _sample_size(grandparent)
                if n is not None:
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
        elif attr not in out.created:
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
                if cols[0] not in out.created:
                    out.casts.append(cols[0])
            elif cols and type(stmt) is cst.Assign and not _mentions(stmt.value, sub):
                out.created.extend(c for c in cols if c not in out.columns and c not in out.created)
            continue  # a new or replaced column: reads nothing of the frame
        if kind == "arg":
            call = grand
            if type(call) is cst.Call and model.qualified_name(call.func) in NEUTRAL_CALLS:
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
