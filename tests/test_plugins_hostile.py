"""The hostile tree through the real flake8 and pylint processes, with memlint's plugins.

The plugins' contract: never raise, add nothing for a file that does not parse (the host
reports it), and report the findings of every file that does. Skipped until the plugin
modules exist (they live on another branch until it merges).
"""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

from tests import hostile
from tests.helpers import run, tool


def _plugin(module: str):
    if importlib.util.find_spec(module) is None:
        pytest.skip("plugin not present", allow_module_level=False)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return hostile.make_tree(tmp_path_factory.mktemp("plugins"))


def _absolute(tree, path: str) -> str:
    return path if os.path.isabs(path) else str(tree / path)


def _memlint_tracebacks(output: str):
    """Tracebacks that run through memlint's code (the host's own are not ours to judge)."""
    return [block for block in output.split("Traceback (most recent call last):")[1:]
            if "memlint" in block]


def _expected_mem101(tree):
    return {(path, line) for path, exp in hostile.expected_by_file(tree).items()
            for line, code in exp if code == "MEM101"}


def _unparsable(tree):
    return {path for path, exp in hostile.expected_by_file(tree).items()
            if any(code in ("MEM001", "MEM004") for _, code in exp)}


def test_flake8_plugin_on_hostile_tree(tree):
    _plugin("memlint.flake8_plugin")
    r = run([tool("flake8"), "--select=MEM", "--format=%(path)s:%(row)d:%(code)s", str(tree)],
            cwd=str(tree), timeout=900)
    output = r.stdout + r.stderr
    assert not _memlint_tracebacks(output), output[-3000:]
    assert r.returncode in (0, 1), output[-3000:]
    got = set()
    for line in r.stdout.splitlines():
        m = re.match(r"(.*):(\d+):(MEM\d{3})$", line)
        if m:
            got.add((_absolute(tree, m.group(1)), int(m.group(2)), m.group(3)))
    assert not any(code == "MEM002" for _, _, code in got), got
    assert not {p for p, _, code in got if code in ("MEM001", "MEM004")}
    # the plugin adds nothing on files that do not parse
    assert not {p for p, _, _ in got} & _unparsable(tree)
    mem101 = {(p, line) for p, line, code in got if code == "MEM101"}
    # flake8 reads some files differently (it refuses null bytes, its own way); every
    # finding memlint's CLI makes on a file flake8 itself parsed must be there.
    assert mem101 <= _expected_mem101(tree)
    assert (str(tree / "encodings/crlf.py"), 2) in mem101
    assert (str(tree / "size/long_elif_chain.py"), 4005) in mem101


def test_pylint_plugin_on_hostile_tree(tree):
    _plugin("memlint.pylint_plugin")
    files = sorted(p for p in hostile.expected_by_file(tree) if not p.endswith("fifo.py"))
    r = run([tool("pylint"), "--load-plugins=memlint.pylint_plugin", "--disable=all",
             "--enable=unbounded-read", "--output-format=parseable", "--score=n", *files],
            cwd=str(tree), timeout=1800)
    output = r.stdout + r.stderr
    assert not _memlint_tracebacks(output), output[-3000:]
    assert not r.returncode & 32, output[-3000:]  # usage error: the plugin did not load
    assert "internal error" not in output
    found = {(_absolute(tree, m.group(1)), int(m.group(2))) for m in
             re.finditer(r"^(.*?):(\d+): \[W7710\(unbounded-read\)", r.stdout, re.M)}
    assert not {p for p, _ in found} & _unparsable(tree)
    assert found <= _expected_mem101(tree)
    assert (str(tree / "encodings/crlf.py"), 2) in found
