"""Room for deep recursion: run a function in a thread with a large stack and a raised
recursion limit.

libcst's native parser recurses on the C stack, and its code generation (used for the
positions of findings), its visitors and some of memlint's own helpers recurse in Python.
Source that `memlint.engine.guard` lets through can still nest a few thousand levels deep (a
long string concatenation, a long `elif` chain), which needs more than the calling thread
may have: 8 MB of C stack and 1000 Python frames by default, much less in some hosts'
worker threads. The engine runs such files here instead.

The recursion limit is process-wide, so it is raised only for the duration of the call,
under a lock that also serialises deep calls. Python 3.12 caps recursion through C
(`f(**kwargs)` calls among them) whatever the limit; libcst's `CSTNode._codegen` recurses
that way, so on 3.12 it is swapped, for the duration of the call, for an equivalent that
passes its keyword arguments explicitly.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable

# Tried in order: a thread with a large stack only reserves address space, but a host
# with strict memory accounting may refuse it.
STACK_SIZES = (512 << 20, 128 << 20, 32 << 20)
RECURSION_LIMIT = 200_000

_LOCK = threading.Lock()
_NAME = "memlint-deep"


def run(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) with a large stack and a high recursion limit; its exception propagates."""
    if threading.current_thread().name == _NAME:  # already roomy: no second thread, no deadlock
        return fn(*args)
    box: dict = {}

    def target() -> None:
        old_limit = sys.getrecursionlimit()
        restore = _patch_codegen()
        try:
            sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
            box["value"] = fn(*args)
        except BaseException as e:  # handed to the calling thread
            box["error"] = e
        finally:
            sys.setrecursionlimit(old_limit)
            restore()

    with _LOCK:
        thread = _start(target)
        if thread is None:  # no thread could be had: do what can be done here
            return fn(*args)
        thread.join()
    if "error" in box:
        raise box.pop("error")
    return box.get("value")


def _start(target: Callable[[], None]):
    for size in STACK_SIZES:
        try:
            old = threading.stack_size(size)
        except (ValueError, RuntimeError):  # size not supported on this platform
            continue
        try:
            thread = threading.Thread(target=target, name=_NAME, daemon=True)
            thread.start()
            return thread
        except (RuntimeError, MemoryError):  # "can't start new thread"
            continue
        finally:
            threading.stack_size(old)
    return None


def _codegen(self, state, **kwargs) -> None:
    # libcst's CSTNode._codegen, with the keyword arguments that chain deeply (If's
    # is_elif, statements' default_semicolon) passed as plain keywords: a call through
    # **kwargs is not inlined by CPython 3.12 and counts against its C recursion cap.
    state.before_codegen(self)
    if not kwargs:
        self._codegen_impl(state)
    elif len(kwargs) == 1 and "is_elif" in kwargs:
        self._codegen_impl(state, is_elif=kwargs["is_elif"])
    elif len(kwargs) == 1 and "default_semicolon" in kwargs:
        self._codegen_impl(state, default_semicolon=kwargs["default_semicolon"])
    else:
        self._codegen_impl(state, **kwargs)
    state.after_codegen(self)


def _patch_codegen() -> Callable[[], None]:
    if sys.version_info[:2] != (3, 12):
        return lambda: None
    try:
        from libcst._nodes.base import CSTNode
    except ImportError:  # pragma: no cover - libcst moved its internals
        return lambda: None
    original = CSTNode.__dict__.get("_codegen")
    if original is None:  # pragma: no cover - libcst changed
        return lambda: None
    CSTNode._codegen = _codegen

    def restore() -> None:
        CSTNode._codegen = original

    return restore
