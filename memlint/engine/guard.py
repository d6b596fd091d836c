"""A cheap look at the raw text, before parsing, for nesting that would be unsafe to parse.

libcst's native parser is recursive and runs on the C stack: source nested deeply enough
(thousands of brackets, of chained operators, of `elif`s, of unary operators, of implicitly
concatenated strings) overflows it and kills the whole process, long before Python could
raise anything, and its running time grows faster than linearly with such chains. So the
engine refuses such source before handing it to the parser:

* more than 200 nested brackets is a syntax error in CPython too ("too many nested
  parentheses", the tokenizer's MAXLEVEL), reported as MEM001;
* an expression or an `if`/`elif` chain whose estimated nesting exceeds `MAX_NESTING` is
  reported as MEM004 (too complex): CPython refuses most such code as well ("maximum recursion
  depth exceeded during compilation" from about 1000 to 3000 levels), but it accepts flat
  chains (`a and b and ...`, `"a" "b" ...`) that libcst nests.

The estimate over-approximates the depth of the tree libcst would build: within one
bracket level, every operator, keyword operator, attribute dot and string literal of an
expression counts one level (a comma or a semicolon starts a sibling, so the count starts
again), every enclosing bracket counts `BRACKET_WEIGHT`, and every `elif` of an enclosing
`if` chain counts one. It is a single regular-expression pass over the text: strings and
comments are skipped (f-string replacement fields are counted), identifiers are never
matched. Text that does not tokenize (an unterminated string) stops the scan and is left
to the parser, which reports it.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

# CPython's tokenizer refuses the 201st nested bracket (MAXLEVEL = 200), 3.9 to 3.13.
MAX_BRACKETS = 200
# Above this estimated nesting the file is not parsed. libcst's parse time grows with the
# square of a chain's length (2000 chained `+` take seconds), and CPython refuses most
# chains beyond 1000-3000. The standard library's deepest file (pydoc_data/topics.py, long
# string concatenations) is estimated at 2219; nearly all code stays under 300.
MAX_NESTING = 3000
BRACKET_WEIGHT = 3
# Below this estimate any thread's stack will do; above it the engine parses and analyses
# in a thread of its own with room to recurse (memlint.engine.deep).
INLINE_NESTING = 100

# Every alternative starts with a literal character, so that the regular expression engine
# skips the text between tokens (identifiers, numbers, blanks) at C speed. Keywords must not
# be the tail of an identifier: `(?<!\w.)` after their first letter looks behind it.
_KEYWORDS = [r"a(?<!\w.)nd\b", r"a(?<!\w.)wait\b", r"o(?<!\w.)r\b", r"n(?<!\w.)ot\b",
             r"l(?<!\w.)ambda\b", r"i(?<!\w.)[fns]\b", r"e(?<!\w.)l(?:se|if)\b"]
_PREFIXED_STRINGS = [c + r"(?<!\w.)[rRbBuUfFtT]?(?:'''|\"\"\"|'|\")" for c in "rRbBuUfFtT"]
_TOKEN = re.compile("|".join(
    [r"\r\n", r"\\(?:\r\n|\r|\n)", r"#[^\r\n]*", r"'''", r'"""']
    + [re.escape(c) for c in "\r\n'\"()[]{},;.-+*/%@&|^~<>"]
    + _KEYWORDS + _PREFIXED_STRINGS
))
OPEN, CLOSE, SEP, NL, CONT, COMMENT, STR, OP, DOT = range(9)
_KIND = {c: OPEN for c in "([{"}
_KIND.update({c: CLOSE for c in ")]}"})
_KIND.update({",": SEP, ";": SEP, "\r": NL, "\n": NL, "\\": CONT, "#": COMMENT, "'": STR,
              '"': STR, ".": DOT})
_KIND.update({c: OP for c in "-+*/%@&|^~<>"})
# The rest of a string after its opening quote, through its closing quote.
_STRING_END = {
    "'''": re.compile(r"[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''"),
    '"""': re.compile(r'[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""'),
    "'": re.compile(r"[^'\\\r\n]*(?:\\(?:\r\n|[\s\S])[^'\\\r\n]*)*'"),
    '"': re.compile(r'[^"\\\r\n]*(?:\\(?:\r\n|[\s\S])[^"\\\r\n]*)*"'),
}
# Inside an f-string: what may nest in its replacement fields.
_FSTRING_TOKEN = re.compile(r"[-{}()\[\]+*/%@&|^~<>.]")
_INDENT = re.compile(r"[ \t\f]*")
_BLANK_OR_COMMENT = re.compile(r"[ \t\f]*(?:#[^\r\n]*)?(?:\r\n|\r|\n|\Z)")
_STATEMENT_KEYWORD = re.compile(r"(?:elif|else|if)\b")


class Refusal:
    """Why the source is not parsed: a MEM001 syntax error or a MEM004 too-complex file."""

    __slots__ = ("line", "col", "message", "syntax_error")

    def __init__(self, line: int, col: int, message: str, syntax_error: bool):
        self.line = line
        self.col = col
        self.message = message
        self.syntax_error = syntax_error

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Refusal({self.line}:{self.col} {self.message!r})"


