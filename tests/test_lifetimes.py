"""The lifetimes family beyond its documented snippets: exact messages, and the shared
recorder giving the same answers whichever rule drives it."""

from __future__ import annotations

import textwrap

from memlint import registry
from memlint.engine import lint_source

SCRIPT = textwrap.dedent(
    """\
    import numpy as np
    import pandas as pd

    raw = pd.read_csv("train.csv", usecols=COLS)
    X = raw[COLS].to_numpy(dtype=np.float32)
    y = raw["label"].to_numpy()
    for epoch in range(100):
        model.step(X, y)
    """
)


def _diagnostics(source, rules):
    result = lint_source(source, "t.py", rules)
    assert result.status == "ok", result.diagnostics
    return [(d.line, d.code, d.message) for d in result.diagnostics]


def test_lingering_message_names_the_lines():
    found = _diagnostics(SCRIPT, registry.select_rules(["MEM501"]))
    assert found == [(
        4, "MEM501",
        "raw (the frame read by `pd.read_csv()`) is not used after line 6 but stays alive during the "
        "loop at line 7; add `del raw` after line 6",
    )]


def test_del_goes_after_the_block_that_holds_the_last_use():
    source = textwrap.dedent(
        """\
        import numpy as np

        def train(paths, model, epochs):
            total = 0
            for p in paths:
                shard = np.load(p)
                total += shard.sum()
                log(total)
            for epoch in range(epochs):
                model.step(total)
        """
    )
    (line, _, message), = _diagnostics(source, registry.select_rules(["MEM501"]))
    assert line == 6
    assert "not used after line 7" in message and "add `del shard` after line 8" in message


def test_training_call_is_named():
    source = textwrap.dedent(
        """\
        import pandas as pd

        def fit(path, clf):
            df = pd.read_parquet(path, columns=COLS)
            X, y = df[COLS].to_numpy(), df["y"].to_numpy()
            clf.fit(X, y)
        """
    )
    (_, _, message), = _diagnostics(source, registry.select_rules(["MEM501"]))
    assert "during the fit() call at line 6" in message


def test_buffer_message_names_growth_and_loop():
    source = textwrap.dedent(
        """\
        def serve(queue):
            seen = []
            while True:
                item = queue.get()
                seen.append(item)
        """
    )
    (line, code, message), = _diagnostics(source, registry.select_rules(["MEM503"]))
    assert (line, code) == (2, "MEM503")
    assert "(.append() at line 5) inside the loop at line 3" in message


def test_recorder_driver_does_not_change_findings():
    from tests.helpers import FIXTURES

    source = (FIXTURES / "lifetimes.py").read_text(encoding="utf-8")
    family = registry.select_rules(["MEM5"])
    together = _diagnostics(source, family)
    alone = sorted(d for r in family for d in _diagnostics(source, [r]))
    reversed_order = _diagnostics(source, list(reversed(family)))
    assert sorted(together) == alone == sorted(reversed_order)
    assert {code for _, code, _ in together} == {"MEM501", "MEM502", "MEM503"}
