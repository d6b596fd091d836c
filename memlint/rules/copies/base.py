"""What the rules about copies of local names (MEM302, MEM303) share.

During the traversal they note every copy statement (`y = x.copy()`) and, for every simple
assignment `x = <expr>`, whether `<expr>` was a new object owning its data (evaluated right
there, with the names as bound at that point). At the end of the scope, when every use of
every name has been recorded, each rule decides from the uses (semantic/mutation.py).
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.fresh import copy_call, fresh_origin
from memlint.semantic.mutation import effect

_LOOPS = (cst.For, cst.While)


class CopyStatement:
    """`target = <copy of receiver>` as seen at the statement."""

    __slots__ = ("scope", "call", "target", "receiver", "spelling", "deep", "loop",
                 "target_node", "receiver_node", "value")

    def __init__(self, scope, call, target_node, receiver_node, spelling, deep, loop, value):
        self.scope = scope
        self.call = call
        self.target = target_node.value
        self.receiver = receiver_node.value
        self.target_node = target_node
        self.receiver_node = receiver_node
        self.spelling = spelling
        self.deep = deep
        self.loop = loop  # the outermost loop of the scope around the statement, or None
        self.value = value  # the receiver's values.Value just before the statement


_HANDLERS = tuple(
    getattr(cst, n) for n in ("ExceptHandler", "ExceptStarHandler", "Finally") if hasattr(cst, n)
)


def _skippable(store, use) -> bool:
    parents = use.parents
    for i in range(1, len(parents)):
        if isinstance(parents[i], _HANDLERS):
            try_node = parents[i - 1]
            if any(p is try_node for p in store.parents):
                return True
    return False


class CopyTracking(Rule):
    """Base of the copy-of-a-name rules; not a rule itself (it has no code)."""

    needs = frozenset({"uses"})
    # Which scopes the rule judges.
    scope_kinds = ("function", "module")

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self._copies: List[CopyStatement] = []
        # id(Name node of an assignment target) -> (shallow fresh origin, deep fresh origin)
        self._bindings: Dict[int, tuple] = {}
        self._declared = set()  # names declared global or nonlocal anywhere: not followed

    # --- recording --------------------------------------------------------------------------
    def visit_Global(self, node: cst.Global) -> None:
        self._declared.update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._declared.update(n.name.value for n in node.names)

    def leave_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not type(node.targets[0].target) is cst.Name:
            return
        self._note(node.targets[0].target, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and type(node.target) is cst.Name:
            self._note(node.target, node.value)

    def _note(self, target: cst.Name, value: cst.BaseExpression) -> None:
        sem = self.ctx.semantic
        scope = sem.scope
        if scope.kind not in self.scope_kinds:
            return
        if isinstance(value, (cst.Call, cst.BinaryOperation, cst.List, cst.Dict, cst.Set,
                              cst.ListComp, cst.DictComp, cst.SetComp)):
            self._bindings[id(target)] = (fresh_origin(sem, value), fresh_origin(sem, value, deep=True))
        found = copy_call(sem, value)
        if found is None or not type(found[0]) is cst.Name:
            return
        receiver, spelling, deep = found
        if sem.lookup(receiver.value) is not scope or sem.lookup(target.value) is not scope:
            return
        self._copies.append(
            CopyStatement(scope, value, target, receiver, spelling, deep, self._outer_loop(scope),
                          sem.value_of(receiver))
        )

    def _outer_loop(self, scope) -> Optional[cst.CSTNode]:
        stack = self.ctx.stack
        start = 0
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is scope.node:
                start = i
                break
        for node in stack[start + 1:]:
            if isinstance(node, _LOOPS):
                return node
        return None

    # --- deciding ---------------------------------------------------------------------------
    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._finish()

    def leave_Module(self, node: cst.Module) -> None:
        self._finish()

    def _finish(self) -> None:
        scope = self.ctx.semantic.scope
        mine = [c for c in self._copies if c.scope is scope]
        if not mine:
            return
        self._copies = [c for c in self._copies if c.scope is not scope]
        for c in mine:
            if c.receiver in self._declared or c.target in self._declared:
                continue
            self.judge(c)

    def judge(self, c: CopyStatement) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    # --- helpers for judge() ----------------------------------------------------------------
    def uses(self, c: CopyStatement, name: str):
        return c.scope.uses.get(name, [])

    def use_of(self, c: CopyStatement, name: str, node: cst.CSTNode):
        for u in self.uses(c, name):
            if u.node is node:
                return u
        return None

    def binding_before(self, c: CopyStatement, name: str, index: int):
        """The last store of `name` before use number `index`, other than the copy's own."""
        best = None
        for u in self.uses(c, name):
            if u.index >= index:
                break
            if u.kind == "store" and u.node is not c.target_node:
                best = u
        return best

    def binding_origin(self, c: CopyStatement, store, deep: bool, at=None):
        """What made the object bound by `store` new, or None (see fresh.fresh_origin).

        With `at` (a later use), also None when the binding may not have run before it: the
        binding is in a `try` body and `at` in one of its handlers or its `finally`.
        """
        if store is None or not store.parents or store.parents[0] is not c.scope.node:
            return None
        if at is not None and _skippable(store, at):
            return None
        pair = self._bindings.get(id(store.node))
        if pair is None:
            return None
        return pair[1] if deep else pair[0]

    def in_loop(self, use, loop) -> bool:
        return loop is not None and any(p is loop for p in use.parents)

    def effect(self, c: CopyStatement, use, kind: str, elements: bool = False) -> str:
        return effect(use, c.scope, self.ctx.semantic, kind, elements)
