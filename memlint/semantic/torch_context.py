"""What memlint can tell about PyTorch code without importing torch.

Shared by the torch rules (MEM7xx) and the dtype rules:

- `grad_mode(...)` / `grad_managed(...)`: is an expression a grad-mode API (`torch.no_grad()`,
  `torch.inference_mode()`, `torch.set_grad_enabled(False)`, `torch.enable_grad()`, any
  alias), and is a node inside a `with` block or a decorated function that sets one;
- `torch_visible(...)`: is torch imported in a scope visible from here;
- `FileFacts`: a statement-only pre-scan of the file: local classes and whether they are
  `nn.Module`s or losses, names bound to loss criteria, functions defined, a global
  `torch.set_grad_enabled(False)`;
- `CallSites`: which local functions are only called where gradients are already managed;
- loss and module recognisers on qualified names.

Every answer errs towards "managed" / "unknown", so rules built on it stay silent when unsure.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst

from memlint.semantic.bindings import dotted

# --- qualified-name recognisers -------------------------------------------------------------

_GRAD_PREFIXES = ("torch.", "torch.autograd.", "torch.autograd.grad_mode.")
_NO_GRAD = frozenset(p + "no_grad" for p in _GRAD_PREFIXES)
_ENABLE_GRAD = frozenset(p + "enable_grad" for p in _GRAD_PREFIXES)
_INFERENCE = frozenset(p + "inference_mode" for p in _GRAD_PREFIXES)
_SET_GRAD = frozenset(p + "set_grad_enabled" for p in _GRAD_PREFIXES) | {"torch._C._set_grad_enabled"}
GRAD_MODE_APIS = _NO_GRAD | _ENABLE_GRAD | _INFERENCE | _SET_GRAD
# Words that, in the name of an unknown decorator or context manager, suggest it manages
# gradients (a project's own `@inference` or `with evaluating(model):`): stay silent there.
_GRAD_WORDS = ("grad", "inference", "eval")

# Classes of `torch.nn` that are not modules.
_NN_NOT_MODULES = frozenset("Parameter UninitializedParameter UninitializedBuffer Buffer".split())
LIGHTNING_MODULES = frozenset(
    "pytorch_lightning.LightningModule pytorch_lightning.core.LightningModule "
    "lightning.LightningModule lightning.pytorch.LightningModule".split()
)
# Functional losses whose names do not end in "loss".
_FUNCTIONAL_LOSSES = frozenset(
    "cross_entropy binary_cross_entropy binary_cross_entropy_with_logits kl_div".split()
)
# Libraries whose classes are never torch modules: a local class deriving only from these is
# a plain object.
_NOT_TORCH_BASES = ("builtins.", "abc.", "typing.", "enum.", "dataclasses.", "collections.",
                    "sklearn.", "contextlib.")


def is_nn_class(qn: Optional[str]) -> bool:
    """`torch.nn.Linear`, `torch.nn.modules.conv.Conv2d`: a torch.nn module class."""
    if not qn or not qn.startswith("torch.nn."):
        return False
    rest = qn[len("torch.nn."):]
    last = rest.rpartition(".")[2]
    if not last[:1].isupper() or last in _NN_NOT_MODULES:
        return False
    return "." not in rest or rest.startswith("modules.")


def is_loss_class(qn: Optional[str]) -> bool:
    return is_nn_class(qn) and (qn.endswith("Loss") or qn.endswith("._Loss") or qn.endswith("._WeightedLoss"))


def is_functional_loss(qn: Optional[str]) -> bool:
    if not qn or not qn.startswith("torch.nn.functional."):
        return False
    name = qn.rpartition(".")[2]
    return name.endswith("loss") or name in _FUNCTIONAL_LOSSES


# --- grad mode -------------------------------------------------------------------------------


def _const_bool(node: cst.BaseExpression) -> Optional[bool]:
    if type(node) is cst.Name and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _first_arg(call: cst.Call, keyword: str) -> Tuple[bool, Optional[cst.BaseExpression]]:
    """(present, value) of the first positional argument or of `keyword=`."""
    for arg in call.args:
        if arg.star:
            return True, None
        if arg.keyword is None or arg.keyword.value == keyword:
            return True, arg.value
    return False, None


def grad_mode(semantic, expr: cst.BaseExpression, decorator: bool = False) -> Optional[str]:
    """How a `with` item (or, with `decorator=True`, a decorator) sets the grad mode.

    "off" (no_grad, inference_mode, set_grad_enabled(False)), "on" (enable_grad,
    set_grad_enabled(True), inference_mode(False)), "unsure" (a variable mode, or an unknown
    helper whose name speaks of gradients), or None: it does not touch the grad mode.
    """
    if type(expr) is cst.IfExp:
        modes = {grad_mode(semantic, expr.body, decorator), grad_mode(semantic, expr.orelse, decorator)}
        modes.discard(None)
        return None if not modes else (modes.pop() if len(modes) == 1 else "unsure")
    func = expr.func if type(expr) is cst.Call else expr
    qn = semantic.qualified_name(func)
    if qn in GRAD_MODE_APIS:
        if qn in _NO_GRAD:
            return "off"
        if qn in _ENABLE_GRAD:
            return "on"
        if not type(expr) is cst.Call:
            return "off" if qn in _INFERENCE else "unsure"  # bare @torch.inference_mode
        present, value = _first_arg(expr, "mode")
        if qn in _INFERENCE and not present:
            return "off"
        flag = _const_bool(value) if value is not None else None
        if flag is None:
            return "unsure"
        if qn in _INFERENCE:
            return "off" if flag else "on"
        return "on" if flag else "off"
    if qn and (qn.startswith("torch.") or qn.startswith("builtins.")):
        return None
    name = dotted(func)
    if name is None:
        return "unsure" if not (decorator or type(expr) is cst.Call) else None
    last = name.rpartition(".")[2].lower()
    if any(w in last for w in _GRAD_WORDS):
        return "unsure"
    if not decorator and not type(expr) is cst.Call and qn is None:
        # `with ctx:` on a variable: it may hold `torch.no_grad()`; memlint cannot tell.
        return "unsure"
    return None


def grad_managed(semantic, stack: List[cst.CSTNode]) -> bool:
    """Is the top of `stack` inside a `with` or a decorated function that sets the grad mode?

    Any setting counts (on, off or unsure): code under `torch.enable_grad()` wants its graph.
    Enclosing functions' decorators count too, since a closure usually runs within its caller.
    """
    for i in range(len(stack) - 1, -1, -1):
        node = stack[i]
        if type(node) is cst.With:
            child = stack[i + 1] if i + 1 < len(stack) else None
            if child is not None and child is not node.body:
                continue  # inside the with items themselves: the mode is not set yet
            for item in node.items:
                if grad_mode(semantic, item.item) is not None:
                    return True
        elif type(node) is cst.FunctionDef:
            for dec in node.decorators:
                if grad_mode(semantic, dec.decorator, decorator=True) is not None:
                    return True
    return False


# --- imports ---------------------------------------------------------------------------------

TORCH_LIBRARIES = frozenset(("torch", "torchvision", "torchaudio", "torchtext", "timm"))


def torch_visible(semantic) -> bool:
    """Is torch (or a library only used with torch: torchvision, timm...) imported in a scope
    visible from here?"""
    scope = semantic.scope
    while scope is not None:
        for quals in scope.b.imports.values():
            for q in quals:
                if q.partition(".")[0] in TORCH_LIBRARIES:
                    return True
        scope = scope.parent
    return False


# --- units of execution ---------------------------------------------------------------------


def unit_of(stack: List[cst.CSTNode]) -> cst.CSTNode:
    """The function, lambda or module whose body runs the top of `stack` (comprehensions run
    in place, so they belong to the unit around them; class bodies to the module)."""
    for node in reversed(stack):
        if type(node) in (cst.FunctionDef, cst.Lambda, cst.Module):
            return node
    return stack[0]


def enclosing_functions(stack: List[cst.CSTNode]) -> List[cst.FunctionDef]:
    return [n for n in stack if type(n) is cst.FunctionDef]


def enclosing_class(stack: List[cst.CSTNode]) -> Optional[cst.ClassDef]:
    """The class whose method the top of `stack` is in (the nearest def's class)."""
    seen_def = False
    for node in reversed(stack):
        if type(node) is cst.FunctionDef:
            if seen_def:
                return None
            seen_def = True
        elif type(node) is cst.ClassDef:
            return node if seen_def else None
    return None


# --- gradient intent -------------------------------------------------------------------------

# Methods and attributes that show the code wants gradients (or freezes them, which also means
# no activations are kept): a unit that uses one is a training or attribution step.
_GRAD_METHODS = frozenset(
    "backward requires_grad_ retain_grad register_hook register_backward_hook "
    "register_full_backward_hook register_full_backward_pre_hook zero_grad".split()
)
_GRAD_ATTRS = frozenset(("grad", "requires_grad"))


def legacy_volatile(call: cst.Call) -> bool:
    """`Variable(x, volatile=True)`: how PyTorch < 0.4 code turned autograd off."""
    return any(arg.keyword is not None and arg.keyword.value == "volatile" for arg in call.args)


def wants_gradients(semantic, node: cst.CSTNode) -> bool:
    """Does this call or attribute show that the code computes or manages gradients by hand
    (backward, autograd, optimizers, requires_grad, legacy volatile Variables)?"""
    if type(node) is cst.Attribute:
        return node.attr.value in _GRAD_ATTRS
    if not type(node) is cst.Call:
        return False
    func = node.func
    if type(func) is cst.Attribute:
        method = func.attr.value
        if method in _GRAD_METHODS:
            return True
        if method == "step":
            owner = (dotted(func.value) or "").lower()
            if "optim" in owner or "scaler" in owner or owner.rpartition(".")[2] in ("opt", "optimiser"):
                return True
    qn = semantic.qualified_name(func)
    if qn:
        if qn.startswith("torch.autograd.") and qn not in GRAD_MODE_APIS:
            return True
        if qn.startswith(("torch.func.", "functorch.", "torch.optim.")) or qn in _ENABLE_GRAD:
            return True
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "requires_grad":
            if _const_bool(arg.value) is not False:
                return True
    return legacy_volatile(node)


def is_backward_call(semantic, call: cst.Call) -> bool:
    func = call.func
    if type(func) is cst.Attribute and func.attr.value == "backward":
        return True
    return semantic.qualified_name(func) in ("torch.autograd.backward", "torch.autograd.grad")


def switched_off(facts, defs) -> bool:
    """Are grads switched off for code inside the functions `defs` (outermost first) by a
    `torch.set_grad_enabled(False)` statement of the file or of one of those functions?"""
    return facts.grads_off or any(d in facts.grads_off_defs for d in defs)


def global_grad_switch(semantic, call: cst.Call) -> bool:
    """`torch.set_grad_enabled(False)` called as a statement: grads are off from then on."""
    qn = semantic.qualified_name(call.func) or dotted(call.func) or ""
    if not qn.endswith("set_grad_enabled"):
        return False
    present, value = _first_arg(call, "mode")
    return present and (value is None or _const_bool(value) is not True)


# --- the file's own classes and criteria ----------------------------------------------------


# nn.Module methods that return the module itself.
SAME_MODULE_METHODS = frozenset(
    "to cuda cpu float half double bfloat16 type apply share_memory xpu".split()
)


def strip_module_methods(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`Net().to(device).cuda()` -> `Net()`: the expression these methods were called on."""
    while (
        type(expr) is cst.Call and type(expr.func) is cst.Attribute
        and expr.func.attr.value in SAME_MODULE_METHODS
    ):
        expr = expr.func.value
    return expr


class ClassInfo:
    __slots__ = ("node", "kind", "loss", "lightning", "self_attrs")

    def __init__(self, node: cst.ClassDef):
        self.node = node
        self.kind = "unknown"  # module | other | unknown
        self.loss = False
        self.lightning = False
        self.self_attrs: Dict[str, cst.BaseExpression] = {}  # self.x = <value> in its methods


def statements(body) -> Iterable[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]]:
    """Every statement under `body`, with the class/def nodes around it (outermost first)."""
    todo: List[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]] = [(s, ()) for s in reversed(list(body))]
    while todo:
        stmt, owners = todo.pop()
        yield stmt, owners
        if type(stmt) is cst.SimpleStatementLine:
            continue
        inner = owners + (stmt,) if type(stmt) in (cst.FunctionDef, cst.ClassDef) else owners
        children: List[cst.CSTNode] = []
        for attr in ("body", "orelse", "finalbody", "handlers", "cases"):
            child = getattr(stmt, attr, None)
            if child is None:
                continue
            for c in child if isinstance(child, (list, tuple)) else (child,):
                if isinstance(c, cst.BaseSuite):
                    body_ = c.body
                    children.extend(body_ if isinstance(body_, (list, tuple)) else (body_,))
                else:
                    children.append(c)
        for c in reversed(children):
            todo.append((c, inner))


def _small(stmt) -> Iterable[cst.BaseSmallStatement]:
    if type(stmt) is cst.SimpleStatementLine:
        return stmt.body
    if isinstance(stmt, cst.BaseSmallStatement):
        return (stmt,)
    return ()


class FileFacts:
    """A statement-level pre-scan, made when the module is entered (so names resolve at module
    scope): enough to know, anywhere in the file, what a local class or a global name is."""

    def __init__(self, module: cst.Module, semantic):
        self.semantic = semantic
        self.classes: Dict[str, ClassInfo] = {}
        self.functions: Set[str] = set()
        self.global_losses: Set[str] = set()  # module-level names bound to a loss criterion
        self.global_constructed: Dict[str, str] = {}  # module-level name -> local class it instantiates
        # `torch.set_grad_enabled(False)` as a statement: outside any function it governs
        # the file (grads_off); inside a function, that function only (grads_off_defs)
        self.grads_off = False
        self.grads_off_defs: Set[cst.FunctionDef] = set()
        self._global_values: Dict[str, List[cst.BaseExpression]] = {}
        bases: Dict[str, List[cst.BaseExpression]] = {}
        for stmt, owners in statements(module.body):
            if type(stmt) is cst.ClassDef:
                name = stmt.name.value
                if name in self.classes:
                    self.classes[name].kind = "unknown"  # defined twice: cannot tell which
                    bases[name] = []
                    continue
                self.classes[name] = ClassInfo(stmt)
                bases[name] = [a.value for a in stmt.bases if a.keyword is None and not a.star]
                if any(a.star for a in stmt.bases):
                    bases[name].append(cst.Name("__unknown__"))
            elif type(stmt) is cst.FunctionDef:
                self.functions.add(stmt.name.value)
            for small in _small(stmt):
                self._scan_small(small, owners)
        self._classify(bases)
        self.global_losses = {
            name for name, values in self._global_values.items()
            if all(self.is_loss_instance_expr(v) for v in values)
        }

    def _scan_small(self, small, owners) -> None:
        if type(small) is cst.Expr and type(small.value) is cst.Call:
            if global_grad_switch(self.semantic, small.value):
                defs = [o for o in owners if type(o) is cst.FunctionDef]
                if defs:
                    self.grads_off_defs.add(defs[-1])
                else:
                    self.grads_off = True
        if not type(small) is cst.Assign:
            return
        value = small.value
        in_def = any(type(o) is cst.FunctionDef for o in owners)
        cls = next((o for o in reversed(owners) if type(o) is cst.ClassDef), None)
        for t in small.targets:
            target = t.target
            if (
                cls is not None and in_def and type(target) is cst.Attribute
                and type(target.value) is cst.Name and target.value.value == "self"
            ):
                info = self.classes.get(cls.name.value)
                if info is not None:
                    attr = target.attr.value
                    # Assigned twice to different things: keep neither.
                    info.self_attrs[attr] = value if attr not in info.self_attrs else cst.Name("__unknown__")
            elif not owners and type(target) is cst.Name:
                self._global_values.setdefault(target.value, []).append(value)
                root = strip_module_methods(value)
                if type(root) is cst.Call and type(root.func) is cst.Name:
                    self.global_constructed[target.value] = root.func.value

    def _classify(self, bases: Dict[str, List[cst.BaseExpression]]) -> None:
        semantic = self.semantic
        changed = True
        while changed:
            changed = False
            for name, info in self.classes.items():
                if info.kind != "unknown" or name not in bases:
                    continue
                kinds = []
                for base in bases[name]:
                    local = base.value if type(base) is cst.Name and base.value in self.classes else None
                    if local is not None and local != name:
                        other = self.classes[local]
                        kinds.append(other.kind)
                        if other.kind == "module":
                            info.loss = info.loss or other.loss
                            info.lightning = info.lightning or other.lightning
                        continue
                    qn = semantic.qualified_name(base)
                    if qn in LIGHTNING_MODULES:
                        info.lightning = True
                        kinds.append("module")
                    elif is_nn_class(qn):
                        kinds.append("module")
                        info.loss = info.loss or is_loss_class(qn)
                    elif qn and qn.startswith(_NOT_TORCH_BASES):
                        kinds.append("other")
                    else:
                        kinds.append("unknown")
                if "module" in kinds:
                    info.kind = "module"
                    info.loss = info.loss or name.endswith("Loss")
                elif all(k == "other" for k in kinds):
                    info.kind = "other"
                else:
                    continue
                changed = True
        # A class whose bases are local and still undecided (a cycle) stays unknown.

    def class_kind(self, name: str) -> Optional[str]:
        info = self.classes.get(name)
        return info.kind if info is not None else None

    def self_attr(self, cls: Optional[cst.ClassDef], attr: str) -> Optional[cst.BaseExpression]:
        if cls is None:
            return None
        info = self.classes.get(cls.name.value)
        if info is None or info.node is not cls:
            return None
        return info.self_attrs.get(attr)

    def is_loss_instance_expr(self, value: cst.BaseExpression) -> bool:
        """Is `value` a call that builds a loss criterion (`nn.MSELoss()`, `FocalLoss()`,
        `nn.CrossEntropyLoss(weight=w).to(device)`)?"""
        value = strip_module_methods(value)
        if not type(value) is cst.Call:
            return False
        if is_loss_class(self.semantic.qualified_name(value.func)):
            return True
        if type(value.func) is cst.Name:
            info = self.classes.get(value.func.value)
            return info is not None and info.kind == "module" and info.loss
        return False


# --- who calls a local function, and under which grad mode ---------------------------------

# Hooks a Lightning trainer runs under no_grad / inference_mode.
LIGHTNING_NO_GRAD_HOOKS = frozenset(
    "validation_step test_step predict_step on_validation_epoch_end on_test_epoch_end "
    "validation_epoch_end test_epoch_end".split()
)


class CallSites:
    """Calls of the file's own functions, by name, and whether each runs with the grad mode set.

    A function is *protected* when some call of it (by bare name or as a method of any object)
    is inside a grad-mode context or inside a protected function: its body may well run with
    gradients off, so rules stay silent in it.
    """

    def __init__(self, facts: FileFacts):
        self.facts = facts
        self.sites: List[Tuple[str, bool, Tuple[str, ...]]] = []

    def record(self, semantic, stack: List[cst.CSTNode], call: cst.Call) -> None:
        func = call.func
        if type(func) is cst.Name:
            name = func.value
        elif type(func) is cst.Attribute:
            name = func.attr.value
        else:
            return
        if name not in self.facts.functions:
            return
        callers = tuple(f.name.value for f in enclosing_functions(stack))
        self.sites.append((name, grad_managed(semantic, stack), callers))

    def protected(self) -> Set[str]:
        out = {name for name, managed, _ in self.sites if managed}
        changed = True
        while changed:
            changed = False
            for name, _, callers in self.sites:
                if name not in out and any(c in out for c in callers):
                    out.add(name)
                    changed = True
        return out

    def unit_protected(self, defs: Tuple[cst.FunctionDef, ...], owner: Optional[cst.ClassDef],
                       protected: Set[str]) -> bool:
        """Does code inside `defs` (enclosing defs, outermost first; `owner` the class of the
        innermost) run only where its callers, or its framework, already manage gradients?"""
        if any(d.name.value in protected for d in defs):
            return True
        if owner is not None and defs and defs[-1].name.value in LIGHTNING_NO_GRAD_HOOKS:
            info = self.facts.classes.get(owner.name.value)
            if info is not None and info.lightning:
                return True
        return False
