"""The one `# noqa` reader every frontend shares, with flake8's exact semantics.

`# noqa` silences every finding on its line; `# noqa: MEM101,MEM3` only those codes or code
prefixes. As in flake8, lines joined by a multi-line string or a backslash continuation share
one comment, and the first `# noqa` in them decides.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, Optional

# flake8's NOQA_INLINE_REGEXP, character for character.
NOQA_RE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_SPLIT = re.compile(r"[,\s]")


class Suppressions:
    def __init__(self, source: str):
        self._source = source
        self._mapping: Optional[Dict[int, str]] = None
        self._enabled = "noqa" in source.lower()

    def _line_text(self, line: int) -> Optional[str]:
        if self._mapping is None:
            self._mapping = _noqa_line_mapping(self._source)
        return self._mapping.get(line)

    def suppressed(self, line: int, code: str) -> bool:
        if not self._enabled:
            return False
        text = self._line_text(line)
        if text is None:
            return False
        m = NOQA_RE.search(text)
        if m is None:
            return False
        codes_str = m.group("codes")
        if codes_str is None:
            return True
        codes = {c.strip() for c in _SPLIT.split(codes_str) if c.strip()}
        return code in codes or code.startswith(tuple(codes))


# Lines as Python's tokenizer counts them: str.splitlines() also splits at form feeds and
# other separators that are not line ends in Python source.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _noqa_line_mapping(source: str) -> Dict[int, str]:
    lines = _LINE.findall(source)
    out: Dict[int, str] = {}
    min_line, max_line = len(lines) + 2, -1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source, newline=None).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            min_line = min(min_line, tok.start[0])
            max_line = max(max_line, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[min_line - 1: max_line])
                for ln in range(min_line, max_line + 1):
                    out[ln] = joined
                min_line, max_line = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {i: text for i, text in enumerate(lines, 1)}
    if max_line != -1:
        joined = "".join(lines[min_line - 1: max_line])
        for ln in range(min_line, max_line + 1):
            out[ln] = joined
    return out
