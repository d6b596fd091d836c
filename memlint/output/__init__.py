"""Output formats: each is a pure function of the sorted diagnostics, returning the text to print."""

from __future__ import annotations

from typing import Callable, Dict, List

from memlint.model import Diagnostic
from memlint.output import json_format, text

Formatter = Callable[[List[Diagnostic]], str]

FORMATS: Dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
}
