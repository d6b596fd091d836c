"""Each rule's documented examples are tested: docs can never show code the rule misses."""

from __future__ import annotations

import textwrap

import pytest

from memlint import registry
from tests.helpers import lint

RULES = registry.all_rules()


def _flagged(rule, source):
    result = lint(textwrap.dedent(source), select=[rule.code])
    assert result.status in ("ok", "skipped"), result.diagnostics
    return [d for d in result.diagnostics if d.code == rule.code]


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_example_is_flagged_and_use_instead_is_clean(rule):
    assert _flagged(rule, rule.example), f"{rule.code}: its Example is not flagged"
    assert not _flagged(rule, rule.use_instead), f"{rule.code}: its Use instead is flagged"


CASES = [(r, i, s, True) for r in RULES for i, s in enumerate(r.invalid)] + [
    (r, i, s, False) for r in RULES for i, s in enumerate(r.valid)
]


@pytest.mark.parametrize(
    "rule,index,source,bad", CASES,
    ids=[f"{r.code}-{'invalid' if bad else 'valid'}-{i}" for r, i, _, bad in CASES],
)
def test_rule_snippets(rule, index, source, bad):
    found = _flagged(rule, source)
    if bad:
        assert found, f"{rule.code} misses:\n{textwrap.dedent(source)}"
    else:
        assert not found, f"{rule.code} wrongly flags:\n{textwrap.dedent(source)}\n{found}"
