"""`memlint rule CODE` as a person at a terminal and a script through a pipe see it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from memlint import registry
from memlint.docs import render_rule
from tests.helpers import memlint_command, run

ESC = "\x1b["


def _on_a_terminal(args, env_extra=None) -> str:
    """Run memlint with its stdout on a pseudo-terminal; what it wrote there."""
    if not hasattr(os, "openpty"):  # pragma: no cover - Windows
        pytest.skip("no pseudo-terminals here")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    env.update(env_extra or {})
    leader, follower = os.openpty()
    try:
        proc = subprocess.Popen(memlint_command() + list(args), stdout=follower,
                                stderr=subprocess.PIPE, env=env)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        proc.stderr.close()
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("code", ["MEM102", "MEM401"])
def test_plain_text_through_a_pipe(code):
    r = run(memlint_command() + ["rule", code])
    assert r.returncode == 0, r.stderr
    out = r.stdout
    rule = registry.by_code(code)
    assert out.startswith(f"{rule.code} {rule.name}\n=")
    assert "\nWhat it does\n------------\n" in out and "\nKnown limits\n" in out
    assert ESC not in out and "**" not in out.replace("`**kwargs`", "")
    assert "```" not in out and not any(line.endswith(" ") for line in out.splitlines())
    assert not any(line.startswith("#") for line in out.splitlines())
    assert f"Default: {'on' if rule.default else 'off'} · pylint: {rule.pylint_id}" in out
    first = rule.example.strip().splitlines()[0].strip()
    assert f"\n    {first}\n" in out  # code indented, no fence


def test_colour_on_a_terminal_and_never_with_no_color():
    coloured = _on_a_terminal(["rule", "MEM102"])
    assert ESC in coloured and "What it does" in coloured
    plain = _on_a_terminal(["rule", "MEM102"], {"NO_COLOR": "1"})
    assert ESC not in plain
    assert plain == run(memlint_command() + ["rule", "MEM102"]).stdout


def test_markdown_output_is_the_docs_rendering():
    r = run(memlint_command() + ["rule", "MEM101", "--output-format", "markdown"])
    assert r.returncode == 0
    assert r.stdout == render_rule(registry.by_code("MEM101"))
    assert "## Why is this bad?" in r.stdout


MEM702_LOOP = "    for x, y in loader:\n        total += crit(net(x), y)\n"
MEM702_HEAD = "import torch\nimport torch.nn as nn\ncrit = nn.MSELoss()\ntotal = 0\n"


def test_mem702_known_limits_say_what_silences_it_and_the_cli_agrees(tmp_path):
    r = run(memlint_command() + ["rule", "MEM702"])
    limits = " ".join(r.stdout.split("\nKnown limits\n", 1)[1].split())
    for needle in ("with torch.no_grad():", "with torch.inference_mode():",
                   "torch.set_grad_enabled(False)", "per function", "decorated",
                   "`model.eval()` alone"):
        assert needle in limits, needle
    silenced = {
        "no_grad.py": MEM702_HEAD + "with torch.no_grad():\n" + MEM702_LOOP,
        "inference.py": MEM702_HEAD + "@torch.inference_mode()\ndef ev():\n    total = 0\n"
                        + MEM702_LOOP,
        "switch.py": MEM702_HEAD + "torch.set_grad_enabled(False)\nif True:\n" + MEM702_LOOP,
    }
    flagged = {
        "plain.py": MEM702_HEAD + "if True:\n" + MEM702_LOOP,
        "other_function.py": MEM702_HEAD + "def a():\n    torch.set_grad_enabled(False)\n"
                             "def ev():\n    total = 0\n" + MEM702_LOOP,
    }
    for name, src in {**silenced, **flagged}.items():
        (tmp_path / name).write_text(src)
    r = run(memlint_command() + ["check", "--select", "MEM702", "--no-cache", "."], cwd=tmp_path)
    got = {line.split(":")[0] for line in r.stdout.splitlines()}
    assert got == set(flagged), r.stdout
