"""Meta-tests over every rule record: the registry is the single source every frontend reads."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint import registry
from memlint.docs import render_rule

RULES = registry.all_rules()


def test_registry_validates():
    registry.validate(RULES)
    assert len({r.code for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_record_is_complete(rule):
    assert rule.code[3] == rule.pylint_id[3], "pylint id's third digit is the rule's family"
    for snippet in (rule.example, rule.use_instead, *rule.invalid, *rule.valid):
        cst.parse_module(textwrap.dedent(snippet))  # every example parses
    text = render_rule(rule)
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix"):
        assert f"## {section}" in text
    assert rule.summary.endswith(".")
    if rule.options:
        assert "## Options" in text


def test_selection_precedence():
    codes = lambda **kw: [r.code for r in registry.select_rules(**kw)]  # noqa: E731
    assert "MEM101" in codes()
    assert "MEM101" not in codes(ignore=["MEM1"])
    assert codes(select=["MEM101"]) == ["MEM101"]
    assert "MEM101" in codes(select=["MEM101"], ignore=["MEM1"])  # more specific wins
    assert "MEM101" not in codes(select=["MEM1"], ignore=["MEM101"])
    assert codes(select=["unbounded-read"]) == ["MEM101"]
    assert set(codes(select=["ALL"])) == {r.code for r in RULES}
