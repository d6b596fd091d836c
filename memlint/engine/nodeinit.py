"""Faster constructors for libcst's node classes: the same arguments, the same result.

libcst's native parser builds every node by calling its class, and a node class is a frozen,
slotted dataclass whose generated `__init__` stores each field with
`object.__setattr__(self, "name", value)`: a global lookup, an attribute lookup and a
descriptor search per field, on some ten million nodes for a few thousand files. The
`__init__` made here stores each field through the slot's own descriptor, bound once, then
calls `__post_init__` (libcst's validation) exactly as before. Parsing gets about 10% faster;
nodes built outside memlint's parse (by a codemod in the same process) are validated as
ever.

A class is left as it is unless everything about it is what this module expects: every
field a plain positional dataclass field stored in a slot, with libcst's own `__init__`
taking exactly those fields. The new one takes the same parameters with the very same
default objects. `install` is idempotent and never raises.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import types
from typing import Callable, Dict, Iterator, Optional

import libcst as cst

_installed = False
ORIGINAL: Dict[type, Callable] = {}  # class -> libcst's own __init__ (see libcst_constructors)


def fast_init(cls: type) -> Optional[Callable]:
    """An equivalent, faster `__init__` for a libcst node class, or None to keep its own."""
    if not (isinstance(cls, type) and issubclass(cls, cst.CSTNode) and dataclasses.is_dataclass(cls)
            and "__slots__" in cls.__dict__ and "__init__" in cls.__dict__):
        return None
    theirs = cls.__dict__["__init__"]
    try:
        signature = list(inspect.signature(theirs).parameters.values())[1:]  # after self
    except (TypeError, ValueError):
        return None
    fields = dataclasses.fields(cls)
    if [p.name for p in signature] != [f.name for f in fields]:
        return None
    namespace: Dict[str, object] = {}
    params, body = [], []
    for i, (f, p) in enumerate(zip(fields, signature)):
        positional = p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        if not f.init or getattr(f, "kw_only", False) or not positional:
            return None
        slot = next((k.__dict__[f.name] for k in cls.__mro__ if f.name in k.__dict__), None)
        if type(slot) is not types.MemberDescriptorType:
            return None
        namespace[f"_set{i}"] = slot.__set__
        if p.default is not inspect.Parameter.empty:
            # The very default object of libcst's own signature: for a default_factory that
            # is dataclasses' "use the factory" sentinel, which a caller may pass explicitly.
            namespace[f"_default{i}"] = p.default
            params.append(f"{f.name}=_default{i}")
            if f.default_factory is not dataclasses.MISSING:
                namespace[f"_factory{i}"] = f.default_factory
                body.append(f"    if {f.name} is _default{i}:\n        {f.name} = _factory{i}()")
            elif p.default is not f.default:
                return None
        elif f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            return None
        else:
            params.append(f.name)
        body.append(f"    _set{i}(self, {f.name})")
    body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(compile(source, f"<memlint fast __init__ of {cls.__name__}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = theirs.__doc__
    init.__annotations__ = dict(getattr(theirs, "__annotations__", {}))
    return init


def install() -> int:
    """Give every qualifying libcst node class the fast `__init__`; how many got it now (0 when
    a previous call already did it)."""
    global _installed
    if _installed:
        return 0
    _installed = True
    count = 0
    try:
        for name in dir(cst):
            cls = getattr(cst, name, None)
            init = fast_init(cls)
            if init is not None:
                ORIGINAL[cls] = cls.__dict__["__init__"]
                cls.__init__ = init
                count += 1
    except Exception:  # pragma: no cover - an unexpected libcst: what was set is equivalent
        pass
    return count


@contextlib.contextmanager
def libcst_constructors() -> Iterator[None]:
    """Inside the block, libcst's own node constructors are back in place: to compare trees
    (the tests) or to time libcst as it comes (bench/phases.py)."""
    install()
    fast = {cls: cls.__dict__["__init__"] for cls in ORIGINAL}
    try:
        for cls, init in ORIGINAL.items():
            cls.__init__ = init
        yield
    finally:
        for cls, init in fast.items():
            cls.__init__ = init
