"""MEM503 unbounded-buffer."""

from __future__ import annotations

from typing import List

import libcst as cst

from memlint.model import line_ref
from memlint.rule import Rule
from memlint.semantic.lifetime import (
    GROW_METHODS,
    SHRINK_METHODS,
    LifetimeHooks,
    enclosing_endless,
)


def _is_new_list(sem, value) -> bool:
    if isinstance(value, cst.List):
        return True
    return isinstance(value, cst.Call) and not value.args and sem.is_builtin(value.func, "list")


class UnboundedBuffer(LifetimeHooks, Rule):
    code = "MEM503"
    name = "unbounded-buffer"
    pylint_id = "W7752"
    message = (
        "{name} only grows ({how} at line {grow_line}) inside the loop at line {loop_line}, "
        "which never ends by itself, and nothing removes items from it; use "
        "collections.deque(maxlen=...) or trim it"
    )
    summary = "A list only grows inside a loop that never ends by itself."
    what = """
        Flags a list, created where memlint can see it (`buf = []` or `buf = list()` in the
        same function or module, or `self.buf = []` in `__init__`), that is appended to,
        extended, inserted into or `+=`-ed inside a loop with no end of its own, and never
        shrunk: `while True:` or `for ... in itertools.count()` with no `break` or `return`,
        `while running:` / `while not done:` / `while self.running:` on a True/False flag
        that the loop itself never sets, and `while not stop_event.is_set():`. The finding is
        reported where the list is created.
    """
    why = """
        Such a list holds every item the loop has ever produced: a replay buffer, a log of
        rewards or requests, a history of frames. Its size grows with the program's uptime,
        not with the data, until the process runs out of memory hours or days later. A
        `collections.deque(maxlen=N)` keeps the last N items in constant memory; if the whole
        history is needed, write it out as it comes.
    """
    example = """
        import random

        transitions = []
        while True:
            state, reward, done = env.step(policy(state))
            transitions.append((state, reward, done))
            batch = random.sample(transitions, min(len(transitions), 64))
            learn(batch)
    """
    use_instead = """
        import random
        from collections import deque

        transitions = deque(maxlen=100_000)
        while True:
            state, reward, done = env.step(policy(state))
            transitions.append((state, reward, done))
            batch = random.sample(transitions, min(len(transitions), 64))
            learn(batch)
    """
    limits = """
        On by default: a list that only grows in a loop that cannot end by itself is a leak
        by construction, and the rule asks for all three where it can see them - the list's
        creation, the endless loop and the absence of anything that could shrink it.

        Loops with a bound are not flagged, however long they run: a `for` over a range, a
        data loader or any other iterable (collecting one prediction per batch is the point of
        such a loop), a `while` whose condition is a comparison or a container, and loops that
        `break`, `return`, `raise` or call `sys.exit()`, or set their own flag. The list is not
        flagged when anything could shrink it: a `pop`, `remove`, `clear`, `del buf[...]`, a
        slice or item assignment, a rebinding, or when it is handed to a function that is not
        known to only read it, stored elsewhere, returned, yielded or captured by a closure.
        A local list read after the loop (which only an exception can leave, as in `except
        KeyboardInterrupt: save(frames)`) is the loop's result and is not flagged either.
        For `self.buf`, the whole class is checked, and any other object's `.buf` being
        shrunk or rebound in the same file silences it too; a subclass or another module
        trimming it cannot be seen.
    """
    invalid = (
        "def run(queue):\n    seen = []\n    while True:\n        seen.append(queue.get())\n",
        "import itertools\nlog = []\nfor step in itertools.count():\n    log += [step]\n",
        "running = True\nhistory = list()\nwhile running:\n    history.extend(poll())\n",
        "class Worker:\n    def __init__(self):\n        self.results = []\n"
        "    def run(self):\n        while not self.stop_event.is_set():\n"
        "            self.results.append(self.compute())\n",
        "class Agent:\n    def __init__(self):\n        self.running = True\n        self.memory = []\n"
        "    def loop(self, env):\n        while self.running:\n"
        "            self.memory.append(env.step())\n",
        "def serve(stop, q):\n    got = []\n    while (not stop.is_set()  # until told\n"
        "           ):\n        got.append(q.get())\n",
    )
    valid = (
        "def run(queue):\n    seen = []\n    while True:\n        seen.append(queue.get())\n"
        "        if len(seen) > 100:\n            seen.pop(0)\n",
        "def run(queue):\n    seen = []\n    while True:\n        seen.append(queue.get())\n"
        "        if len(seen) == 100:\n            flush(seen)\n            seen = []\n",
        "def read(sock):\n    chunks = []\n    while True:\n        c = sock.recv(4096)\n"
        "        if not c:\n            break\n        chunks.append(c)\n    return b''.join(chunks)\n",
        "def predict(model, loader):\n    out = []\n    for batch in loader:\n"
        "        out.append(model(batch))\n    return out\n",
        "def walk(root):\n    stack, seen = [root], []\n    while stack:\n"
        "        node = stack.pop()\n        seen.append(node)\n        stack.extend(node.children)\n"
        "    return seen\n",
        "from collections import deque\nbuf = deque(maxlen=1000)\nwhile True:\n    buf.append(read())\n",
        "running = True\nlog = []\nwhile running:\n    log.append(poll())\n"
        "    if log[-1] is None:\n        running = False\n",
        "def run(q):\n    buf = []\n    while True:\n        buf.append(q.get())\n        buf.clear()\n",
        "import sys\ndef run(q):\n    buf = []\n    while True:\n        buf.append(q.get())\n"
        "        if buf[-1] is None:\n            sys.exit(0)\n",
        "def run(q):\n    buf = []\n    while True:\n        buf.append(q.get())\n        consume(buf)\n",
        "def run(q):\n    buf = []\n    while True:\n        buf.append(q.get())\n"
        "        del buf[:-100]\n",
        "def run(q):\n    buf = []\n    while True:\n        buf.append(q.get())\n"
        "        buf = buf[-100:]\n",
        "def record(cam):\n    frames = []\n    try:\n        while True:\n"
        "            frames.append(cam.read())\n    except KeyboardInterrupt:\n"
        "        save(frames)\n",
        "class W:\n    def __init__(self):\n        self.items = []\n"
        "    def run(self):\n        while True:\n            self.items.append(1)\n"
        "    def reset(self):\n        self.items.clear()\n",
    )
    # An endless loop (memlint.semantic.lifetime._forever) is a `while` whose test is a
    # name, a number or a dotted name written without spaces, maybe negated and in
    # parentheses, up to its colon (a comment admits the file; a name over 200 characters
    # too, rather than scan on); a `while not <anything>.is_set()`; or a `for` over
    # itertools.count/cycle/repeat in a file that names itertools.
    triggers = (r"while\b[\s(\\]*(?:not\b[\s(\\]*)?(?:[\w.]{1,200}[\s)\\]*[:#]|[\w.]{201})"
                r"|is_set\b"
                r"|(?s:\A(?=.*?\bitertools\b).*?\b(?:count|cycle|repeat)\b)")
    needs = frozenset({"uses"})

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self._lists: List[tuple] = []

    def leave_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._candidate(node, node.targets[0].target, node.value)
        super().leave_Assign(node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._candidate(node, node.target, node.value)
        super().leave_AnnAssign(node)

    def _candidate(self, node, target, value) -> None:
        sem = self.ctx.semantic
        scope = sem.scope
        if not isinstance(target, cst.Name) or scope is None or scope.kind not in ("function", "module"):
            return
        name = target.value
        if sem.lookup(name) is not scope or name in scope.params or not _is_new_list(sem, value):
            return
        if name in scope.b.globals or name in scope.b.nonlocals:
            return
        frame = self.lifetime.frame_of.get(id(node))
        if frame is not None:
            self._lists.append((scope, name, target, frame))

    def leave_Module(self, node: cst.Module) -> None:
        rec = self.lifetime
        found = []
        for scope, name, target, frame in self._lists:
            hit = self._local(scope, name, frame)
            if hit is not None:
                found.append((name, target) + hit)
        for class_id, attrs in rec.attrs.items():
            for attr, accesses in attrs.items():
                hit = self._attribute(attr, accesses, attrs)
                if hit is not None:
                    found.append(("self." + attr,) + hit)
        if not found:
            return
        nodes = []
        for _, _, grow, loop, _ in found:
            nodes += [grow, loop.node]
        lines = rec.lines(nodes)
        for name, target, grow, loop, how in found:
            if id(grow) in lines and id(loop.node) in lines:
                self.report(target, name=name, how=how, grow_line=line_ref(lines[id(grow)][0]),
                            loop_line=line_ref(lines[id(loop.node)][0]))

    def _local(self, scope, name, bind):
        rec = self.lifetime
        if id(scope) in rec.dynamic or (id(scope), name) in rec.foreign:
            return None
        growth = []
        ticks = []
        for u in scope.uses.get(name, ()):
            info = rec.uses.get(id(u.node))
            if info is None or info.flow.flow != "use" or info.flow.passed:
                return None  # kept or handed somewhere that might trim it
            kind = info.kind
            ticks.append(info.tick)
            if kind == "store":
                if info.frame is not bind:
                    return None
            elif kind in ("del", "item-store", "capture", "return", "yield"):
                return None
            elif kind == "method" and u.detail in SHRINK_METHODS:
                return None
            elif kind == "method" and u.detail in GROW_METHODS:
                growth.append((u.node, info.frame, f".{u.detail}()"))
            elif kind == "aug":
                if info.aug_op != "AddAssign":
                    return None
                growth.append((u.node, info.frame, "+="))
        for node, frame, how in growth:
            loop = enclosing_endless(rec, frame, bind.end)
            if loop is not None and not any(t > loop.end for t in ticks):
                # (read after the loop, which only an exception leaves: the list is a result,
                # as in `except KeyboardInterrupt: save(frames)`)
                return node, loop, how
        return None

    def _attribute(self, attr, accesses, class_attrs):
        rec = self.lifetime
        if attr in rec.touched_attrs:
            return None
        stores = [a for a in accesses if a.kind == "store"]
        if len(stores) != 1:
            return None
        create = stores[0]
        method = create.method
        if not (isinstance(method, cst.FunctionDef) and method.name.value == "__init__"):
            return None
        if not _is_new_list(self.ctx.semantic, create.value):
            return None
        growth = []
        for a in accesses:
            if a is create:
                continue
            if a.flow.flow != "use" or a.flow.passed:
                return None
            if a.kind in ("del", "item-store", "opaque", "store"):
                return None
            if a.kind == "method" and a.detail in SHRINK_METHODS:
                return None
            if a.kind == "method" and a.detail in GROW_METHODS:
                growth.append((a.node, a.frame, f".{a.detail}()"))
            elif a.kind == "aug":
                if a.detail != "AddAssign":
                    return None
                growth.append((a.node, a.frame, "+="))
        for node, frame, how in growth:
            loop = enclosing_endless(rec, frame, -1, class_attrs)
            if loop is not None:
                return create.node, node, loop, how
        return None
