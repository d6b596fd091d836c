"""Which names a scope binds, read from its statements without walking its expressions.

Python decides at compile time that a name assigned anywhere in a function is local to all of
it, so a scope's bindings are collected when the scope is entered. Only statements are walked
(not expressions), which keeps this far cheaper than a full traversal; the price is that
walrus targets inside expressions are not seen, which only ever makes resolution more silent.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` as a string, or None for anything that is not a plain dotted name."""
    parts: List[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def target_names(target: cst.BaseExpression) -> Iterable[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from target_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


class ScopeBindings:
    __slots__ = ("names", "imports", "counts", "globals", "nonlocals", "non_import")

    def __init__(self) -> None:
        self.names: Set[str] = set()
        # name -> qualified names it may be imported as (several when imported in branches)
        self.imports: Dict[str, Set[str]] = {}
        # how many binding statements each name has; >1 means its value may differ by path
        self.counts: Dict[str, int] = {}
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()
        # names also bound by something other than an import (assignment, def, parameter...)
        self.non_import: Set[str] = set()

    def bind(self, name: str) -> None:
        self.names.add(name)
        self.counts[name] = self.counts.get(name, 0) + 1
        self.non_import.add(name)

    def bind_import(self, name: str, qualified: str) -> None:
        self.names.add(name)
        self.counts[name] = self.counts.get(name, 0) + 1
        self.imports.setdefault(name, set()).add(qualified)


def _import_bindings(stmt, out: ScopeBindings) -> None:
    if isinstance(stmt, cst.Import):
        for alias in stmt.names:
            full = dotted(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                out.bind_import(alias.asname.name.value, full)
            else:
                head = full.split(".", 1)[0]
                out.bind_import(head, head)
    elif isinstance(stmt, cst.ImportFrom):
        if stmt.relative:
            module = None  # a relative import is the project's own code, never a library
        else:
            module = dotted(stmt.module) if stmt.module is not None else None
        if isinstance(stmt.names, cst.ImportStar):
            return
        for alias in stmt.names:
            if not isinstance(alias.name, cst.Name):
                continue
            local = alias.name.value
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            if module is None:
                out.bind(local)  # the project's own name: bound, but not to a library
            else:
                out.bind_import(local, f"{module}.{alias.name.value}")


def collect(body: Iterable[cst.CSTNode], out: ScopeBindings) -> ScopeBindings:
    """Add the bindings made by `body` (a sequence of statements) to `out`."""
    stack = list(body)
    stack.reverse()
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                _small_bindings(small, out)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            out.bind(stmt.name.value)
        elif isinstance(stmt, cst.BaseSmallStatement):  # the body of a one-line suite
            _small_bindings(stmt, out)
        elif isinstance(stmt, cst.BaseSuite):
            _push_body(stmt, stack)
        else:
            if isinstance(stmt, cst.For):
                for n in target_names(stmt.target):
                    out.bind(n)
            elif isinstance(stmt, cst.With):
                for item in stmt.items:
                    if item.asname is not None:
                        for n in target_names(item.asname.name):
                            out.bind(n)
            elif isinstance(stmt, (cst.Try, getattr(cst, "TryStar", cst.Try))):
                for h in stmt.handlers:
                    if h.name is not None and isinstance(h.name.name, cst.Name):
                        out.bind(h.name.name.value)
            for attr in ("body", "orelse", "finalbody", "handlers"):
                child = getattr(stmt, attr, None)
                if child is None:
                    continue
                if isinstance(child, (list, tuple)):
                    for c in reversed(child):
                        stack.append(c)
                else:
                    stack.append(child)
            if isinstance(stmt, cst.Match):
                for case in reversed(stmt.cases):
                    stack.append(case.body)
    return out


def _push_body(suite, stack: list) -> None:
    body = suite.body
    if isinstance(body, (list, tuple)):
        for c in reversed(body):
            stack.append(c)
    else:  # pragma: no cover - defensive
        stack.append(body)


def _small_bindings(small, out: ScopeBindings) -> None:
    if isinstance(small, cst.Assign):
        for t in small.targets:
            for n in target_names(t.target):
                out.bind(n)
    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
        if small.__class__ is cst.AnnAssign and small.value is None:
            out.names.add(small.target.value) if isinstance(small.target, cst.Name) else None
            return
        for n in target_names(small.target):
            out.bind(n)
    elif isinstance(small, (cst.Import, cst.ImportFrom)):
        _import_bindings(small, out)
    elif isinstance(small, cst.Global):
        out.globals.update(n.name.value for n in small.names)
    elif isinstance(small, cst.Nonlocal):
        out.nonlocals.update(n.name.value for n in small.names)
    elif isinstance(small, cst.Del):
        for n in target_names(small.target):
            out.names.add(n)


def parameter_names(params: cst.Parameters) -> List[str]:
    names: List[str] = []
    for group in (params.posonly_params, params.params, params.kwonly_params):
        names.extend(p.name.value for p in group)
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return names


def comprehension_targets(node) -> Tuple[str, ...]:
    names: List[str] = []
    for_in = node.for_in
    while for_in is not None:
        names.extend(target_names(for_in.target))
        for_in = for_in.inner_for_in
    return tuple(names)
