"""Which names a scope binds, read from its statements without walking its expressions.

Python decides at compile time that a name assigned anywhere in a function is local to all of
it, so a scope's bindings are collected when the scope is entered. Only statements are walked
(not expressions), which keeps this far cheaper than a full traversal; the price is that
walrus targets inside expressions are not seen, which only ever makes resolution more silent.
"""

from __future__ import annotations

from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

import libcst as cst

from memlint.semantic.syntax import child_fields

# Node types are compared exactly (`type(x) is cst.Name`) on these hot paths: `isinstance`
# against libcst's ABC-based classes costs a Python-level ABCMeta call whenever it fails. The
# classes compared have no subclasses; for the two abstract bases, all their subclasses.


def _subclasses(base: type) -> frozenset:
    out, todo = set(), [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in out:
                out.add(sub)
                todo.append(sub)
    return frozenset(out)


_SMALL_STATEMENTS = _subclasses(cst.BaseSmallStatement)
_SUITES = _subclasses(cst.BaseSuite)
_TRY = (cst.Try, getattr(cst, "TryStar", cst.Try))


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` as a string, or None for anything that is not a plain dotted name."""
    parts: List[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is cst.Name:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _reads(node: cst.CSTNode, skip: Optional[cst.CSTNode], nested_scopes: bool) -> Iterator[str]:
    """Every dotted name read in `node` (`loss`, `self.total`), outermost first; the `attr` of
    an attribute is not a variable, and `f().x` or `a[i].b` reads only what its value reads."""
    todo = [node]
    while todo:
        n = todo.pop()
        if n is skip:
            continue
        kind = type(n)
        if kind is cst.Name or kind is cst.Attribute:
            d = dotted(n)
            if d is not None:
                yield d
                continue
            if kind is cst.Attribute:
                todo.append(n.value)
                continue
        elif not nested_scopes and kind in _NESTED_SCOPES:
            continue
        for field in child_fields(kind):
            v = getattr(n, field)
            if type(v) is tuple or type(v) is list:
                todo.extend(x for x in v if isinstance(x, cst.CSTNode))
            elif isinstance(v, cst.CSTNode):
                todo.append(v)


_NESTED_SCOPES = (cst.Lambda, cst.FunctionDef, cst.ClassDef)


def names_read(node: cst.CSTNode, out: Optional[Set[str]] = None,
               nested_scopes: bool = True) -> Set[str]:
    """Every dotted name read in `node` and each of its prefixes (`self.total` gives `self`
    and `self.total`), added to `out`. Without `nested_scopes`, the bodies of lambdas,
    functions and classes inside `node` are not looked into."""
    out = set() if out is None else out
    for d in _reads(node, None, nested_scopes):
        parts = d.split(".")
        for i in range(1, len(parts) + 1):
            out.add(".".join(parts[:i]))
    return out


def mentions(node: cst.CSTNode, names, skip: Optional[cst.CSTNode] = None) -> bool:
    """Does `node` (minus the subtree `skip`) read a variable in `names`, or an attribute
    path in it (`names` may hold `self.total`)?"""
    for d in _reads(node, skip, True):
        if d in names:
            return True
        parts = d.split(".")
        for i in range(1, len(parts)):
            if ".".join(parts[:i]) in names:
                return True
    return False


def target_names(target: cst.BaseExpression) -> Iterable[str]:
    kind = type(target)
    if kind is cst.Name:
        yield target.value
    elif kind is cst.Tuple or kind is cst.List:
        for el in target.elements:
            yield from target_names(el.value)
    elif kind is cst.StarredElement:
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
        kind = type(stmt)
        if kind is cst.SimpleStatementLine:
            for small in stmt.body:
                _small_bindings(small, out)
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            out.bind(stmt.name.value)
        elif kind in _SMALL_STATEMENTS:  # the body of a one-line suite
            _small_bindings(stmt, out)
        elif kind in _SUITES:
            _push_body(stmt, stack)
        else:
            if kind is cst.For:
                for n in target_names(stmt.target):
                    out.bind(n)
            elif kind is cst.With:
                for item in stmt.items:
                    if item.asname is not None:
                        for n in target_names(item.asname.name):
                            out.bind(n)
            elif kind in _TRY:
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
            if kind is cst.Match:
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
    kind = type(small)
    if kind is cst.Assign:
        for t in small.targets:
            for n in target_names(t.target):
                out.bind(n)
    elif kind is cst.AnnAssign or kind is cst.AugAssign:
        if kind is cst.AnnAssign and small.value is None:
            out.names.add(small.target.value) if type(small.target) is cst.Name else None
            return
        for n in target_names(small.target):
            out.bind(n)
    elif kind is cst.Import or kind is cst.ImportFrom:
        _import_bindings(small, out)
    elif kind is cst.Global:
        out.globals.update(n.name.value for n in small.names)
    elif kind is cst.Nonlocal:
        out.nonlocals.update(n.name.value for n in small.names)
    elif kind is cst.Del:
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
