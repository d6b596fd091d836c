"""Rule documentation rendered from the registry record: `memlint rule CODE` and docs/rules.md.

Regenerate docs/rules.md with `python -m memlint.docs` (`--check` only compares).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Type

from memlint.docs import evidence
from memlint.rule import Rule

RULES_MD = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
REGENERATE = "python -m memlint.docs"

FIX_TEXT = {
    "none": "No autofix is offered.",
    "safe": "An autofix is offered and is safe: it never changes what the program computes.",
    "unsafe": "An autofix is offered but is unsafe: review it, it may change behaviour.",
}


def section(block: str) -> str:
    """A documentation field of a rule record (an indented triple-quoted string) as text."""
    return textwrap.dedent(block).strip()


def one_line(block: str) -> str:
    """The same field folded into one line, for help texts that have no paragraphs."""
    return " ".join(block.split())


def rule_sections(rule: Type[Rule], evidence_link: str = "docs/evidence.md"
                  ) -> List[Tuple[str, str, object]]:
    """A rule's documentation sections, in print order, as (title, kind, body): kind "text"
    (paragraphs with `code` spans), "code" (a Python snippet) or "options" (a list of
    (name, default, help)). Both renderings, markdown and the terminal's, read these."""
    why = section(rule.why)
    measured = evidence.sentence(rule.code, evidence_link)
    if measured:
        why += "\n\n" + measured
    sections: List[Tuple[str, str, object]] = [
        ("What it does", "text", section(rule.what)),
        ("Why is this bad?", "text", why),
        ("Example", "code", textwrap.dedent(rule.example).strip("\n")),
        ("Use instead", "code", textwrap.dedent(rule.use_instead).strip("\n")),
        ("Fix", "text", FIX_TEXT[rule.fix]),
    ]
    if rule.limits.strip():
        sections.append(("Known limits", "text", section(rule.limits)))
    if rule.options:
        sections.append(("Options", "options",
                         [(name, opt.default, opt.help) for name, opt in rule.options.items()]))
    return sections


def render_rule(rule: Type[Rule], heading: str = "#", evidence_link: str = "docs/evidence.md") -> str:
    """The rule's documentation as markdown (docs/rules.md, `memlint rule --output-format
    markdown`); memlint.docs.terminal renders it for a terminal."""
    parts: List[str] = [f"{heading} {rule.code} {rule.name}", ""]
    state = "on" if rule.default else "off"
    parts.append(f"{rule.summary}  ")
    parts.append(f"Default: **{state}** · pylint: `{rule.pylint_id}` / `{rule.name}`")
    parts.append("")
    for title, kind, body in rule_sections(rule, evidence_link):
        if kind == "code":
            text = "```python\n" + str(body) + "\n```"
        elif kind == "options":
            lines = [f"- `{name}` (default `{default!r}`): {help_text}"
                     for name, default, help_text in body]  # type: ignore[union-attr]
            text = f"Set in `[tool.memlint.{rule.name}]`.\n\n" + "\n".join(lines)
        else:
            text = str(body)
        parts += [f"{heading}# {title}", "", text, ""]
    return "\n".join(parts).rstrip() + "\n"


def _anchor(rule: Type[Rule]) -> str:
    """GitHub's anchor for the rule's heading."""
    return f"{rule.code}-{rule.name}".lower()


def render_rules_markdown(rules: Optional[Sequence[Type[Rule]]] = None) -> str:
    """docs/rules.md: an index, then every rule's documentation, all from the registry."""
    if rules is None:
        from memlint import registry

        rules = registry.all_rules()
    parts = [
        "# Rules",
        "",
        f"<!-- Generated from the rule registry by `{REGENERATE}`; do not edit. -->",
        "",
        "Each rule's documentation, as `memlint rule CODE` prints it (this markdown with",
        "`--output-format markdown`). Every example is one of the rule's tested examples, and",
        "every measured figure comes from [`bench/evidence.py`](../bench/evidence.py) (see",
        "[evidence.md](evidence.md)).",
        "",
        "| code | name | default | summary |",
        "| --- | --- | --- | --- |",
    ]
    for r in rules:
        summary = r.summary.replace("|", "\\|")
        parts.append(f"| [{r.code}](#{_anchor(r)}) | `{r.name}` | {'on' if r.default else 'off'} | {summary} |")
    parts.append("")
    for r in rules:
        parts.append(render_rule(r, heading="##", evidence_link="[evidence.md](evidence.md)"))
    return "\n".join(parts).rstrip() + "\n"


def write_rules_markdown(path: Optional[Path] = None) -> Path:
    path = path or RULES_MD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_rules_markdown())
    return path


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m memlint.docs", description="Regenerate docs/rules.md from the rule registry."
    )
    parser.add_argument("--output", type=Path, default=RULES_MD, help="default: docs/rules.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
    args = parser.parse_args(argv)
    text = render_rules_markdown()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    write_rules_markdown(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
