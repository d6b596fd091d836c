"""The semantic model: scopes, import resolution, name provenance and name uses.

It is one more participant in the engine's single traversal. Its `visit_*` hooks run before
the rules' and its `leave_*` hooks after them, so a rule always sees the scope it is in, and
at a statement sees names as they were bound *before* that statement.
"""

from __future__ import annotations

import dataclasses

import builtins
from typing import Dict, List, Optional, Tuple

import libcst as cst

from memlint.semantic import bindings as B
from memlint.semantic import scale as S
from memlint.semantic import sklearn as SK
from memlint.semantic.values import ENTER_RETURNS_SELF, UNKNOWN, Value, call_value, method_value

BUILTIN_NAMES = frozenset(dir(builtins))

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# Statements whose bodies may run zero, one or many times: a name bound inside one has an
# unknown value after it.
_BRANCHING = (cst.If, cst.For, cst.While, cst.Try, cst.Match) + (
    (cst.TryStar,) if hasattr(cst, "TryStar") else ()
)


class Use:
    """One occurrence of a local name, in traversal (source) order within its scope."""

    __slots__ = ("name", "node", "kind", "detail", "index", "in_loop", "parents")

    def __init__(self, name, node, kind, detail, index, in_loop, parents=()):
        self.name = name
        self.node = node
        # load | store | del | aug | method | attr | attr-store | item-store | subscript |
        # arg | return | yield | capture
        self.kind = kind
        self.detail = detail  # method name, or the callee's dotted name for "arg"
        self.index = index
        self.in_loop = in_loop
        # The open nodes from the innermost enclosing module/def/lambda/class down to the
        # Name's parent, so helpers (semantic/mutation.py) can tell what the use does.
        self.parents = parents

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Use({self.name}, {self.kind}, {self.detail!r}, #{self.index})"


class Scope:
    __slots__ = ("kind", "node", "parent", "b", "params", "values", "uses", "_snapshots")

    def __init__(self, kind: str, node, parent: Optional["Scope"], b: B.ScopeBindings):
        self.kind = kind  # module | class | function | lambda | comprehension
        self.node = node
        self.parent = parent
        self.b = b
        self.params: Tuple[str, ...] = ()
        self.values: Dict[str, Value] = {}
        self.uses: Dict[str, List[Use]] = {}
        self._snapshots: List[Dict[str, Value]] = []

    def binds(self, name: str) -> bool:
        return name in self.b.names

    def is_param(self, name: str) -> bool:
        return name in self.params


class SemanticModel:
    def __init__(self, record_uses: bool = False):
        self.record_uses = record_uses
        self.scope: Optional[Scope] = None
        self.module_scope: Optional[Scope] = None
        self.stack: List[cst.CSTNode] = []  # set by the engine: the open nodes, root first
        self._use_counter = 0
        self.loop_depth = 0
        # (owner scope, Use) of the Name being visited, when it was recorded as a use; lets a
        # rule's visit_Name (which runs after the model's) find it without a second lookup.
        self.last_use: Optional[Tuple[Scope, Use]] = None

    # --- resolution -------------------------------------------------------------------------
    def lookup(self, name: str) -> Optional[Scope]:
        """The scope that binds `name` as seen from the current scope, or None (builtin/unknown)."""
        scope = self.scope
        first = True
        while scope is not None:
            if scope.kind == "class" and not first:
                scope = scope.parent
                continue
            if name in scope.b.globals:
                return self.module_scope if self.module_scope.binds(name) else None
            # `nonlocal x`: the binding is the enclosing function's, even though this scope
            # assigns to it.
            if scope.binds(name) and name not in scope.b.nonlocals:
                return scope
            scope = scope.parent
            first = False
        return None

    def qualified_name(self, node: cst.CSTNode) -> Optional[str]:
        """The fully qualified name an expression refers to through imports, if it does.

        `pd.read_csv` -> "pandas.read_csv" after `import pandas as pd`; an unshadowed `sum`
        -> "builtins.sum"; a local variable, an attribute of an unknown object -> None.
        """
        attrs: List[str] = []
        while type(node) is cst.Attribute:  # exact types: see _classify
            attrs.append(node.attr.value)
            node = node.value
        if type(node) is not cst.Name:
            return None
        name = node.value
        scope = self.lookup(name)
        if scope is None:
            if name in BUILTIN_NAMES:
                base = "builtins." + name
            else:
                return None
        else:
            quals = scope.b.imports.get(name)
            # A name imported as two different things, or bound both by an import and by an
            # assignment, def or parameter, is ambiguous: stay silent.
            if not quals or len(quals) != 1 or name in scope.b.non_import:
                return None
            base = next(iter(quals))
        if attrs:
            return base + "." + ".".join(reversed(attrs))
        return base

    def is_builtin(self, node: cst.CSTNode, name: str) -> bool:
        return self.qualified_name(node) == "builtins." + name

    def value_of(self, node: cst.CSTNode) -> Value:
        """What `node` evaluates to (see values.Value); UNKNOWN unless memlint can vouch."""
        kind = type(node)  # exact types: see _classify
        if kind is cst.Name:
            scope = self.lookup(node.value)
            if scope is None or scope.b.imports.get(node.value):
                return UNKNOWN
            return scope.values.get(node.value, UNKNOWN)
        if kind is cst.Call:
            func = node.func
            if type(func) is cst.Attribute:
                receiver = self.value_of(func.value)
                if receiver.known:
                    return method_value(receiver, func.attr.value, node)
            qualified = self.qualified_name(func)
            return SK.estimator_value(qualified, node) or call_value(qualified, node)
        literal = _LITERAL_KINDS.get(kind)
        if literal is not None:
            return Value(literal, True)
        if kind is cst.Subscript:
            base = self.value_of(node.value)
            if base.kind in ("dataframe", "series", "ndarray", "tensor", "sparse"):
                return Value(base.kind, False, base.large, "subscript")
            return UNKNOWN
        if kind is cst.BinaryOperation:
            left, right = self.value_of(node.left), self.value_of(node.right)
            if left.kind == "path" and type(node.operator) is cst.Divide:
                return Value("path", True, False, left.origin)  # Path(d) / "name.txt"
            for v in (left, right):
                if v.kind in ("ndarray", "tensor", "dataframe", "series"):
                    return Value(v.kind, True, v.large, "operator")
            return UNKNOWN
        return UNKNOWN

    # --- scopes -----------------------------------------------------------------------------
    def _push(self, kind: str, node, b: B.ScopeBindings) -> Scope:
        scope = Scope(kind, node, self.scope, b)
        self.scope = scope
        return scope

    def _pop(self) -> None:
        self.scope = self.scope.parent

    def visit_Module(self, node: cst.Module) -> None:
        self.module_scope = self._push("module", node, B.collect(node.body, B.ScopeBindings()))

    def leave_Module(self, node: cst.Module) -> None:
        self._pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._push("class", node, B.collect(node.body.body, B.ScopeBindings()))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        b = B.ScopeBindings()
        params = B.parameter_names(node.params)
        for p in params:
            b.bind(p)
        B.collect(node.body.body if type(node.body) is cst.IndentedBlock else node.body.body, b)
        scope = self._push("function", node, b)
        scope.params = tuple(params)
        self._saved_loop = getattr(self, "_saved_loop", [])
        self._saved_loop.append(self.loop_depth)
        self.loop_depth = 0

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._pop()
        self.loop_depth = self._saved_loop.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        b = B.ScopeBindings()
        params = B.parameter_names(node.params)
        for p in params:
            b.bind(p)
        self._push("lambda", node, b).params = tuple(params)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._pop()

    def _visit_comp(self, node) -> None:
        b = B.ScopeBindings()
        for n in B.comprehension_targets(node):
            b.bind(n)
        scope = self._push("comprehension", node, b)
        for_in = node.for_in
        while for_in is not None:  # `x` in `[f(x) for x in X]` is a row of X
            sc = S.of(self, for_in.iter)
            if sc.level != S.UNKNOWN:
                sc = sc if sc.data else S.SMALL_SCALE
                for n in B.target_names(for_in.target):
                    scope.values[n] = _with_scale(UNKNOWN, sc)
            for_in = for_in.inner_for_in

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comp

    def _leave_comp(self, node) -> None:
        self._pop()

    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comp

    # --- provenance -------------------------------------------------------------------------
    def _set(self, target: cst.BaseExpression, value: Value) -> None:
        scope = self.scope
        if type(target) is cst.Name:
            owner = self.lookup(target.value) or scope
            owner.values[target.value] = value
        else:
            for n in B.target_names(target):
                owner = self.lookup(n) or scope
                owner.values[n] = UNKNOWN

    def leave_Assign(self, node: cst.Assign) -> None:
        value = self.value_of(node.value)
        if len(node.targets) > 1 or type(node.value) is cst.Name:
            # `a = b = f()` or `y = x`: two names share the object, so neither is fresh.
            value = Value(value.kind, False, value.large, value.origin)
            if type(node.value) is cst.Name:
                owner = self.lookup(node.value.value)
                if owner is not None and node.value.value in owner.values:
                    owner.values[node.value.value] = value
        target = node.targets[0].target
        parts = None
        if len(node.targets) == 1 and type(target) in (cst.Tuple, cst.List) and isinstance(
            node.value, cst.Call
        ):  # X, y = load_svmlight_file(p); X_tr, X_te = train_test_split(X)
            parts = SK.unpacked_values(self.qualified_name(node.value.func), node.value,
                                       self.value_of, len(target.elements))
        sc = S.of(self, node.value)
        if sc.data and sc.why.startswith("comes from") and len(node.targets) == 1 and type(
                target) is cst.Name:
            sc = dataclasses.replace(sc, why=f"`{target.value}` {sc.why}")  # X = pd.read_csv(p)
        if sc.level != S.UNKNOWN:
            value = _with_scale(value, sc)
        for t in node.targets:
            self._set(t.target, value)
        for el, part in zip(target.elements if parts else (), parts or ()):
            if type(el) is cst.Element and type(el.value) is cst.Name:
                self._set(el.value, part if sc.level == S.UNKNOWN else _with_scale(part, sc))
        if not parts:
            for t in node.targets:
                if type(t.target) in (cst.Tuple, cst.List):
                    self._set_unpacked(t.target, node.value, sc)

    def _set_unpacked(self, target, value_node, sc) -> None:
        """`n, d = X.shape`, `a, b = 3, 4`: each name gets its part's scale (the whole's when
        the whole is data-sized)."""
        elements = target.elements
        pairs = None
        if type(value_node) in (cst.Tuple, cst.List) and len(value_node.elements) == len(elements):
            pairs = [S.of(self, el.value) if type(el) is cst.Element else S.UNKNOWN_SCALE
                     for el in value_node.elements]
        for i, el in enumerate(elements):
            if type(el) is not cst.Element or type(el.value) is not cst.Name:
                continue
            part = pairs[i] if pairs is not None else (sc if sc.data else S.UNKNOWN_SCALE)
            if part.level != S.UNKNOWN:
                self._set(el.value, _with_scale(UNKNOWN, part))

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            value, sc = self.value_of(node.value), S.of(self, node.value)
            self._set(node.target, value if sc.level == S.UNKNOWN else _with_scale(value, sc))

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        if type(node.target) is cst.Name:
            old = self.value_of(node.target)
            self._set(node.target, Value(old.kind, False, old.large, old.origin) if old.known else UNKNOWN)

    def _branch_enter(self, node) -> None:
        self.scope._snapshots.append(dict(self.scope.values))
        if type(node) in (cst.For, cst.While):
            self.loop_depth += 1
            if type(node) is cst.For:
                # the loop variable over data is data-sized (a row, a batch), else unknown
                # and over something small (a literal, range(k)) small
                sc = S.of(self, node.iter)
                if sc.small:
                    sc = S.SMALL_SCALE
                if sc.level == S.UNKNOWN:
                    self._set(node.target, UNKNOWN)
                else:
                    for n in B.target_names(node.target):
                        (self.lookup(n) or self.scope).values[n] = _with_scale(UNKNOWN, sc)

    def _branch_leave(self, node) -> None:
        before = self.scope._snapshots.pop()
        values = self.scope.values
        for name, value in list(values.items()):
            if before.get(name) is not value:
                values[name] = UNKNOWN
        if type(node) in (cst.For, cst.While):
            self.loop_depth -= 1

    for _cls in _BRANCHING:
        locals()["visit_" + _cls.__name__] = _branch_enter
        locals()["leave_" + _cls.__name__] = _branch_leave
    del _cls

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            value = self.value_of(node.item)  # `with open(p) as f`: f is the file object
            value = value if value.kind in ENTER_RETURNS_SELF else UNKNOWN
            sc = S.of(self, node.item)
            self._set(node.asname.name, _with_scale(value, sc) if sc.data else value)

    def visit_Del(self, node: cst.Del) -> None:
        for n in B.target_names(node.target):
            owner = self.lookup(n)
            if owner is not None:
                owner.values.pop(n, None)

    # --- uses -------------------------------------------------------------------------------
    def visit_Name(self, node: cst.Name) -> None:
        if not self.record_uses:
            return
        self.last_use = None
        kind, detail = _classify(node, self.stack)
        if kind is None:
            return
        name = node.value
        owner = self.lookup(name)
        if owner is None or name in owner.b.imports:
            return
        if owner is not self.scope:
            # Comprehensions run on the spot; a use from a def or lambda runs whenever it
            # is called, so it is a capture (even a `nonlocal` store).
            scope = self.scope
            while scope is not owner and scope.kind == "comprehension":
                scope = scope.parent
            if scope is not owner:
                kind, detail = "capture", ""
        self._use_counter += 1
        use = Use(name, node, kind, detail, self._use_counter, self.loop_depth > 0,
                  self._parents())
        owner.uses.setdefault(name, []).append(use)
        self.last_use = (owner, use)

    def _parents(self) -> Tuple[cst.CSTNode, ...]:
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        stack = self.stack
        for i in range(len(stack) - 2, -1, -1):
            if stack[i] is scope.node:
                return tuple(stack[i:-1])
        return tuple(stack[:-1])


def _with_scale(value: Value, sc) -> Value:
    return Value(value.kind, value.fresh, value.large, value.origin, sc)


_LITERAL_KINDS = {
    cst.List: "list", cst.ListComp: "list", cst.Dict: "dict", cst.DictComp: "dict",
    cst.Set: "set", cst.SetComp: "set", cst.SimpleString: "str", cst.ConcatenatedString: "str",
    cst.FormattedString: "str",
}

# The parents that decide what a Name does, compared by exact type: `isinstance` against
# libcst's classes goes through ABCMeta (a Python-level call per failed check), and this runs
# for every Name of every file whose rules read uses. None of these classes has subclasses.
_SEQUENCE_ELEMENTS = frozenset({cst.Element, cst.StarredElement, cst.Tuple, cst.List})
_TUPLE_OR_LIST = frozenset({cst.Tuple, cst.List})
_NOT_A_VARIABLE = frozenset({cst.FunctionDef, cst.ClassDef, cst.Param, cst.ImportAlias,
                             cst.NameItem, cst.ImportFrom})
_ACCESS = frozenset({cst.Attribute, cst.Subscript})


def _in_unpacking_target(stack) -> bool:
    """Is the Name at the top of `stack` an element of `a, (b, *c) = ...` or `for i, x in`?"""
    i = len(stack) - 2
    while i >= 1 and type(stack[i]) in _SEQUENCE_ELEMENTS:
        i -= 1
    holder, top = stack[i], stack[i + 1]
    if top is stack[-2] or type(top) not in _TUPLE_OR_LIST:
        return False
    if type(holder) is cst.AssignTarget:
        return True
    return type(holder) in (cst.For, cst.CompFor) and holder.target is top


def _classify(node: cst.Name, stack) -> Tuple[Optional[str], str]:
    """What the occurrence of a Name at the top of `stack` does with the variable."""
    n = len(stack)
    parent = stack[-2] if n > 1 else None
    if parent is None:
        return None, ""
    kind = type(parent)
    if kind is cst.Attribute:
        if parent.attr is node:
            return None, ""  # `x.name`: an attribute name, not a variable
    elif kind is cst.Arg:
        if parent.keyword is node:
            return None, ""  # `f(name=...)`
        call = stack[-3] if n > 2 else None
        if type(call) is cst.Call:
            return "arg", B.dotted(call.func) or ""
        return "load", ""
    elif kind in _NOT_A_VARIABLE:
        return None, ""
    elif kind is cst.AsName or kind is cst.AssignTarget:
        return "store", ""
    elif kind is cst.AnnAssign or kind is cst.For or kind is cst.CompFor:
        return ("store" if parent.target is node else "load"), ""
    elif kind is cst.Element or kind is cst.StarredElement:
        return ("store" if _in_unpacking_target(stack) else "load"), ""
    elif kind is cst.AugAssign:
        return ("aug" if parent.target is node else "load"), ""
    elif kind is cst.Del:
        return "del", ""
    elif kind is cst.Return:
        return "return", ""
    elif kind is cst.Yield:
        return "yield", ""
    elif kind is not cst.Subscript:
        return "load", ""
    if parent.value is not node:
        return "load", ""
    # `x.a.b[...]`: climb to the outermost access that starts at x.
    i = n - 2
    first = parent
    while i - 1 >= 0 and type(stack[i - 1]) in _ACCESS and stack[i - 1].value is stack[i]:
        i -= 1
    top = stack[i]
    holder = stack[i - 1] if i >= 1 else None
    hkind = type(holder)
    if ((hkind is cst.AssignTarget or hkind is cst.AugAssign or hkind is cst.AnnAssign)
            and holder.target is top) or hkind is cst.Del:
        return ("item-store" if type(top) is cst.Subscript else "attr-store"), ""
    if hkind is cst.Call and holder.func is top and type(top) is cst.Attribute:
        return "method", top.attr.value
    if type(first) is cst.Subscript:
        return "subscript", ""
    return "attr", first.attr.value
