"""Colour for people at a terminal, never for pipes, files or CI logs.

Colour is on only when the stream is a terminal, `NO_COLOR` is unset or empty
(https://no-color.org) and `TERM` is not `dumb`.
"""

from __future__ import annotations

import os
from typing import Optional, TextIO

BOLD = "1"
DIM = "2"
RED = "31"
GREEN = "32"
YELLOW = "33"
BLUE = "34"
CYAN = "36"


def enabled(stream: Optional[TextIO]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):  # a closed or odd stream
        return False


class Painter:
    """Wraps text in ANSI colour codes, or leaves it as it is when colour is off."""

    def __init__(self, on: bool):
        self.on = on

    def __call__(self, text: str, *codes: str) -> str:
        if not self.on or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"
