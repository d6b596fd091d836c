"""Every fixture file: the engine reports exactly the lines marked with `# MEMxxx`, nothing else."""

from __future__ import annotations

import pytest

from memlint import registry
from memlint.engine import lint_source
from tests.helpers import FIXTURES, expected_findings, fixture_options

FIXTURE_FILES = sorted(FIXTURES.glob("*.py"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_fixture_findings_match_marks(path):
    source = path.read_text(encoding="utf-8")
    result = lint_source(source, str(path), registry.select_rules(["ALL"]), fixture_options(source))
    assert result.status == "ok", result.diagnostics
    actual = {(d.line, d.code) for d in result.diagnostics}
    expected = expected_findings(source)
    lines = source.splitlines()
    missing = sorted(expected - actual)
    unexpected = sorted(actual - expected)
    report = [f"missed    {path.name}:{ln}: {code}  | {lines[ln - 1].strip()}" for ln, code in missing]
    report += [f"unexpected {path.name}:{ln}: {code}  | {lines[ln - 1].strip()}" for ln, code in unexpected]
    assert not report, "\n" + "\n".join(report)


def test_every_rule_has_a_marked_fixture_line():
    marked = set()
    for path in FIXTURE_FILES:
        marked |= {code for _, code in expected_findings(path.read_text(encoding="utf-8"))}
    missing = [r.code for r in registry.all_rules() if r.code not in marked]
    assert not missing, f"rules with no marked fixture line: {missing}"
