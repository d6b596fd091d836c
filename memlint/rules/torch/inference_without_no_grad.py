"""MEM701 inference-without-no-grad."""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.bindings import dotted, target_names
from memlint.semantic.torch_context import (
    switched_off,
    SAME_MODULE_METHODS,
    CallSites,
    FileFacts,
    enclosing_class,
    enclosing_functions,
    grad_managed,
    torch_visible,
    unit_of,
    wants_gradients,
)

SAME_MODULE = SAME_MODULE_METHODS  # return the module itself and leave its mode alone
_BRANCHES = ("If", "For", "While", "Try", "TryStar", "Match")


def mode_change(call: cst.Call) -> Optional[str]:
    """"eval", "train" or "unknown" if `call` is `x.eval()` / `x.train(...)`, else None."""
    func = call.func
    if not type(func) is cst.Attribute:
        return None
    if func.attr.value == "eval":
        return "eval" if not call.args else None  # pandas' df.eval(expr) takes an argument
    if func.attr.value != "train":
        return None
    if not call.args:
        return "train"
    if len(call.args) == 1 and not call.args[0].star and (
        call.args[0].keyword is None or call.args[0].keyword.value == "mode"
    ):
        value = call.args[0].value
        if type(value) is cst.Name and value.value in ("True", "False"):
            return "train" if value.value == "True" else "eval"
    return "unknown"


class _Unit:
    __slots__ = ("modes", "made_from", "snapshots", "wants_grad")

    def __init__(self):
        self.modes: Dict[str, str] = {}  # dotted name -> eval | train | unknown
        self.made_from: Dict[str, str] = {}  # dotted name -> local class it was built from
        self.snapshots: List[Dict[str, str]] = []
        self.wants_grad = False