def _fstring_nesting(body: str) -> int:
    """Deepest nesting inside an f-string's replacement fields (brackets count BRACKET_WEIGHT)."""
    depth = best = chain = outer = 0
    saved: List[int] = []
    for tok in _FSTRING_TOKEN.findall(body):
        if tok in "{([":
            saved.append(chain)
            outer += chain
            chain = 0
            depth += 1
        elif tok in "})]":
            if depth:
                depth -= 1
                chain = saved.pop()
                outer -= chain
                chain += 1
        elif depth:
            chain += 1
        est = outer + chain + depth * BRACKET_WEIGHT
        if est > best:
            best = est
    return best


def check(source: str, max_nesting: int = MAX_NESTING) -> Optional[Refusal]:
    """A Refusal if `source` is nested too deeply to be parsed safely, else None. Never raises."""
    return _scan(source, max_nesting)[0]


def scan(source: str, max_nesting: int = MAX_NESTING) -> Tuple[Optional[Refusal], int]:
    """(a Refusal or None, the deepest estimated nesting seen)."""
    return _scan(source, max_nesting)


def deepest(source: str) -> int:
    """The deepest estimated nesting in `source` (-1 if it has too many nested brackets)."""
    refusal, best = _scan(source, 1 << 62)
    return -1 if refusal is not None else best


def _scan(source: str, limit: int) -> Tuple[Optional[Refusal], int]:
    depth = 0  # open brackets
    chain = 0  # nesting within the current segment of the current bracket level
    outer = 0  # sum of the segments' nesting of the enclosing bracket levels
    saved: List[int] = []
    # Open if/elif chains at statement level: [indent, elifs so far]; their elifs nest.
    chains: List[List[int]] = []
    elifs = 0
    best = 0
    line_start = True
    pos = 0
    n = len(source)
    line = 1
    line_pos = 0  # offset of the current line's start, for columns
    search = _TOKEN.search
    while pos < n:
        if line_start:
            line_start = False
            blank = _BLANK_OR_COMMENT.match(source, pos)
            if blank is not None:
                if blank.end() >= n:
                    break
                line += 1
                pos = line_pos = blank.end()
                line_start = True
                continue
            indent = _INDENT.match(source, pos).end() - pos
            while chains and chains[-1][0] > indent:
                elifs -= chains.pop()[1]
            kw = _STATEMENT_KEYWORD.match(source, pos + indent)
            word = kw.group() if kw else ""
            if chains and chains[-1][0] == indent and word not in ("elif", "else"):
                elifs -= chains.pop()[1]
            if word == "if":
                chains.append([indent, 0])
            elif word == "elif" and chains and chains[-1][0] == indent:
                chains[-1][1] += 1
                elifs += 1
                if elifs > best:
                    best = elifs
                    if elifs > limit:
                        return _too_complex(line, indent, limit), best
        m = search(source, pos)
        if m is None:
            break
        tok = m.group()
        kind = _KIND.get(tok[0])
        pos = m.end()
        if kind is None:  # a letter: a keyword operator or a prefixed string
            if tok[-1] in "\'\"":
                kind = STR
            elif tok == "elif":
                continue  # counted with its chain, at the start of the line
            else:
                kind = OP
        if kind == NL or kind == CONT:
            line += 1
            line_pos = pos
            if kind == NL and depth == 0:
                chain = 0
                line_start = True
            continue
        if kind == COMMENT:
            continue
        if kind == OPEN:
            saved.append(chain)
            outer += chain
            chain = 0
            depth += 1
            if depth > MAX_BRACKETS:
                return Refusal(line, m.start() - line_pos, "too many nested parentheses", True), best
        elif kind == CLOSE:
            if not depth:
                return None, best  # unbalanced: the parser reports it
            depth -= 1
            chain = saved.pop()
            outer -= chain
            chain += 1
        elif kind == SEP:
            chain = 0
        elif kind == STR:
            quote = tok[-3:] if tok[-3:] in ("\'\'\'", '"""') else tok[-1]
            end = _STRING_END[quote].match(source, pos)
            if end is None:
                return None, best  # unterminated: the parser reports it
            stop = end.end()
            newlines = source.count("\n", pos, stop) or source.count("\r", pos, stop)
            if newlines:
                line += newlines
                line_pos = max(source.rfind("\n", pos, stop), source.rfind("\r", pos, stop)) + 1
            chain += 1
            prefix = tok[: -len(quote)].lower()
            if "f" in prefix or "t" in prefix:
                inner = _fstring_nesting(source[pos:stop - len(quote)])
                est = outer + chain + inner + depth * BRACKET_WEIGHT + elifs
                if est > best:
                    best = est
                    if est > limit:
                        return _too_complex(line, m.start() - line_pos, limit), best
            pos = stop
        elif kind == DOT:
            if source[pos:pos + 1].isdigit() or source[m.start() - 1:m.start()].isdigit():
                continue  # a float (`1.5`, `1.`, `.5`), not an attribute
            chain += 1
        else:  # an operator or a keyword operator
            chain += 1
        est = outer + chain + depth * BRACKET_WEIGHT + elifs
        if est > best:
            best = est
            if est > limit:
                return _too_complex(line, max(m.start() - line_pos, 0), limit), best
    return None, best


def _too_complex(line: int, col: int, limit: int) -> Refusal:
    return Refusal(line, col, f"code nested more than {limit} levels deep (operator, string or "
                   "elif chains, brackets); memlint does not analyse it", False)
