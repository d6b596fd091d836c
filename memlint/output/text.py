"""`path:line:col: CODE message`, one finding a line, with a 1-based column as flake8 prints."""

from __future__ import annotations

from typing import List

from memlint.model import Diagnostic


def line(d: Diagnostic) -> str:
    return f"{d.path}:{d.line}:{d.col + 1}: {d.code} {d.message}"


def render(diagnostics: List[Diagnostic]) -> str:
    return "".join(line(d) + "\n" for d in diagnostics)
