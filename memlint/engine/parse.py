"""Parsing one file's text with libcst, with CPython's parser as the judge of syntax errors.

Failures are values: a syntax error, a file too deep or large for the parser, or a parser
bug becomes a diagnostic on the result, never an exception.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import Optional

import libcst as cst
from libcst._nodes.base import CSTNode as _CSTNode

from memlint.engine import nodeinit
from memlint.model import INTERNAL_ERROR, SYNTAX_ERROR, TOO_COMPLEX, Diagnostic, FileResult

_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST, without importing ast


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


def describe(e: BaseException) -> str:
    # str() of an exception may itself fail: a KeyError holding a deep node recurses in repr.
    try:
        text = str(e)
    except BaseException:
        text = ""
    text = text.splitlines()[0][:200] if text else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def syntax_error(result: FileResult, path: str, line: int, col: int, message: str) -> None:
    result.status = "syntax-error"
    result.diagnostics.append(Diagnostic(path, max(line, 1), max(col, 0), SYNTAX_ERROR,
                                         f"SyntaxError: {message}", "syntax-error"))


def too_complex(result: FileResult, path: str, line: int, col: int, message: str) -> None:
    result.status = "too-complex"
    result.diagnostics.append(Diagnostic(path, max(line, 1), max(col, 0), TOO_COMPLEX,
                                         message, "too-complex"))


def cpython_syntax_error(source: str, path: str) -> Optional[SyntaxError]:
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
        return SyntaxError(describe(e))
    return None


def parse(source: str, path: str, result: FileResult) -> Optional[cst.Module]:
    try:
        return parse_module(source)
    except cst.ParserSyntaxError as e:
        # CPython's message, when it agrees, says more than the parser's.
        cpython = cpython_syntax_error(source, path)
        if cpython is not None and cpython.lineno:
            syntax_error(result, path, cpython.lineno, (cpython.offset or 1) - 1,
                          cpython.msg or str(cpython))
        elif cpython is None:  # valid Python that libcst cannot read: say so
            at = re.search(r"error at (\d+):(\d+)", e.message)  # raw_line/raw_column are vaguer
            line, col = (int(at.group(1)), int(at.group(2))) if at else (e.raw_line, e.raw_column)
            syntax_error(result, path, line, col,
                          f"{e.message} (memlint's parser, libcst, cannot read this code; "
                          f"Python {sys.version_info[0]}.{sys.version_info[1]} can)")
        else:
            syntax_error(result, path, e.raw_line, e.raw_column, e.message)
    except MemoryError:
        too_complex(result, path, 1, 0, "not enough memory to parse this file; memlint does not analyse it")
    except RecursionError:
        too_complex(result, path, 1, 0, "nested too deeply to parse; memlint does not analyse it")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # the native parser's panics derive from BaseException
        # Whether the file is Python decides between a syntax error and a parser bug.
        cpython = cpython_syntax_error(source, path)
        if cpython is not None:
            syntax_error(result, path, cpython.lineno or 1, (cpython.offset or 1) - 1,
                          cpython.msg or str(cpython))
            return None
        result.status = "error"
        result.diagnostics.append(Diagnostic(
            path, 1, 0, INTERNAL_ERROR,
            f"internal error in memlint: the parser failed on this file ({describe(e)})",
            "internal-error"))
    return None
