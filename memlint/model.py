"""Plain values shared by the engine and every frontend: findings and per-file results.

Positions follow libcst: 1-based lines, 0-based columns. Frontends convert when they print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Tuple

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
