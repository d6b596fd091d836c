"""Rule text triggers, evaluated fast.

Each rule's `triggers` regular expression is searched in every file's raw text. Python's `re`
finds a pattern quickly when it starts with a literal, but one that starts with `\\b`, an
alternation or a look-ahead is tried at every position of the file. Most files do not match
most triggers, so that full scan is the common case.

So for each trigger this module works out, from the parsed pattern, a set of strings of which
every match must contain at least one (`\\bto(?:array|dense)\\b` -> {"toarray", "todense"}).
If none of them occurs in the file (a substring search, at memchr speed), the pattern cannot
match and is not searched at all; otherwise the pattern decides, so the outcome is exactly the
pattern's. Patterns the analysis does not understand, or whose strings would be too short to
be selective, are simply searched as before.
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Pattern, Sequence, Tuple

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

MIN_LENGTH = 3  # shorter required strings ("(", "in") occur in every file: no point
MAX_ALTERNATIVES = 64

Needles = Optional[FrozenSet[str]]
_CACHE: Dict[Tuple[str, int], Needles] = {}


def needles(pattern: Pattern) -> Needles:
    """Strings one of which is in every match of `pattern`; None when there is no useful set."""
    key = (pattern.pattern, pattern.flags)
    if key not in _CACHE:
        try:
            _CACHE[key] = _needles(pattern)
        except Exception:  # an unusual pattern: just search it
            _CACHE[key] = None
    return _CACHE[key]


def _needles(pattern: Pattern) -> Needles:
    if not isinstance(pattern.pattern, str) or pattern.flags & (re.IGNORECASE | re.LOCALE):
        return None
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    if _flags(parsed) & (re.IGNORECASE | re.LOCALE):
        return None
    best = _required(list(parsed))
    if best is None or min(len(s) for s in best) < MIN_LENGTH:
        return None
    return frozenset(best)


def _flags(parsed) -> int:
    state = getattr(parsed, "state", None) or getattr(parsed, "pattern", None)
    return getattr(state, "flags", 0)


def _better(a: Optional[set], b: Optional[set]) -> Optional[set]:
    """The more selective of two required sets: the longer shortest string, then fewer strings."""
    if a is None:
        return b
    if b is None:
        return a
    ka = (min(len(s) for s in a), -len(a))
    kb = (min(len(s) for s in b), -len(b))
    return a if ka >= kb else b


def _literal_alternatives(items: Sequence) -> Optional[set]:
    """The strings a literal-only sequence can match (`a(?:b|cd)` -> {ab, acd}), else None."""
    current = {""}
    for op, av in items:
        if op is _c.LITERAL:
            current = {s + chr(av) for s in current}
        elif op is _c.SUBPATTERN and _no_flags(av):
            inner = _literal_alternatives(list(av[-1]))
            if inner is None:
                return None
            current = {s + t for s in current for t in inner}
        elif op is _c.BRANCH:
            alts = set()
            for branch in av[1]:
                inner = _literal_alternatives(list(branch))
                if inner is None:
                    return None
                alts |= inner
            current = {s + t for s in current for t in alts}
        else:
            return None
        if len(current) > MAX_ALTERNATIVES:
            return None
    return current


def _no_flags(av) -> bool:
    # (group, add_flags, del_flags, pattern) on 3.7+; a group that turns on IGNORECASE
    # changes what its literals match.
    if len(av) == 4:
        return not (av[1] & (re.IGNORECASE | re.LOCALE))
    return True


def _required(items: List) -> Optional[set]:
    """A set of strings one of which every match of the sequence `items` contains."""
    best: Optional[set] = None
    current = {""}  # the strings the literal run in progress can be

    def close() -> None:
        nonlocal best, current
        if current != {""}:
            best = _better(best, set(current))
        current = {""}

    for op, av in items:
        if op is _c.AT:
            continue  # \b, \A, ^, $: zero-width, a literal run goes on across them
        literal = None
        if op in (_c.LITERAL, _c.SUBPATTERN, _c.BRANCH):
            literal = _literal_alternatives([(op, av)])
        if literal is not None and len(current) * len(literal) <= MAX_ALTERNATIVES:
            current = {s + t for s in current for t in literal}
            continue
        close()
        if op is _c.SUBPATTERN and _no_flags(av):
            best = _better(best, _required(list(av[-1])))
        elif op is _c.BRANCH:
            alts: Optional[set] = set()
            for branch in av[1]:
                inner = _required(list(branch))
                if inner is None:
                    alts = None
                    break
                alts |= inner
            best = _better(best, alts)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            best = _better(best, _required(list(av[2])))
        elif op is _c.ASSERT and av[0] == 1:  # a look-ahead must match too
            best = _better(best, _required(list(av[1])))
        # anything else (classes, ANY, negative look-arounds...) just ends the run
    close()
    return best


def matches(pattern: Pattern, source: str) -> bool:
    """`pattern.search(source)`, done alternative by alternative: each top-level alternative
    is searched only when one of its required strings is in `source`."""
    for part in _parts(pattern):
        found = needles(part)
        if found is not None and not any(n in source for n in found):
            continue
        if part.search(source) is not None:
            return True
    return False


_PARTS: Dict[Tuple[str, int], Tuple[Pattern, ...]] = {}


def _parts(pattern: Pattern) -> Tuple[Pattern, ...]:
    """The top-level alternatives of `pattern`, compiled one by one (or just `pattern`).

    `a|b` matches somewhere exactly when `a` or `b` does, but searched as one pattern it is
    tried at every position of the text; alone, each alternative gets its own required
    strings and its own fast literal prefix (`while\\b...|itertools` -> two memchr scans).
    """
    key = (pattern.pattern, pattern.flags)
    parts = _PARTS.get(key)
    if parts is None:
        try:
            pieces = _split_alternatives(pattern.pattern) if isinstance(pattern.pattern, str) else None
            parts = (tuple(re.compile(p, pattern.flags) for p in pieces)
                     if pieces and len(pieces) > 1 else (pattern,))
        except re.error:  # pragma: no cover - a piece that does not stand alone: keep it whole
            parts = (pattern,)
        _PARTS[key] = parts
    return parts


def _split_alternatives(text: str) -> Optional[List[str]]:
    """`text` cut at its top-level `|` (outside groups and classes), a leading inline flag
    group (`(?s)`) kept on each piece; None when the pattern is verbose or has back-references
    (which a piece might not carry)."""
    flags = re.match(r"\(\?[aiLmsux]+\)", text)
    prefix = flags.group(0) if flags else ""
    if "x" in prefix or re.search(r"\\[1-9]|\(\?P=", text):
        return None
    body = text[len(prefix):]
    pieces, start, depth, i, in_class = [], 0, 0, 0, False
    while i < len(body):
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if body[i + 1:i + 2] == "^":
                i += 1
            if body[i + 1:i + 2] == "]":  # a `]` first in a class is a literal
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            pieces.append(body[start:i])
            start = i + 1
        i += 1
    pieces.append(body[start:])
    if depth != 0 or in_class or any(p == "" for p in pieces):
        return None
    return [prefix + p for p in pieces]
