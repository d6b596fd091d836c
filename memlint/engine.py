"""source -> FileResult: prefilter, parse once, one traversal for all rules, positions for
reported nodes only, suppression. `lint_source` never raises.
"""

from __future__ import annotations

import codecs
import dataclasses
import gc
import io
import re
import sys
import tokenize
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type

import libcst as cst
from libcst._nodes.base import CSTNode as _CSTNode

from memlint.model import INTERNAL_ERROR, SYNTAX_ERROR, Diagnostic, FileResult
from memlint.positions import full_positions, locate
from memlint.rule import Rule
from memlint.semantic import SemanticModel
from memlint.suppress import Suppressions
from memlint.triggers import matches as trigger_matches

# Fields that hold only whitespace, comments or punctuation: no rule looks inside them, and
# skipping them roughly halves the nodes the traversal touches.
_SKIPPED_FIELDS = frozenset(
    "lpar rpar comma semicolon colon equal dot lbracket rbracket lbrace rbrace header footer "
    "leading_lines lines_after_decorators newline star asynchronous arrow walrus "
    "whitespace".split()
)
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_fields(cls: type) -> Tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _SKIPPED_FIELDS and "whitespace" not in f.name
        )
        _FIELDS[cls] = names
    return names


class FileContext:
    """What a rule can see of the file being linted."""

    def __init__(self, path: str, source: str, semantic: SemanticModel):
        self.path = path
        self.source = source
        self.semantic = semantic
        self.stack: List[cst.CSTNode] = semantic.stack
        # (rule, node, message, the nodes open when it was reported: they anchor its position)
        self.reports: List[Tuple[Rule, cst.CSTNode, str, tuple]] = []

    def add_report(self, rule: Rule, node: cst.CSTNode, message: str) -> None:
        self.reports.append((rule, node, message, tuple(self.stack)))

    @property
    def parent(self) -> Optional[cst.CSTNode]:
        return self.stack[-2] if len(self.stack) > 1 else None


