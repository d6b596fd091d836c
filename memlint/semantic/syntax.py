"""Reading libcst syntax: call arguments, constant values, dotted names.

Shared by the semantic analyses and the rules; nothing here knows about any library.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Tuple

import libcst as cst


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_args(call: cst.Call) -> bool:
    """`f(*a)` or `f(**kw)`: any keyword may be hidden inside, so a rule cannot decide."""
    return any(arg.star for arg in call.args)


def positional(call: cst.Call):
    return [a for a in call.args if a.keyword is None and not a.star]


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def int_value(node: cst.BaseExpression, limit: int = 10**15):
    """The value of a small constant integer expression (`10_000`, `2 ** 20`, `4 * 1024`), else None."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        v = int_value(node.expression, limit)
        return -v if v is not None else None
    if isinstance(node, cst.BinaryOperation):
        left = int_value(node.left, limit)
        right = int_value(node.right, limit)
        if left is None or right is None:
            return None
        op = node.operator
        if isinstance(op, cst.Add):
            v = left + right
        elif isinstance(op, cst.Subtract):
            v = left - right
        elif isinstance(op, cst.Multiply):
            v = left * right
        elif isinstance(op, cst.FloorDivide) and right:
            v = left // right
        elif isinstance(op, cst.Power) and 0 <= right <= 64 and abs(left) <= 10**6:
            v = left ** right
        else:
            return None
        return v if abs(v) <= limit else None
    return None


def source_text(node: cst.CSTNode) -> str:
    """The node's code as written."""
    return cst.Module([]).code_for_node(node)


def named_call(receiver: cst.BaseExpression, tail: str, limit: int = 40) -> str:
    """A message's name for a method call on `receiver`: `f.readlines()` as written, or
    "this `.toarray()`" when the receiver is longer than `limit` or spans lines.

    `tail` is what follows the receiver's dot: "readlines()", "read().splitlines()".
    """
    text = source_text(receiver).strip()
    if text and len(text) <= limit and "\n" not in text:
        return f"`{text}.{tail}`"
    return f"this `.{tail}`"


_ABBREVIATIONS = (("numpy.", "np."), ("pandas.", "pd."), ("tensorflow.", "tf."),
                  ("jax.numpy.", "jnp."))


def short_name(qualified: str) -> str:
    """`numpy.zeros` -> `np.zeros`, as users import them (numpy, pandas, tensorflow,
    jax.numpy); other names as they are."""
    for long, abbrev in _ABBREVIATIONS:
        if qualified.startswith(long):
            return abbrev + qualified[len(long):]
    return qualified


def shape_size(node: cst.BaseExpression):
    """Element count of a constant shape: an int, or a tuple/list of ints; else None."""
    if isinstance(node, (cst.Tuple, cst.List)):
        total = 1
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                return None
            v = int_value(el.value)
            if v is None or v < 0:
                return None
            total *= v
        return total
    v = int_value(node)
    return v if v is not None and v >= 0 else None


# Fields that hold only whitespace, comments or punctuation: no rule looks inside them, and
# skipping them roughly halves the nodes the traversal touches.
_SKIPPED_FIELDS = frozenset(
    "lpar rpar comma semicolon colon equal dot lbracket rbracket lbrace rbrace header footer "
    "leading_lines lines_after_decorators newline star asynchronous arrow walrus "
    "whitespace".split()
)
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def child_fields(cls: type) -> Tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _SKIPPED_FIELDS and "whitespace" not in f.name
        )
        _FIELDS[cls] = names
    return names
