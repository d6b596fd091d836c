"""`path:line:col: CODE message`, one finding a line, with a 1-based column as flake8 prints.

In a notebook, `path:cell N:line:col: CODE message`, the line counted within the cell (ruff's form).
"""

from __future__ import annotations

from typing import List

from memlint.model import Diagnostic


def location(d: Diagnostic) -> str:
    where = f"{d.path}:cell {d.cell}" if d.cell else d.path
    return f"{where}:{d.line}:{d.col + 1}"


def line(d: Diagnostic) -> str:
    return f"{location(d)}: {d.code} {d.message}"


def render(diagnostics: List[Diagnostic]) -> str:
    return "".join(line(d) + "\n" for d in diagnostics)
