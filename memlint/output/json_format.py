"""JSON output: a list of finding objects. The schema is public (README, "JSON output").

Each object: path, line, column, end_line, end_column (lines and columns 1-based, as printed
by the text format), code, name (the rule's kebab-case name) and message, and cell: in a
notebook the cell's number (1-based, counting every cell) within which line and column count,
else null. New keys may be added; existing keys keep their meaning.
"""

from __future__ import annotations

import json
from typing import List

from memlint.model import Diagnostic


def as_dict(d: Diagnostic) -> dict:
    return {
        "path": d.path,
        "line": d.line,
        "column": d.col + 1,
        "end_line": d.end_line or d.line,
        "end_column": (d.end_col if d.end_line else d.col) + 1,
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "cell": d.cell or None,
    }


def render(diagnostics: List[Diagnostic]) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2) + "\n"
