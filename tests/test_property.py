"""Property: the engine never raises and never reports an internal error, whatever it reads.

Programs come from hypothesmith (from CPython's grammar, and from libcst's node types);
arbitrary text and bytes exercise decoding and the pre-parse guard. Examples are bounded
(and the deadline off: libcst's first parse is slow) so that the file runs in seconds.
"""

from __future__ import annotations

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memlint import registry
from memlint.engine import guard
from memlint.engine import lint_source
from memlint.model import ENGINE_CODES

ALL = registry.select_rules(["ALL"])
# Prefixes that make every rule's trigger match, so that generated code is parsed and
# traversed by all of them rather than skipped.
PRELUDE = (
    "import numpy\nimport pandas as pd\nfrom pandas import read_csv\n"
    "for _x in list(range(3)):\n    pass\nsum([_y for _y in _x])\n"
)
STATUSES = {"ok", "skipped", "syntax-error", "too-complex"}

bounded = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)


def check(source, **kwargs):
    result = lint_source(source, "generated.py", ALL, syntax_check=True, **kwargs)
    assert result.status in STATUSES, result.diagnostics
    assert not result.internal_errors, result.internal_errors
    for d in result.diagnostics:
        assert d.line >= 1 and d.col >= 0
        assert d.code in ENGINE_CODES or any(d.code == r.code for r in ALL)
    return result


@bounded
@given(hypothesmith.from_grammar())
def test_generated_programs(source):
    check(source)
    check(PRELUDE + source)


@settings(bounded, max_examples=25)
@given(hypothesmith.from_node())
def test_generated_libcst_trees(source):
    check(PRELUDE + source)


@bounded
@given(st.text(max_size=400))
def test_arbitrary_text(text):
    guard.scan(text)
    check(PRELUDE + text)


@bounded
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    check(PRELUDE.encode() + data)
    check(data)
