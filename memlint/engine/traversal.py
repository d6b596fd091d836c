"""The engine's single walk over a libcst tree: the semantic model's hooks, then every rule's.

Iterative, so deep nesting cannot overflow the stack; it opens only the fields that can hold
code (never whitespace or punctuation), which roughly halves the nodes it touches.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import child_fields
from memlint.semantic import SemanticModel

def traverse(module: cst.Module, semantic: SemanticModel, rules: List[Rule], failed: dict,
              roomy: bool = True) -> None:
    """One depth-first walk over the tree, iterative so deep nesting cannot overflow the stack.

    For each node, the semantic model's visit hook runs first, then the rules'; leave hooks
    run in reverse, with the semantic model's last.
    """
    dispatch: Dict[type, Tuple[list, list, Tuple[str, ...]]] = {}

    def hooks_for(cls: type) -> Tuple[list, list, Tuple[str, ...]]:
        name = cls.__name__
        visits, leaves = [], []
        sv = getattr(semantic, "visit_" + name, None)
        if sv is not None:
            visits.append((None, sv))
        for r in rules:
            v = getattr(r, "visit_" + name, None)
            if v is not None:
                visits.append((r, v))
            lv = getattr(r, "leave_" + name, None)
            if lv is not None:
                leaves.append((r, lv))
        leaves.reverse()
        sl = getattr(semantic, "leave_" + name, None)
        if sl is not None:
            leaves.append((None, sl))
        # A tuple: the traversal pushes it as the "leave this node" marker (nodes never are).
        return (visits, leaves, tuple(reversed(child_fields(cls))))

    stack = semantic.stack
    push_open, pop_open = stack.append, stack.pop
    is_node = IS_NODE
    todo: list = [module]
    push, pop = todo.append, todo.pop
    while todo:
        node = pop()
        if type(node) is tuple:
            # The marker pushed below: the node on top of `stack` is done; its leave hooks
            # (the marker is its dispatch entry, so no second lookup).
            entry, hooks, node = None, node[1], stack[-1]
        else:
            cls = type(node)
            entry = dispatch.get(cls)
            if entry is None:
                entry = dispatch[cls] = hooks_for(cls)
            hooks, leaves, fields = entry
            if not fields and not hooks and not leaves:
                continue  # a leaf nobody looks at (an operator, a keyword): no need to open it
            push_open(node)
        for owner, fn in hooks:
            if owner is None:
                fn(node)  # the semantic model's: an exception there is memlint's bug
            elif owner not in failed:
                try:
                    fn(node)
                except RecursionError as e:
                    if not roomy:
                        raise  # without room: the whole file is analysed again, with room
                    failed[owner] = e
                except Exception as e:
                    failed[owner] = e
        if entry is None:
            pop_open()
            continue
        push(entry)
        # Children are pushed last to first, so they are popped in source order.
        for fname in fields:
            v = getattr(node, fname)
            t = type(v)
            if t is tuple or t is list:
                for x in reversed(v):
                    tx = type(x)
                    if is_node.get(tx) or (tx not in is_node and node_type(tx)):
                        push(x)
            elif is_node.get(t) or (t not in is_node and node_type(t)):
                push(v)


# type -> is it a libcst node class; filled as types are met (isinstance on the ABC is slow).
IS_NODE: Dict[type, bool] = {list: False, tuple: False, str: False, type(None): False}


def node_type(t: type) -> bool:
    IS_NODE[t] = result = issubclass(t, cst.CSTNode)
    return result
