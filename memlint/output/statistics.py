"""`--statistics`: how many findings each rule produced, most frequent first."""

from __future__ import annotations

from collections import Counter
from typing import List

from memlint.model import Diagnostic


def render(diagnostics: List[Diagnostic]) -> str:
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    if not counts:
        return ""
    width = max(len(str(n)) for n in counts.values())
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    out = [f"{n:>{width}}  {code}  {names[code]}".rstrip() for code, n in rows]
    return "\n".join(out) + "\n"
