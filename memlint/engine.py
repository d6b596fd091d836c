"""source -> FileResult: prefilter, parse once, one traversal for all rules, positions for
reported nodes only, suppression. `lint_source` never raises.

Hostile input: undecodable bytes and null bytes are MEM001; nesting that could crash the
native parser is refused from the raw text first (memlint.guard: MEM001 or MEM004); deep
but safe code is parsed and analysed in a thread with room to recurse (memlint.deep), and
so is any file whose analysis runs out of recursion here; a rule that raises loses only its
own findings (MEM002 names it).
"""

from __future__ import annotations

import dataclasses
import gc
import io
import re
import sys
import tokenize
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type

import libcst as cst
from libcst._nodes.base import CSTNode as _CSTNode

from memlint import deep, guard, nodeinit
from memlint.model import INTERNAL_ERROR, SYNTAX_ERROR, TOO_COMPLEX, Diagnostic, FileResult
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
_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST, without importing ast


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
    nodeinit.install()  # once: equivalent node constructors, about 10% faster
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
    syntax_check: bool = False,
    noqa: bool = True,
) -> FileResult:
    """Lint one file's text (str) or bytes with `rules`. Never raises.

    A file no rule's trigger matches is not parsed; with `syntax_check` it is still checked
    for syntax errors (MEM001), as the CLI wants. The flake8 and pylint plugins leave it
    off: their hosts report syntax errors themselves. With `noqa` false, `# noqa` comments
    are ignored (flake8's `--disable-noqa`).
    """
    result = FileResult(path)
    # The cyclic garbage collector would walk the growing tree over and over while libcst
    # builds it (about 8% of the time), and the tree has no cycles to find: nodes refer only to
    # their children. It is paused for this one file and restored as it was; the few cycles
    # linting makes are broken explicitly (see _lint).
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        _lint(source, path, rules, options or {}, result, syntax_check, noqa)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # a bug of memlint's own: say so, never crash the host
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
    # str() of an exception may itself fail: a KeyError holding a deep node recurses in repr.
    try:
        text = str(e)
    except BaseException:
        text = ""
    text = text.splitlines()[0][:200] if text else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _syntax_error(result: FileResult, path: str, line: int, col: int, message: str) -> None:
    result.status = "syntax-error"
    result.diagnostics.append(Diagnostic(path, max(line, 1), max(col, 0), SYNTAX_ERROR,
                                         f"SyntaxError: {message}", "syntax-error"))


def _lint(source, path, rules, options, result: FileResult, syntax_check: bool = False,
          noqa: bool = True) -> None:
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
    if not rules and not syntax_check:
        result.status = "skipped"
        return
    # Nesting that could overflow the parser's C stack is refused before parsing.
    refusal, nesting = guard.scan(source)
    if refusal is not None:
        if refusal.syntax_error:
            _syntax_error(result, path, refusal.line, refusal.col, refusal.message)
        else:
            _too_complex(result, path, refusal.line, refusal.col, refusal.message)
        return
    if not rules:
        result.status = "skipped"
        if _cpython_syntax_error(source, path) is not None:
            # CPython's grammar is the running interpreter's: libcst has the last word.
            deep.run(_parse, source, path, result)
        return
    if nesting > guard.INLINE_NESTING:
        deep.run(_analyse, source, path, rules, options, result, True, noqa)
        return
    kept = len(result.diagnostics)
    try:
        _analyse(source, path, rules, options, result, False, noqa)
    except RecursionError:  # out of room here: analyse again from scratch, with room
        del result.diagnostics[kept:]
        result.status = "ok"
        deep.run(_analyse, source, path, rules, options, result, True, noqa)


def _too_complex(result: FileResult, path: str, line: int, col: int, message: str) -> None:
    result.status = "too-complex"
    result.diagnostics.append(Diagnostic(path, max(line, 1), max(col, 0), TOO_COMPLEX,
                                         message, "too-complex"))


def _cpython_syntax_error(source: str, path: str) -> Optional[SyntaxError]:
    """CPython's own verdict (its parser only, no code generation); None if it parses.

    Only called on source memlint.guard let through, which CPython's parser handles safely.
    """
    try:
        with warnings.catch_warnings():  # invalid escapes and the like: not our business
            warnings.simplefilter("ignore")
            compile(source, path, "exec", _ONLY_AST, dont_inherit=True)
    except SyntaxError as e:
        return e
    except (MemoryError, RecursionError, ValueError) as e:  # "too complex" for CPython
        return SyntaxError(_describe(e))
    return None


