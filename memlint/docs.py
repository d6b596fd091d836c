"""Rule documentation rendered from the registry record: `memlint rule CODE` and docs/rules.md."""

from __future__ import annotations

import textwrap
from typing import List, Type

from memlint.rule import Rule

FIX_TEXT = {
    "none": "No autofix is offered.",
    "safe": "An autofix is offered and is safe: it never changes what the program computes.",
    "unsafe": "An autofix is offered but is unsafe: review it, it may change behaviour.",
}


def _block(code: str) -> str:
    return "```python\n" + textwrap.dedent(code).strip("\n") + "\n```"


def render_rule(rule: Type[Rule], heading: str = "#") -> str:
    parts: List[str] = [f"{heading} {rule.code} {rule.name}", ""]
    state = "on" if rule.default else "off"
    parts.append(f"{rule.summary}  ")
    parts.append(f"Default: **{state}** · pylint: `{rule.pylint_id}` / `{rule.name}`")
    parts.append("")
    sections = [
        ("What it does", textwrap.dedent(rule.what).strip()),
        ("Why is this bad?", textwrap.dedent(rule.why).strip()),
        ("Example", _block(rule.example)),
        ("Use instead", _block(rule.use_instead)),
        ("Fix", FIX_TEXT[rule.fix]),
    ]
    if rule.limits.strip():
        sections.append(("Known limits", textwrap.dedent(rule.limits).strip()))
    if rule.options:
        lines = [
            f"- `{name}` (default `{opt.default!r}`): {opt.help}" for name, opt in rule.options.items()
        ]
        sections.append(
            ("Options", f"Set in `[tool.memlint.{rule.name}]`.\n\n" + "\n".join(lines))
        )
    for title, body in sections:
        parts += [f"{heading}# {title}", "", body, ""]
    return "\n".join(parts).rstrip() + "\n"
