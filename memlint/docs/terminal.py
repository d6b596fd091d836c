"""A rule's documentation for a terminal: `memlint rule CODE`.

Plain text from the same sections as the markdown (memlint.docs.rule_sections): headings
underlined, code indented, no markdown markup. With colour (memlint.output.color: a terminal,
no NO_COLOR) headings are bold and code is coloured, its backticks dropped; without it, the
backticks of inline code stay, the plain-text convention for code.
"""

from __future__ import annotations

import re
from typing import List, Type

from memlint.docs import rule_sections
from memlint.output.color import BOLD, CYAN, DIM, GREEN, RED, Painter
from memlint.rule import Rule

_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def _inline(text: str, paint: Painter) -> str:
    if not paint.on:
        return text
    return _CODE_SPAN.sub(lambda m: paint(m.group(1), CYAN), text)


def _heading(title: str, paint: Painter, underline: str = "-") -> List[str]:
    return [paint(title, BOLD), paint(underline * len(title), DIM)]


def render_rule_text(rule: Type[Rule], color: bool = False) -> str:
    paint = Painter(color)
    state = "on" if rule.default else "off"
    out: List[str] = _heading(f"{rule.code} {rule.name}", paint, "=")
    out += [
        "",
        _inline(rule.summary, paint),
        f"Default: {paint(state, BOLD)} · pylint: {rule.pylint_id} / {rule.name}",
    ]
    for title, kind, body in rule_sections(rule):
        out += [""] + _heading(title, paint) + [""]
        if kind == "code":
            colour = RED if title == "Example" else GREEN
            out += [("    " + paint(line, colour)).rstrip() for line in str(body).splitlines()]
        elif kind == "options":
            out.append(_inline(f"Set in `[tool.memlint.{rule.name}]`.", paint))
            out.append("")
            for name, default, help_text in body:  # type: ignore[union-attr]
                out.append(_inline(f"  {paint(name, BOLD)} (default `{default!r}`): {help_text}",
                                   paint))
        else:
            out += [_inline(line, paint).rstrip() for line in str(body).splitlines()]
    return "\n".join(out).rstrip() + "\n"
