"""source -> FileResult: prefilter, parse once, one traversal for all rules, positions for
reported nodes only, suppression. `lint_source` never raises.

Hostile input: undecodable bytes and null bytes are MEM001; nesting that could crash the
native parser is refused from the raw text first (memlint.engine.guard: MEM001 or MEM004); deep
but safe code is parsed and analysed in a thread with room to recurse (memlint.engine.deep), and
so is any file whose analysis runs out of recursion here; a rule that raises loses only its
own findings (MEM002 names it).
"""

from __future__ import annotations

import dataclasses
import gc
from typing import Any, Dict, List, Optional, Sequence, Type

from memlint.engine import deep, guard
from memlint.engine.parse import cpython_syntax_error, describe, parse, syntax_error, too_complex
from memlint.engine.positions import locate
from memlint.engine.suppress import Suppressions
from memlint.engine.traversal import traverse
from memlint.engine.triggers import matches as trigger_matches
from memlint.model import (GLOBAL_OPTIONS, INTERNAL_ERROR, SYNTAX_ERROR, Diagnostic, FileResult,
                           name_lines)
from memlint.rule import FileContext, Rule
from memlint.sources import notebook
from memlint.sources.python import decode
from memlint.semantic import SemanticModel


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
    *,
    cell_of=None,
) -> FileResult:
    """Lint one file's text (str) or bytes with `rules`. Never raises.

    A file no rule's trigger matches is not parsed; with `syntax_check` it is still checked
    for syntax errors (MEM001), as the CLI wants. The flake8 and pylint plugins leave it
    off: their hosts report syntax errors themselves. With `noqa` false, `# noqa` comments
    are ignored (flake8's `--disable-noqa`). `cell_of` (a notebook's map from its module's
    lines to (cell, line in the cell)) names the lines that messages mention by cell.
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
            Diagnostic(path, 1, 0, INTERNAL_ERROR, f"internal error in memlint: {describe(e)}",
                       "internal-error")
        )
    finally:
        if collecting:
            gc.enable()
    for i, d in enumerate(result.diagnostics):
        named = name_lines(d.message, cell_of)
        if named is not d.message:
            result.diagnostics[i] = dataclasses.replace(d, message=named)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def _lint(source, path, rules, options, result: FileResult, syntax_check: bool = False,
          noqa: bool = True) -> None:
    if isinstance(source, (bytes, bytearray)):
        try:
            source = decode(bytes(source))
        except SyntaxError as e:
            syntax_error(result, path, getattr(e, "lineno", None) or 1, 0, str(e.msg if hasattr(e, "msg") and e.msg else e))
            return
    if "\x00" in source:
        syntax_error(result, path, source[: source.index("\x00")].count("\n") + 1, 0,
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
            syntax_error(result, path, refusal.line, refusal.col, refusal.message)
        else:
            too_complex(result, path, refusal.line, refusal.col, refusal.message)
        return
    if not rules:
        result.status = "skipped"
        if cpython_syntax_error(source, path) is not None:
            # CPython's grammar is the running interpreter's: libcst has the last word.
            deep.run(parse, source, path, result)
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


def _analyse(source, path, rules, options, result: FileResult, roomy: bool,
             noqa: bool = True) -> None:
    """Parse, traverse, position and suppress. Without room (`roomy` false) running out of
    recursion raises, so the caller can run this again in memlint.engine.deep."""
    module = parse(source, path, result)
    if module is None:
        return
    needs_uses = any("uses" in r.needs for r in rules)
    semantic = SemanticModel(record_uses=needs_uses)
    ctx = FileContext(path, source, semantic)
    ctx.report_unknown_scale = bool(options.get(GLOBAL_OPTIONS, {}).get("report-unknown-scale"))
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
    traverse(module, ctx.semantic, instances, failed, roomy)

    for rule, exc in failed.items():
        result.diagnostics.append(
            Diagnostic(path, 1, 0, INTERNAL_ERROR,
                       f"internal error in rule {rule.code} ({rule.name}): {describe(exc)}; "
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


def lint_file(data, path: str, rules: Sequence[Type[Rule]] = (),
              options: Optional[Dict[str, dict]] = None, syntax_check: bool = False,
              noqa: bool = True) -> FileResult:
    """Lint a file's bytes as what its name says it is: a notebook (`.ipynb`) or Python."""
    if path.endswith(".ipynb"):
        return lint_notebook(data, path, rules, options, noqa)
    return lint_source(data, path, rules, options, syntax_check, noqa)


def lint_notebook(data, path: str, rules: Sequence[Type[Rule]] = (),
                  options: Optional[Dict[str, dict]] = None, noqa: bool = True) -> FileResult:
    """Lint a notebook's bytes: its code cells as one module, findings placed by cell.

    Never raises. A file that is not a readable notebook is one MEM001; a notebook of another
    language is skipped; a cell that is not valid Python is one MEM001 at that cell, and the
    other cells are linted.
    """
    try:
        nb = notebook.read(bytes(data) if isinstance(data, (bytes, bytearray)) else data.encode("utf-8"))
    except notebook.NotebookSkip:
        return FileResult(path, "skipped")
    except notebook.NotebookError as e:
        result = FileResult(path, "syntax-error")
        result.diagnostics.append(Diagnostic(path, 1, 0, SYNTAX_ERROR, f"not a readable notebook: {e}",
                                             "syntax-error"))
        return result
    except BaseException as e:  # memlint's own bug: say so, never crash
        if isinstance(e, KeyboardInterrupt):
            raise
        result = FileResult(path, "error")
        result.diagnostics.append(Diagnostic(path, 1, 0, INTERNAL_ERROR,
                                             f"internal error in memlint: {describe(e)}", "internal-error"))
        return result
    inner = lint_source(nb.source, path, rules, options, True, noqa, cell_of=nb.cell_of)
    result = FileResult(path, inner.status)
    for d in inner.diagnostics:
        cell, line = nb.cell_of(d.line)
        end_line = 0
        if d.end_line:
            end_cell, end_line = nb.cell_of(d.end_line)
            if end_cell != cell:  # cannot happen for a node; keep the start's cell
                end_line = line
        result.diagnostics.append(dataclasses.replace(d, line=line, end_line=end_line, cell=cell))
    for e in nb.errors:
        result.diagnostics.append(Diagnostic(path, e.line, e.col, SYNTAX_ERROR,
                                             f"SyntaxError: {e.message} (this cell is not linted)",
                                             "syntax-error", e.line, e.col, cell=e.cell))
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
