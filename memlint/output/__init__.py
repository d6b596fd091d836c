"""Output formats: each is a pure function of the sorted diagnostics (and of the
registry, for SARIF's rule metadata), returning the text to print."""

from __future__ import annotations

from typing import Callable, Dict, List

from memlint.model import Diagnostic
from memlint.output import github, json_format, sarif, text

Formatter = Callable[[List[Diagnostic]], str]

FORMATS: Dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}

# Formats whose standard output must stay machine-readable: `--statistics` goes to stderr.
STRUCTURED = frozenset({"json", "sarif"})
