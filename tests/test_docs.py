"""Rule documentation: complete for every rule, quoting its measured figure; docs/rules.md current."""

from __future__ import annotations

import pytest

from memlint import registry
from memlint.docs import evidence
from memlint.docs import REGENERATE, RULES_MD, main, render_rule, render_rules_markdown
from tests.helpers import ROOT, memlint_command, run

RULES = registry.all_rules()
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix", "Known limits")


def test_rules_md_is_current():
    assert RULES_MD == ROOT / "docs" / "rules.md"
    assert RULES_MD.exists(), f"docs/rules.md is missing: run `{REGENERATE}`"
    assert RULES_MD.read_text() == render_rules_markdown(), (
        f"docs/rules.md is stale (a rule record or docs/evidence.json changed): run `{REGENERATE}`"
    )


def test_check_mode_reports_stale_file(tmp_path, capsys):
    target = tmp_path / "rules.md"
    assert main(["--check", "--output", str(target)]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert main(["--output", str(target)]) == 0
    assert main(["--check", "--output", str(target)]) == 0
    assert target.read_text() == render_rules_markdown()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_docs_are_complete(rule):
    text = render_rule(rule)
    for section in SECTIONS:
        assert f"## {section}" in text, f"{rule.code}: no '{section}' section (is `limits` empty?)"
    for field in ("what", "why", "example", "use_instead", "limits"):
        assert getattr(rule, field).strip(), f"{rule.code}: empty {field}"
    # The examples shown are the rule's own, tested ones (tests/test_rule_examples.py).
    assert rule.example.strip().splitlines()[0].strip() in text
    assert rule.use_instead.strip().splitlines()[0].strip() in text


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_why_quotes_the_measured_figure(rule):
    fig = evidence.figure(rule.code)
    assert fig is not None, f"{rule.code} has no measured figure: run `python bench/evidence.py`"
    text = render_rule(rule)
    why = " ".join(text.split("## Why is this bad?", 1)[1].split("\n## ", 1)[0].split())
    assert "Measured (" in why
    assert evidence.human_bytes(fig["bad_peak_bytes"]) in why
    assert evidence.human_bytes(fig["good_peak_bytes"]) in why
    assert "docs/evidence.md" in why


def test_rules_md_lists_every_rule_once():
    text = render_rules_markdown()
    for r in RULES:
        assert text.count(f"\n## {r.code} {r.name}\n") == 1
        assert f"](#{r.code.lower()}-{r.name})" in text
    assert "[evidence.md](evidence.md)" in text


def test_rule_command_prints_the_figure():
    r = run(memlint_command() + ["rule", "MEM101"])
    assert r.returncode == 0, r.stderr
    assert "\nWhy is this bad?\n" in r.stdout and "Measured (" in r.stdout
    assert "\nKnown limits\n" in r.stdout


def test_readme_links_the_docs():
    readme = (ROOT / "README.md").read_text()
    assert "docs/rules.md" in readme and "docs/evidence.md" in readme
    assert "python bench/evidence.py" in readme and REGENERATE in readme
