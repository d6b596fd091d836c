"""Small helpers the rules share for reading calls."""

from __future__ import annotations

from typing import Optional

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


def human_bytes(n: int) -> str:
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 100 or value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"