def decode(data: bytes) -> str:
    """Bytes to text as CPython would read them: BOM, PEP 263 cookie, else UTF-8.

    Raises SyntaxError (as CPython does) when the bytes cannot be decoded.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        raise
    except LookupError as e:  # an unknown codec named in the cookie
        raise SyntaxError(str(e)) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise SyntaxError(f"cannot decode as {encoding}: {e}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _no_validation(self) -> None:
    pass


# libcst's own hook, saved once: restoring this constant (not whatever was there before the
# call) can never leave validation switched off, even with parses on several threads.
_VALIDATE = _CSTNode.__dict__.get("__post_init__")


def parse_module(source: str) -> cst.Module:
    """`libcst.parse_module`, minus re-validating each node the parser builds.

    Every node libcst's parser constructs runs `_validate()`, which re-checks invariants
    (whitespace around keywords, balanced parentheses) that the grammar has just enforced:
    about a sixth of the parse. The check is switched off only for the duration of the call
    (memlint never builds nodes of its own) and restored even if the parser raises.
    """
    if _VALIDATE is None:  # pragma: no cover - a libcst without the hook
        return cst.parse_module(source)
    _CSTNode.__post_init__ = _no_validation
    try:
        return cst.parse_module(source)
    finally:
        _CSTNode.__post_init__ = _VALIDATE


def active_rules(source: str, rules: Sequence[Type[Rule]]) -> List[Type[Rule]]:
    """The rules whose text trigger occurs in `source`: the others cannot report anything."""
    out = []
    seen: Dict[object, bool] = {}  # several rules may share one trigger
    for r in rules:
        pattern = r.trigger_pattern()
        if pattern is None:
            out.append(r)
            continue
        hit = seen.get(pattern)
        if hit is None:
            hit = seen[pattern] = trigger_matches(pattern, source)
        if hit:
            out.append(r)
    return out


def lint_source(
    source,
    path: str = "<stdin>",
    rules: Sequence[Type[Rule]] = (),
    options: Optional[Dict[str, dict]] = None,
) -> FileResult:
    """Lint one file's text (str) or bytes with `rules`. Never raises."""
    result = FileResult(path)
    # The cyclic garbage collector would walk the growing tree over and over while libcst
    # builds it (about 8% of the time), and the tree has no cycles to find: nodes refer only to
    # their children. It is paused for this one file and restored as it was; the few cycles
    # linting makes are broken explicitly (see _lint).
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        _lint(source, path, rules, options or {}, result)
    except Exception as e:  # a bug of memlint's own: say so, never crash the host
        result.status = "error"
        result.diagnostics.append(
            Diagnostic(path, 1, 0, INTERNAL_ERROR, f"internal error in memlint: {_describe(e)}",
                       "internal-error")
        )
    finally:
        if collecting:
            gc.enable()
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def _describe(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _syntax_error(result: FileResult, path: str, line: int, col: int, message: str) -> None:
    result.status = "syntax-error"
    result.diagnostics.append(Diagnostic(path, max(line, 1), max(col, 0), SYNTAX_ERROR,
                                         f"SyntaxError: {message}", "syntax-error"))


def _lint(source, path, rules, options, result: FileResult) -> None:
    if isinstance(source, (bytes, bytearray)):
        try:
            source = decode(bytes(source))
        except SyntaxError as e:
            _syntax_error(result, path, getattr(e, "lineno", None) or 1, 0, str(e.msg if hasattr(e, "msg") and e.msg else e))
            return
    if "\x00" in source:
        _syntax_error(result, path, source[: source.index("\x00")].count("\n") + 1, 0,
                      "source code cannot contain null bytes")
        return
    rules = active_rules(source, rules)
    if not rules:
        result.status = "skipped"
        return
    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as e:
        _syntax_error(result, path, e.raw_line, e.raw_column, e.message)
        return
    except (RecursionError, MemoryError, ValueError, SyntaxError, TypeError) as e:
        _syntax_error(result, path, 1, 0, f"could not be parsed ({_describe(e)})")
        return
    except Exception as e:  # the native parser raises plain exceptions on some inputs
        _syntax_error(result, path, 1, 0, f"could not be parsed ({_describe(e)})")
        return

    needs_uses = any("uses" in r.needs for r in rules)
    semantic = SemanticModel(record_uses=needs_uses)
    ctx = FileContext(path, source, semantic)
    instances = [r(ctx, options.get(r.code)) for r in rules]
    try:
        _check(module, source, path, ctx, instances, result)
    finally:
        # Rules, the context and the semantic model refer to one another and to the tree:
        # break those cycles so the tree is freed now, not at some later garbage collection
        # (memlint holds one file's tree at a time).
        for rule in instances:
            rule.__dict__.clear()
        ctx.reports.clear()
        ctx.__dict__.clear()
        semantic.__dict__.clear()


def _check(module, source, path, ctx: FileContext, instances: List[Rule], result: FileResult) -> None:
    semantic = ctx.semantic
    failed: Dict[Rule, BaseException] = {}
    _traverse(module, semantic, instances, failed)

    for rule, exc in failed.items():
        result.diagnostics.append(
            Diagnostic(path, 1, 0, INTERNAL_ERROR,
                       f"internal error in rule {rule.code} ({rule.name}): {_describe(exc)}; "
                       "its findings for this file are incomplete", "internal-error")
        )
    reports = [rep for rep in ctx.reports if rep[0] not in failed]
    if not reports:
        return
    positions = locate(module, source, [(node, stack) for _, node, _, stack in reports])
    suppressions = Suppressions(source)
    seen = set()
    for rule, node, message, _ in reports:
        pos = positions.get(id(node))
        if pos is None:
            continue
        (line, col), (end_line, end_col) = pos
        key = (line, col, rule.code)
        if key in seen or suppressions.suppressed(line, rule.code):
            continue
        seen.add(key)
        result.diagnostics.append(
            Diagnostic(path, line, col, rule.code, message, rule.name, end_line, end_col)
        )


def _traverse(module: cst.Module, semantic: SemanticModel, rules: List[Rule], failed: dict) -> None:
    """One depth-first walk over the tree, iterative so deep nesting cannot overflow the stack.

    For each node, the semantic model's visit hook runs first, then the rules'; leave hooks
    run in reverse, with the semantic model's last.
    """
    dispatch: Dict[type, Tuple[list, list, Tuple[str, ...]]] = {}

    def hooks_for(cls: type) -> Tuple[list, list, Tuple[str, ...]]:
        name = cls.__name__
        visits, leaves = [], []
        sv = getattr(semantic, "visit_" + name, None)
        if sv is not None:
            visits.append((None, sv))
        for r in rules:
            v = getattr(r, "visit_" + name, None)
            if v is not None:
                visits.append((r, v))
            lv = getattr(r, "leave_" + name, None)
            if lv is not None:
                leaves.append((r, lv))
        leaves.reverse()
        sl = getattr(semantic, "leave_" + name, None)
        if sl is not None:
            leaves.append((None, sl))
        # A tuple: the traversal pushes it as the "leave this node" marker (nodes never are).
        return (visits, leaves, tuple(reversed(_child_fields(cls))))

    stack = semantic.stack
    push_open, pop_open = stack.append, stack.pop
    is_node = _IS_NODE
    todo: list = [module]
    push, pop = todo.append, todo.pop
    while todo:
        node = pop()
        if type(node) is tuple:
            # The marker pushed below: the node on top of `stack` is done; its leave hooks
            # (the marker is its dispatch entry, so no second lookup).
            leaves = node[1]
            if leaves:
                node = stack[-1]
                for owner, fn in leaves:
                    if owner is None:
                        fn(node)  # the semantic model's: an exception there is memlint's bug
                    elif owner not in failed:
                        try:
                            fn(node)
                        except Exception as e:
                            failed[owner] = e
            pop_open()
            continue
        cls = type(node)
        entry = dispatch.get(cls)
        if entry is None:
            entry = dispatch[cls] = hooks_for(cls)
        visits, leaves, fields = entry
        if not fields and not visits and not leaves:
            continue  # a leaf nobody looks at (an operator, a keyword): no need to open it
        push_open(node)
        for owner, fn in visits:
            if owner is None:
                fn(node)
            elif owner not in failed:
                try:
                    fn(node)
                except Exception as e:
                    failed[owner] = e
        push(entry)
        # Children are pushed last to first, so they are popped in source order.
        for fname in fields:
            v = getattr(node, fname)
            t = type(v)
            if t is tuple or t is list:
                for x in reversed(v):
                    tx = type(x)
                    if is_node.get(tx) or (tx not in is_node and _node_type(tx)):
                        push(x)
            elif is_node.get(t) or (t not in is_node and _node_type(t)):
                push(v)


# type -> is it a libcst node class; filled as types are met (isinstance on the ABC is slow).
_IS_NODE: Dict[type, bool] = {list: False, tuple: False, str: False, type(None): False}


def _node_type(t: type) -> bool:
    _IS_NODE[t] = result = issubclass(t, cst.CSTNode)
    return result


def node_positions(module: cst.Module, wanted: Iterable[int]):
    """Start and end (line, 0-based column) of the nodes whose ids are in `wanted`, from one
    code generation pass over the whole module (see memlint.positions for the cheap way)."""
    return full_positions(module, wanted)