def _parse(source: str, path: str, result: FileResult) -> Optional[cst.Module]:
    try:
        return parse_module(source)
    except cst.ParserSyntaxError as e:
        # CPython's message, when it agrees, says more than the parser's.
        cpython = _cpython_syntax_error(source, path)
        if cpython is not None and cpython.lineno:
            _syntax_error(result, path, cpython.lineno, (cpython.offset or 1) - 1,
                          cpython.msg or str(cpython))
        elif cpython is None:  # valid Python that libcst cannot read: say so
            at = re.search(r"error at (\d+):(\d+)", e.message)  # raw_line/raw_column are vaguer
            line, col = (int(at.group(1)), int(at.group(2))) if at else (e.raw_line, e.raw_column)
            _syntax_error(result, path, line, col,
                          f"{e.message} (memlint's parser, libcst, cannot read this code; "
                          f"Python {sys.version_info[0]}.{sys.version_info[1]} can)")
        else:
            _syntax_error(result, path, e.raw_line, e.raw_column, e.message)
    except MemoryError:
        _too_complex(result, path, 1, 0, "not enough memory to parse this file; memlint does not analyse it")
    except RecursionError:
        _too_complex(result, path, 1, 0, "nested too deeply to parse; memlint does not analyse it")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # the native parser's panics derive from BaseException
        # Whether the file is Python decides between a syntax error and a parser bug.
        cpython = _cpython_syntax_error(source, path)
        if cpython is not None:
            _syntax_error(result, path, cpython.lineno or 1, (cpython.offset or 1) - 1,
                          cpython.msg or str(cpython))
            return None
        result.status = "error"
        result.diagnostics.append(Diagnostic(
            path, 1, 0, INTERNAL_ERROR,
            f"internal error in memlint: the parser failed on this file ({_describe(e)})",
            "internal-error"))
    return None


def _analyse(source, path, rules, options, result: FileResult, roomy: bool,
             noqa: bool = True) -> None:
    """Parse, traverse, position and suppress. Without room (`roomy` false) running out of
    recursion raises, so the caller can run this again in memlint.deep."""
    module = _parse(source, path, result)
    if module is None:
        return
    needs_uses = any("uses" in r.needs for r in rules)
    semantic = SemanticModel(record_uses=needs_uses)
    ctx = FileContext(path, source, semantic)
    instances = []
    failed: Dict[Any, BaseException] = {}
    for r in rules:
        try:
            instances.append(r(ctx, options.get(r.code)))
        except Exception as e:  # a rule that cannot even start loses only its own findings
            failed[r] = e
    try:
        _check(module, source, path, ctx, instances, failed, result, roomy, noqa)
    finally:
        # Rules, the context and the semantic model refer to one another and to the tree:
        # break those cycles so the tree is freed now, not at some later garbage collection
        # (memlint holds one file's tree at a time).
        for rule in instances:
            rule.__dict__.clear()
        ctx.reports.clear()
        ctx.__dict__.clear()
        semantic.__dict__.clear()


def _check(module, source, path, ctx: FileContext, instances: List[Rule], failed: dict,
           result: FileResult, roomy: bool, noqa: bool = True) -> None:
    _traverse(module, ctx.semantic, instances, failed, roomy)

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
    suppressions = Suppressions(source) if noqa else None
    seen = set()
    for rule, node, message, _ in reports:
        pos = positions.get(id(node))
        if pos is None:
            continue
        (line, col), (end_line, end_col) = pos
        key = (line, col, rule.code)
        if key in seen or (suppressions is not None and suppressions.suppressed(line, rule.code)):
            continue
        seen.add(key)
        result.diagnostics.append(
            Diagnostic(path, line, col, rule.code, message, rule.name, end_line, end_col)
        )


def _traverse(module: cst.Module, semantic: SemanticModel, rules: List[Rule], failed: dict,
              roomy: bool = True) -> None:
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
            entry, hooks, node = None, node[1], stack[-1]
        else:
            cls = type(node)
            entry = dispatch.get(cls)
            if entry is None:
                entry = dispatch[cls] = hooks_for(cls)
            hooks, leaves, fields = entry
            if not fields and not hooks and not leaves:
                continue  # a leaf nobody looks at (an operator, a keyword): no need to open it
            push_open(node)
        for owner, fn in hooks:
            if owner is None:
                fn(node)  # the semantic model's: an exception there is memlint's bug
            elif owner not in failed:
                try:
                    fn(node)
                except RecursionError as e:
                    if not roomy:
                        raise  # without room: the whole file is analysed again, with room
                    failed[owner] = e
                except Exception as e:
                    failed[owner] = e
        if entry is None:
            pop_open()
            continue
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
