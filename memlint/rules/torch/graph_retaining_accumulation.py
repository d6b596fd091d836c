"""MEM702 graph-retaining-accumulation."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from memlint.rule import Rule
from memlint.semantic import methods
from memlint.semantic.syntax import keyword, positional
from memlint.semantic.bindings import dotted, names_read, target_names
from memlint.semantic.torch_context import (
    switched_off,
    CallSites,
    FileFacts,
    enclosing_class,
    enclosing_functions,
    grad_managed,
    is_backward_call,
    is_functional_loss,
    legacy_volatile,
)

# What an expression holds, as far as autograd is concerned:
GRAPH = "graph"  # a tensor that carries an autograd graph (a loss, anything .backward() is on)
FREE = "free"  # certainly no graph: a Python number, a detached tensor, a new tensor
MAYBE = "maybe"  # a name that carries a graph if .backward() is called on it
UNKNOWN = "unknown"

# Methods that return something without a graph.
DETACHING = frozenset("item tolist detach detach_ numpy size dim numel".split())
# Tensor methods whose result keeps the graph of their receiver.
PRESERVING = frozenset(
    "sum mean cpu cuda to float double half squeeze unsqueeze view reshape clone contiguous "
    "mul add div sub abs pow sqrt exp log flatten neg".split()
)
# torch functions that build a new tensor from data: never part of a graph.
TORCH_NEW = frozenset(
    "tensor as_tensor from_numpy zeros ones empty full rand randn randint arange linspace eye "
    "zeros_like ones_like empty_like full_like rand_like randn_like load".split()
)
# Objects whose `.backward(loss)` backpropagates its argument (accelerate, Lightning Fabric,
# DeepSpeed engines).
BACKWARD_ENGINES = ("accelerator", "fabric", "engine", "strategy", "deepspeed")
# Container methods after which the container holds (a reference to) their arguments.
STORING = methods.with_effect(methods.STORES)
_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Power, cst.MatrixMultiply)
_FREE_BUILTINS = frozenset(
    "builtins.float builtins.int builtins.round builtins.len builtins.bool builtins.str".split()
)


def _combine(states) -> Tuple[str, Set[str]]:
    kinds = {s for s, _ in states}
    names: Set[str] = set()
    for s, n in states:
        if s in (GRAPH, MAYBE):
            names |= n
    if GRAPH in kinds:
        return GRAPH, names
    if MAYBE in kinds:
        return MAYBE, names
    if kinds <= {FREE}:
        return FREE, set()
    return UNKNOWN, set()


class _Unit:
    __slots__ = ("status", "criteria", "deps", "backward", "backward_reads", "returned",
                 "evaluates", "candidates", "snapshots", "ever_free", "volatile")

    def __init__(self):
        self.status: Dict[str, str] = {}  # dotted name -> GRAPH | FREE
        self.criteria: Set[str] = set()  # names bound to a loss criterion here
        # name -> the expressions it was built from (read lazily: only units with candidates
        # ever need the names in them)
        self.deps: Dict[str, List[cst.CSTNode]] = {}
        self.backward: Set[str] = set()  # names of what .backward() / autograd.grad() is on
        self.backward_reads: List[cst.CSTNode] = []  # what such calls read (incl. gradients)
        self.ever_free: Set[str] = set()  # names assigned a graph-free value somewhere here
        self.returned: List[cst.CSTNode] = []  # returned or yielded expressions
        self.evaluates = False  # calls .eval(): an evaluation path
        self.volatile = False  # makes legacy `Variable(x, volatile=True)`: grads off by hand
        self.candidates: list = []
        self.snapshots: List[Dict[str, str]] = []


class GraphRetainingAccumulation(Rule):
    code = "MEM702"
    name = "graph-retaining-accumulation"
    pylint_id = "W7771"
    message = (
        "{acc} accumulates {item} across iterations, keeping every iteration's autograd graph "
        "alive; {fix}"
    )
    summary = "A loss tensor that carries its autograd graph is accumulated across loop iterations."
    what = """
        Flags, inside a loop, an accumulation of a tensor that carries an autograd graph:
        `total += loss`, `total = total + loss`, `losses.append(loss)`, `total.add_(loss)`,
        where the value is the result of a loss criterion (an `nn.*Loss` instance, a
        `torch.nn.functional` loss such as `F.cross_entropy` or `F.mse_loss`, a local
        `nn.Module` class named `...Loss`) or something `.backward()` is called on, or an
        arithmetic expression of one (`loss * x.size(0)`).
    """
    why = """
        A loss tensor references the graph that produced it. Adding it to a running total
        chains every iteration's graph onto the total, and appending it to a list keeps each
        one referenced: nothing is freed until the total or the list is. Without a
        `.backward()` (an evaluation loop outside `torch.no_grad()`) that is every
        activation of every batch; even after `.backward()` it is a graph that grows with
        each step. `loss.item()` gives a Python float and `loss.detach()` a tensor without
        history, so the graph is freed at the end of the iteration.
    """
    example = """
        import torch.nn as nn

        criterion = nn.CrossEntropyLoss()
        total_loss = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            total_loss += loss
    """
    use_instead = """
        import torch.nn as nn

        criterion = nn.CrossEntropyLoss()
        total_loss = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
    """
    limits = """
        Silent when the value is visibly graph-free (`.item()`, `.detach()`, `.data`,
        `float(...)`, `.cpu().numpy()`, a criterion applied to detached or new tensors) or
        detached on some path (`if step: loss = loss.detach()`); when the grad mode governs
        the accumulation or the loss (below) or the function makes PyTorch < 0.4 `volatile`
        Variables; and when the accumulated
        graph is wanted: the total feeds a backward (summing loss terms, truncated BPTT,
        `loss += criterion(out_t, y_t)` then `loss.backward()`), or it is returned from a
        function that neither backpropagates the terms itself nor calls `.eval()` (a
        function that builds a loss for its caller). A value counts as backpropagated when
        `.backward()` is called on it, or it is passed to `accelerator.backward(...)` (also
        Fabric, DeepSpeed engines) or `torch.autograd.backward/grad`; the argument of
        `t.backward(gradient)` is a gradient, not a loss. A criterion passed in as a
        parameter is not recognised unless its result is backpropagated. Accumulators reset
        by the loop body itself (`total = 0` at its top level) are not flagged; a periodic
        reset under an `if` is, since the graphs pile up in between.

        What silences it: the grad mode governing the code, judged per function. The code is
        inside `with torch.no_grad():`, `with torch.inference_mode():` or
        `with torch.set_grad_enabled(...):` (any mode, `torch.enable_grad()` too: code that
        sets the mode on purpose wants what it set), or in a function decorated with one of
        them, or nested in such a function; a `torch.set_grad_enabled(False)` statement
        outside any function switches gradients off for the whole file, and one inside a
        function for that function (wherever it stands in it: memlint does not follow the
        order of statements); a function or method that some call in the file runs under one
        of these is taken to run with gradients off everywhere; an unknown context manager or
        decorator whose name speaks of gradients or evaluation (`with evaluating(model):`,
        `@inference`) counts as one. A `set_grad_enabled(False)` in another function, or
        `model.eval()` alone (it does not turn gradients off), does not silence it.
    """
    invalid = (
        "import torch.nn.functional as F\nlosses = []\nfor x, y in batches:\n"
        "    losses.append(F.mse_loss(net(x), y))\nprint(sum(l.item() for l in losses))\n",
        "import torch\ndef run(model, loader, opt, loss_fn):\n    total = 0\n    for x, y in loader:\n"
        "        loss = loss_fn(model(x), y)\n        loss.backward()\n        opt.step()\n"
        "        total = total + loss * x.size(0)\n    return total / len(loader)\n",
        "from torch import nn\nclass T:\n    def __init__(self):\n        self.crit = nn.MSELoss()\n"
        "    def val(self, loader):\n        s = 0\n        for x, y in loader:\n"
        "            s += self.crit(self.net(x), y)\n        print(s)\n",
        "def train(model, loader):\n    total = 0.0\n    for x, y in loader:\n        loss = model(x, y)\n"
        "        (loss.  # a comment inside the call\n         backward)()\n        total += loss\n",
    )
    valid = (
        "import torch.nn as nn\ncrit = nn.MSELoss()\ntotal = 0\nfor x, y in data:\n"
        "    loss = crit(net(x), y)\n    loss.backward()\n    total += loss.item()\n",
        "import torch\nimport torch.nn as nn\ncrit = nn.MSELoss()\ntotal = 0\nwith torch.no_grad():\n"
        "    for x, y in data:\n        total += crit(net(x), y)\n",
        "import torch.nn.functional as F\nloss = 0\nfor head in heads:\n"
        "    loss += F.cross_entropy(head(h), y)\nloss.backward()\n",
        "import torch.nn.functional as F\ndef multi(outs, ys):\n    total = 0\n"
        "    for o, y in zip(outs, ys):\n        total = total + F.l1_loss(o, y)\n    return total\n",
        "import torch.nn.functional as F\nlosses = []\nfor x, y in data:\n"
        "    losses.append(F.mse_loss(net(x), y).detach())\n",
        "import torch.nn.functional as F\nhist = []\nfor p, y in pairs:\n"
        "    hist.append(F.mse_loss(p.detach(), y))\n",
        "total = 0\nfor loss in losses:\n    total += loss\n",
    )
    # A graph comes from a `.backward()` on the value, torch.autograd, or a loss criterion;
    # criteria (nn.*Loss, F.*_loss, F.cross_entropy, F.kl_div, a local module class named
    # ...Loss) are recognised through imports of torch or lightning. A comment between the
    # dot and `backward` (`loss.  # why\n backward()`) puts `backward` first on its line;
    # matching any dot before a comment instead admitted every file with a comment block.
    triggers = (r"\.(?:\s|\\)*backward\b|(?:\A|[\r\n])[ \t\f]*backward\b|autograd"
                r"|(?s:\A(?=.*?(?:torch|lightning)).*?(?:[Ll]oss|cross_entropy|kl_div))")

    # --- state ---------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.facts = FileFacts(node, self.ctx.semantic)
        self.sites = CallSites(self.facts)
        self.units: Dict[int, _Unit] = {}
        self.order: List[_Unit] = []
        self._resets: Dict[int, Set[str]] = {}

    def _unit(self) -> _Unit:
        # (exact types: isinstance on libcst's ABC-based classes is slow on this hot path)
        node = next((n for n in reversed(self.ctx.stack) if type(n) is cst.FunctionDef or type(n) is cst.Module),
                    self.ctx.stack[0])
        unit = self.units.get(id(node))
        if unit is None:
            unit = self.units[id(node)] = _Unit()
            self.order.append(unit)
        return unit

    # --- what a value carries -----------------------------------------------------------
    def _is_criterion(self, func: cst.BaseExpression, unit: _Unit) -> bool:
        sem = self.ctx.semantic
        if is_functional_loss(sem.qualified_name(func)):
            return True
        if type(func) is cst.Call:
            return self.facts.is_loss_instance_expr(func)
        if type(func) is cst.Name:
            if func.value in unit.criteria:
                return True
            return func.value in self.facts.global_losses and sem.lookup(func.value) is sem.module_scope
        if (
            type(func) is cst.Attribute and type(func.value) is cst.Name
            and func.value.value == "self"
        ):
            built = self.facts.self_attr(enclosing_class(self.ctx.stack), func.attr.value)
            return built is not None and self.facts.is_loss_instance_expr(built)
        return False

    def _state(self, e: cst.BaseExpression, unit: _Unit) -> Tuple[str, Set[str]]:
        sem = self.ctx.semantic
        if isinstance(e, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString,
                          cst.ConcatenatedString, cst.FormattedString)):
            return FREE, set()
        if type(e) in (cst.Name, cst.Attribute):
            if type(e) is cst.Attribute and e.attr.value in ("data", "grad", "shape", "dtype", "device"):
                return FREE, set()
            key = dotted(e)
            if key is None:
                return UNKNOWN, set()
            status = unit.status.get(key)
            if status is not None:
                return status, ({key} if status == GRAPH else set())
            if sem.qualified_name(e) is not None:
                return FREE, set()  # a module, an imported constant, a builtin
            if key in unit.ever_free:
                return UNKNOWN, set()  # detached on some path (`if step: loss = loss.detach()`)
            return MAYBE, {key}
        if type(e) is cst.Call:
            func = e.func
            if type(func) is cst.Attribute:
                if func.attr.value in DETACHING:
                    return FREE, set()
                if func.attr.value in PRESERVING:
                    return self._state(func.value, unit)
            if self._is_criterion(func, unit):
                inp = keyword(e, "input")
                args = positional(e)
                value = inp.value if inp is not None else (args[0].value if args else None)
                if value is not None and self._state(value, unit)[0] == FREE:
                    return FREE, set()
                return GRAPH, set()
            qn = sem.qualified_name(func)
            if qn in _FREE_BUILTINS:
                return FREE, set()
            if qn and qn.startswith("torch.") and qn.count(".") == 1:
                if qn[6:] in TORCH_NEW:
                    return FREE, set()
                args = positional(e)
                if args:
                    return self._state(args[0].value, unit)
            return UNKNOWN, set()
        if type(e) is cst.BinaryOperation and isinstance(e.operator, _ARITHMETIC):
            return _combine([self._state(e.left, unit), self._state(e.right, unit)])
        if type(e) is cst.UnaryOperation:
            return self._state(e.expression, unit)
        if type(e) is cst.Subscript:
            return self._state(e.value, unit)
        if type(e) in (cst.List, cst.Tuple):
            return _combine([self._state(el.value, unit) for el in e.elements])
        return UNKNOWN, set()

    # --- accumulations ------------------------------------------------------------------
    def _innermost_loop(self) -> Optional[cst.CSTNode]:
        for node in reversed(self.ctx.stack):
            if type(node) in (cst.For, cst.While):
                return node
            if type(node) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
                return None
        return None

    def _reset_in(self, loop: cst.CSTNode) -> Set[str]:
        """Names plainly re-assigned (not from themselves) by the loop body's own statements,
        so on every iteration: `total = 0` at the top of the body. A reset under an `if`
        (`if i % 100 == 0: running = 0.0`) still lets the graphs pile up in between."""
        found = self._resets.get(id(loop))
        if found is None:
            found = set()
            body = loop.body.body if type(loop.body) is cst.IndentedBlock else ()
            for stmt in body:
                if not type(stmt) is cst.SimpleStatementLine:
                    continue
                for small in stmt.body:
                    if type(small) in (cst.Assign, cst.AnnAssign) and small.value is not None:
                        reads = names_read(small.value, nested_scopes=False)
                        targets = small.targets if type(small) is cst.Assign else [small]
                        for t in targets:
                            key = dotted(t.target)
                            if key is not None and key not in reads:
                                found.add(key)
            self._resets[id(loop)] = found
        return found

    def _accumulate(self, report_node, acc: cst.BaseExpression, item: cst.BaseExpression) -> None:
        sem = self.ctx.semantic
        if sem.loop_depth <= 0:
            return
        loop = self._innermost_loop()
        if loop is None:
            return
        root = _root(acc)
        if root is None or root in self._reset_in(loop):
            return
        stack = self.ctx.stack
        if grad_managed(sem, stack):
            return
        unit = self._unit()
        state, names = self._state(item, unit)
        if state not in (GRAPH, MAYBE):
            return
        unit.candidates.append((report_node, root, _code(acc), state, names, _describe(item),
                                tuple(enclosing_functions(stack)), enclosing_class(stack)))

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        if type(node.operator) is cst.AddAssign:
            self._accumulate(node, node.target, node.value)
        unit = self._unit()
        key = dotted(node.target)
        if key is not None:
            unit.status.pop(key, None)
            unit.deps.setdefault(key, []).append(node.value)

    def leave_Assign(self, node: cst.Assign) -> None:
        self._assigned([t.target for t in node.targets], node.value, node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assigned([node.target], node.value, node)

    def _assigned(self, targets: List[cst.BaseExpression], value: cst.BaseExpression, node) -> None:
        if len(targets) == 1 and type(value) is cst.BinaryOperation and isinstance(
            value.operator, cst.Add
        ):
            key = dotted(targets[0])
            if key is not None:
                if dotted(value.left) == key:
                    self._accumulate(node, targets[0], value.right)
                elif dotted(value.right) == key:
                    self._accumulate(node, targets[0], value.left)
        unit = self._unit()
        if grad_managed(self.ctx.semantic, self.ctx.stack):
            status = FREE
        else:
            state = self._state(value, unit)[0]
            status = state if state in (GRAPH, FREE) else None
        is_criterion = self.facts.is_loss_instance_expr(value)
        for target in targets:
            key = dotted(target)
            if key is None and type(target) is cst.Subscript:
                # `losses["total"] = total`: the container now holds what was stored in it.
                root = _root(target)
                if root is not None:
                    unit.deps.setdefault(root, []).append(value)
                continue
            keys = [key] if key is not None else list(target_names(target))
            for k in keys:
                unit.deps.setdefault(k, []).append(value)
                if status == FREE:
                    unit.ever_free.add(k)
                if status is not None and key is not None:
                    unit.status[k] = status
                else:
                    unit.status.pop(k, None)
                if is_criterion and key is not None:
                    unit.criteria.add(k)
                else:
                    unit.criteria.discard(k)

    def visit_Call(self, node: cst.Call) -> None:
        sem = self.ctx.semantic
        self.sites.record(sem, self.ctx.stack, node)
        func = node.func
        if legacy_volatile(node):
            self._unit().volatile = True
        if is_backward_call(sem, node):
            unit = self._unit()
            for arg in node.args:
                unit.backward_reads.append(arg.value)
            if type(func) is cst.Attribute:
                unit.backward_reads.append(func.value)
                owner = (dotted(func.value) or "").rpartition(".")[2].lower()
                if any(w in owner for w in BACKWARD_ENGINES):
                    # `accelerator.backward(loss)`: the argument is what is backpropagated.
                    for arg in positional(node)[:1]:
                        names_read(arg.value, unit.backward, nested_scopes=False)
                else:  # `loss.backward(gradient)`: the receiver is; the argument is a gradient.
                    names_read(func.value, unit.backward, nested_scopes=False)
            else:  # torch.autograd.backward(tensors, ...) / torch.autograd.grad(outputs, ...)
                first = keyword(node, "tensors") or keyword(node, "outputs")
                first = first or next(iter(positional(node)), None)
                if first is not None:
                    names_read(first.value, unit.backward, nested_scopes=False)
            return
        if type(func) is cst.Attribute:
            method = func.attr.value
            if method in STORING:
                root = _root(func.value)
                if root is not None:
                    unit = self._unit()
                    for arg in node.args:
                        unit.deps.setdefault(root, []).append(arg.value)
            if method == "eval" and not node.args:
                self._unit().evaluates = True
            elif method in ("append", "add_") and len(node.args) == 1 and not node.args[0].star:
                self._accumulate(node, func.value, node.args[0].value)
            elif method == "extend" and len(node.args) == 1 and isinstance(
                node.args[0].value, (cst.List, cst.Tuple)
            ):
                self._accumulate(node, func.value, node.args[0].value)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self._unit().returned.append(node.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, cst.BaseExpression):
            self._unit().returned.append(node.value)

    def _forget(self, target: cst.BaseExpression) -> None:
        unit = self._unit()
        key = dotted(target)
        for k in ([key] if key is not None else list(target_names(target))):
            unit.status.pop(k, None)
            unit.criteria.discard(k)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._forget(node.asname.name)

    def visit_For(self, node: cst.For) -> None:
        self._forget(node.target)

    def visit_If(self, node: cst.If) -> None:
        unit = self._unit()
        unit.snapshots.append(dict(unit.status))

    def leave_If(self, node: cst.If) -> None:
        unit = self._unit()
        before = unit.snapshots.pop()
        for k in set(before) | set(unit.status):
            if unit.status.get(k) != before.get(k):
                unit.status.pop(k, None)

    visit_Try = visit_If
    leave_Try = leave_If

    # --- decision -----------------------------------------------------------------------
    def leave_Module(self, node: cst.Module) -> None:
        protected = self.sites.protected()
        for unit in self.order:
            if not unit.candidates or unit.volatile:
                continue
            deps = {k: _names(v) for k, v in unit.deps.items()}
            feeding = _closure(_names(unit.backward_reads), deps)
            returned = _closure(_names(unit.returned), deps)
            for report_node, root, acc_text, state, names, item, defs, owner in unit.candidates:
                backwarded = bool(names & unit.backward)
                if state == MAYBE and not backwarded:
                    continue
                if root in feeding:
                    continue  # the accumulated graph is backpropagated: it is wanted
                if root in returned and not backwarded and not unit.evaluates:
                    continue  # builds a loss for the caller
                if switched_off(self.facts, defs) or self.sites.unit_protected(defs, owner, protected):
                    continue
                self.report(report_node, acc=acc_text, item=item[0], fix=item[1])


def _root(expr: cst.BaseExpression) -> Optional[str]:
    """`history["loss"]` -> "history"; `self.total` -> "self.total"."""
    while type(expr) is cst.Subscript:
        expr = expr.value
    return dotted(expr)


def _names(nodes: List[cst.CSTNode]) -> Set[str]:
    out: Set[str] = set()
    for n in nodes:
        names_read(n, out, nested_scopes=False)
    return out


def _closure(start: Set[str], deps: Dict[str, Set[str]]) -> Set[str]:
    """`start` and every name the values assigned to them were built from, transitively."""
    out = set(start)
    todo = list(out)
    while todo:
        for dep in deps.get(todo.pop(), ()):
            if dep not in out:
                out.add(dep)
                todo.append(dep)
    return out


def _describe(item: cst.BaseExpression) -> Tuple[str, str]:
    """How the message names the accumulated value, and the fix it suggests."""
    name = dotted(item)
    if name is not None:
        return name, f"accumulate {name}.item() (or {name}.detach()) instead"
    text = _code(item, "")
    return (text or "a loss tensor"), "accumulate the loss's .item() (or .detach()) instead"


def _code(node: cst.CSTNode, default: str = "the accumulator") -> str:
    try:
        text = cst.Module(body=[]).code_for_node(node)
    except Exception:  # pragma: no cover - defensive
        return default
    return text if len(text) <= 40 and "\n" not in text else default