class InferenceWithoutNoGrad(Rule):
    code = "MEM701"
    name = "inference-without-no-grad"
    pylint_id = "W7770"
    message = (
        "{model}(...) runs in eval mode outside torch.no_grad()/torch.inference_mode(): "
        "autograd keeps every activation for a backward pass that never comes"
    )
    summary = "A torch module switched to eval mode is called with autograd still recording."
    what = """
        Flags a call of a torch module (`model(x)` or `model.forward(x)`) made after
        `model.eval()` in the same function (or module-level script), outside any
        `torch.no_grad()` / `torch.inference_mode()` block or decorator, in code that never
        calls `.backward()`, steps an optimizer or otherwise asks for gradients.
    """
    why = """
        `.eval()` only changes how dropout and batch norm behave; it does not stop autograd.
        With gradients enabled, every forward pass saves the activations each layer needs for
        a backward pass, and keeps them as long as the output is alive, so evaluation holds
        the memory of training. Under `torch.no_grad()` (or the faster
        `torch.inference_mode()`) each activation is freed as soon as the next layer has
        used it: inference typically needs several times less memory and runs faster.
    """
    example = """
        import torch

        def evaluate(model, loader):
            model.eval()
            correct = 0
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum().item()
            return correct
    """
    use_instead = """
        import torch

        @torch.no_grad()
        def evaluate(model, loader):
            model.eval()
            correct = 0
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum().item()
            return correct
    """
    limits = """
        The evidence of an evaluation path is an explicit `.eval()` (or `.train(False)`) on
        the same name earlier in the same function: a function that receives a model
        already in eval mode is not flagged, since memlint cannot see whether its caller
        needs gradients. Silent when: the file does not import torch; the name may hold a
        non-torch object (an instance of a local class that is not, or not visibly, an
        `nn.Module`; a known DataFrame or array); the mode was last changed inside an
        `if`, loop or `try` before the call; the function calls
        `.backward()`, `torch.autograd.*`, `zero_grad()`, an optimizer's `step()`, touches
        `.grad` or `requires_grad` (training, attribution, adversarial examples, frozen
        weights) or makes PyTorch < 0.4 `volatile` Variables; the call is under any
        grad-mode context, including `enable_grad()`, a context held in a variable, or a
        helper whose name mentions grad, inference or eval;
        some call of the function in the file runs under one (directly, or through callers
        that do; matched by function name, so a same-named method counts too); it is a
        Lightning `validation_step`/`test_step`/`predict_step`; or
        `torch.set_grad_enabled(False)` governs the call: a module-level statement governs
        the whole file, one inside a function only that function. Test code that calls a small model
        in eval mode is flagged like any other: ignore MEM701 for tests in
        `per-file-ignores` if that is not wanted.
    """
    invalid = (
        "import torch\nmodel = torch.load('model.pt')\nmodel.eval()\npreds = model(batch)\n",
        "import torch\ndef score(net, x):\n    net.train(False)\n    return net.forward(x)\n",
        "import torch\nclass Runner:\n    def run(self, x):\n        self.model.eval()\n"
        "        return self.model(x).softmax(-1)\n",
        "import torchvision\nnet = torchvision.models.resnet18().eval()\nout = net(images)\n",
    )
    valid = (
        "import torch\ndef ev(model, x):\n    model.eval()\n    with torch.no_grad():\n"
        "        return model(x)\n",
        "import torch\n@torch.inference_mode()\ndef ev(model, x):\n    model.eval()\n    return model(x)\n",
        "from torch import no_grad\n@no_grad()\ndef ev(model, x):\n    model.eval()\n    return model(x)\n",
        "import torch\ndef ev(model, x):\n    model.eval()\n    with torch.set_grad_enabled(False):\n"
        "        return model(x)\n",
        "import torch\ndef step(model, x, opt):\n    model.eval()\n    loss = model(x).sum()\n"
        "    loss.backward()\n    opt.step()\n",
        "import torch\ndef fit(model, x):\n    model.eval()\n    model.train()\n    return model(x)\n",
        "def ev(model, x):\n    model.eval()\n    return model(x)\n",
        "import torch\nclass Model:\n    def eval(self):\n        pass\nm = Model()\nm.eval()\nm(1)\n",
        "import torch\ndef ev(model, x):\n    model.eval()\n    return model(x)\nwith torch.no_grad():\n"
        "    ev(net, batch)\n",
        "import torch\ntorch.set_grad_enabled(False)\nmodel.eval()\nout = model(x)\n",
        "import torch\ndef saliency(model, x):\n    model.eval()\n    x.requires_grad_()\n"
        "    return torch.autograd.grad(model(x).sum(), x)\n",
        "import pandas as pd\nimport torch\ndf = pd.DataFrame()\ndf.eval('a + b')\n",
        "import torch\nfrom torch.autograd import Variable\ndef val(model, x):\n    model.eval()\n"
        "    return model(Variable(x, volatile=True))\n",
    )
    triggers = r"\.eval\s*\(\s*\)|\.train\s*\(\s*(?:mode\s*=\s*)?False"

    # --- state ---------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.facts = FileFacts(node, self.ctx.semantic)
        self.sites = CallSites(self.facts)
        self.units: Dict[int, _Unit] = {}
        self.candidates: list = []

    def _unit(self, node: Optional[cst.CSTNode] = None) -> _Unit:
        node = node if node is not None else unit_of(self.ctx.stack)
        unit = self.units.get(id(node))
        if unit is None:
            unit = self.units[id(node)] = _Unit()
        return unit

    def _forget(self, unit: _Unit, key: str) -> None:
        prefix = key + "."
        for table in (unit.modes, unit.made_from):
            for k in [k for k in table if k == key or k.startswith(prefix)]:
                del table[k]

    def _forget_target(self, target: cst.BaseExpression) -> None:
        unit = self._unit()
        key = dotted(target)
        for k in ([key] if key is not None else list(target_names(target))):
            self._forget(unit, k)

    # --- is it a torch module? -----------------------------------------------------------
    def _may_be_module(self, expr: cst.BaseExpression) -> bool:
        """Could `expr` be a torch module? False when memlint knows it is something else."""
        sem = self.ctx.semantic
        if not torch_visible(sem):
            return False
        while type(expr) is cst.Call and type(expr.func) is cst.Attribute and (
            expr.func.attr.value in SAME_MODULE or mode_change(expr) is not None
        ):
            expr = expr.func.value
        facts = self.facts
        if type(expr) is cst.Call:
            if type(expr.func) is cst.Name and expr.func.value in facts.classes:
                return facts.class_kind(expr.func.value) == "module"
            value = sem.value_of(expr)
            return not value.known or value.origin == "torch.load"
        key = dotted(expr)
        if key is None:
            return False
        cls = enclosing_class(self.ctx.stack)
        if key == "self":
            return cls is not None and facts.class_kind(cls.name.value) == "module"
        if key.startswith("self.") and key.count(".") == 1:
            built = facts.self_attr(cls, key[5:])
            if built is not None:
                return self._may_be_module_value(built)
        local = self._unit().made_from.get(key)
        if local is None and type(expr) is cst.Name and sem.lookup(key) is sem.module_scope:
            local = facts.global_constructed.get(key)
        if local is not None and local in facts.classes:
            return facts.class_kind(local) == "module"
        if type(expr) is cst.Name:
            value = sem.value_of(expr)
            if value.known and value.origin != "torch.load":
                return False
        return True

    def _may_be_module_value(self, value: cst.BaseExpression) -> bool:
        if type(value) is cst.Call:
            return self._may_be_module(value)
        return not (type(value) is cst.Name and value.value == "__unknown__")

    def _chain_mode(self, value: cst.BaseExpression, unit: _Unit) -> Optional[str]:
        """The mode of what `value` evaluates to: `Net().to(dev).eval()` -> "eval"."""
        e = value
        while type(e) is cst.Call and type(e.func) is cst.Attribute:
            change = mode_change(e)
            if change is not None:
                return change if self._may_be_module(e.func.value) else None
            if e.func.attr.value not in SAME_MODULE:
                return None
            e = e.func.value
        key = dotted(e) if type(e) in (cst.Name, cst.Attribute) else None
        return unit.modes.get(key) if key is not None else None

    # --- traversal -----------------------------------------------------------------------
    def _mark_wants_grad(self) -> None:
        stack = self.ctx.stack
        fns = [n for n in stack if type(n) in (cst.FunctionDef, cst.Lambda)]
        for f in fns or [stack[0]]:
            self._unit(f).wants_grad = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if wants_gradients(self.ctx.semantic, node):
            self._mark_wants_grad()

    def visit_Call(self, node: cst.Call) -> None:
        sem = self.ctx.semantic
        stack = self.ctx.stack
        if wants_gradients(sem, node):
            self._mark_wants_grad()
        self.sites.record(sem, stack, node)
        func = node.func
        change = mode_change(node)
        if change is not None:
            key = dotted(func.value)
            if key is not None:
                unit = self._unit()
                if change != "eval" or self._may_be_module(func.value):
                    unit.modes[key] = change
                else:
                    unit.modes.pop(key, None)
            return
        target = func
        if type(func) is cst.Attribute and func.attr.value == "forward":
            target = func.value
        key = dotted(target)
        if key is None:
            return
        unit = self.units.get(id(unit_of(stack)))
        if unit is None or unit.modes.get(key) != "eval" or grad_managed(sem, stack):
            return
        defs = tuple(enclosing_functions(stack))
        self.candidates.append((node, key, unit, defs, enclosing_class(stack)))

    def leave_Assign(self, node: cst.Assign) -> None:
        unit = self._unit()
        mode = self._chain_mode(node.value, unit)
        for t in node.targets:
            key = dotted(t.target)
            self._forget_target(t.target)
            if key is None:
                continue
            if mode is not None:
                unit.modes[key] = mode
            root = node.value
            while type(root) is cst.Call and type(root.func) is cst.Attribute and (
                root.func.attr.value in SAME_MODULE or mode_change(root) is not None
            ):
                root = root.func.value
            if type(root) is cst.Call and type(root.func) is cst.Name and (
                root.func.value in self.facts.classes
            ):
                unit.made_from[key] = root.func.value

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._forget_target(node.target)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self._forget_target(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._forget_target(node.asname.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._forget_target(node.target)

    def _branch_enter(self, node) -> None:
        if type(node) is cst.For:
            self._forget_target(node.target)
        unit = self._unit()
        unit.snapshots.append(dict(unit.modes))

    def _branch_leave(self, node) -> None:
        unit = self._unit()
        before = unit.snapshots.pop()
        for k in set(before) | set(unit.modes):
            if unit.modes.get(k) != before.get(k):
                unit.modes[k] = "unknown"

    for _name in _BRANCHES:
        locals()["visit_" + _name] = _branch_enter
        locals()["leave_" + _name] = _branch_leave
    del _name

    def leave_Module(self, node: cst.Module) -> None:
        protected = self.sites.protected()
        for call, key, unit, defs, owner in self.candidates:
            if switched_off(self.facts, defs):
                continue
            if unit.wants_grad or self.sites.unit_protected(defs, owner, protected):
                continue
            self.report(call, model=key)
