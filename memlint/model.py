"""Plain values shared by the engine and every frontend: findings and per-file results.

Positions follow libcst: 1-based lines, 0-based columns. Frontends convert when they print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

# The key, in the engine's per-rule options, of the options that apply to every rule
# (`report-unknown-scale`).
GLOBAL_OPTIONS = "*"

# Codes the engine itself reports about a file; they are not rules and cannot be selected away.
SYNTAX_ERROR = "MEM001"
INTERNAL_ERROR = "MEM002"
READ_ERROR = "MEM003"
TOO_COMPLEX = "MEM004"  # nested too deeply (or too large) to analyse safely; not analysed

ENGINE_CODES = {
    SYNTAX_ERROR: "syntax-error",
    INTERNAL_ERROR: "internal-error",
    READ_ERROR: "read-error",
    TOO_COMPLEX: "too-complex",
}


# A line number that a message mentions ("at line 12") is written by a rule as `line_ref(12)`
# and named by the engine once the file is linted: "line 12" in a Python file, "cell 3, line 2"
# in a notebook, whose lines count within their cell. The mark never leaves the engine.
_LINE_MARK = "\x1f"
_LINE_REF = re.compile(f"(line )?{_LINE_MARK}(\\d+){_LINE_MARK}")


def line_ref(line: int) -> str:
    """A line number for a message template's `line {...}` placeholder."""
    return f"{_LINE_MARK}{int(line)}{_LINE_MARK}"


def name_lines(message: str, cell_of: Optional[Callable[[int], Tuple[int, int]]] = None) -> str:
    """`message` with its line references named: as numbers, or with `cell_of` (a line of a
    notebook's module -> (cell, line in the cell)) as "cell C, line L"."""
    if _LINE_MARK not in message:
        return message

    def name(m: "re.Match") -> str:
        line = int(m.group(2))
        if cell_of is None:
            return f"{m.group(1) or ''}{line}"
        cell, in_cell = cell_of(line)
        return f"cell {cell}, line {in_cell}" if m.group(1) else f"{in_cell} (cell {cell})"

    return _LINE_REF.sub(name, message)


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    message: str
    name: str = ""
    end_line: int = 0
    end_col: int = 0
    # In a notebook, the cell (1-based, counting every cell) that `line` and `end_line`
    # count within; 0 in any other file.
    cell: int = 0

    def sort_key(self) -> Tuple[str, int, int, int, str]:
        return (self.path, self.cell, self.line, self.col, self.code)


@dataclass
class FileResult:
    """What linting one file produced.

    status is "ok" (parsed and checked), "skipped" (no rule could match, so it was never
    parsed, or it was excluded), "syntax-error", "too-complex" (not analysed, MEM004) or
    "error" (unreadable, or an internal error). `diagnostics`
    holds rule findings and engine diagnostics (syntax, internal and read errors) alike.
    """

    path: str
    status: str = "ok"
    diagnostics: list = field(default_factory=list)

    @property
    def internal_errors(self) -> list:
        return [d for d in self.diagnostics if d.code == INTERNAL_ERROR]
