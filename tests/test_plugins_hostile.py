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

import memlint
from tests import hostile
from tests.helpers import run, tool


def _plugin(module: str):
    if importlib.util.find_spec(module) is None:
        pytest.skip("plugin not present", allow_module_level=False)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return hostile.make_tree(tmp_path_factory.mktemp("plugins"), fifo=False)


def _absolute(tree, path: str) -> str:
    return path if os.path.isabs(path) else str(tree / path)


PACKAGE = os.path.dirname(os.path.abspath(memlint.__file__))


def _memlint_tracebacks(output: str):
    """Tracebacks that run through memlint's code (the host's own are not ours to judge)."""
    return [block for block in output.split("Traceback (most recent call last):")[1:]
            if PACKAGE in block]


def test_flake8_plugin_on_hostile_tree(tree):
    _plugin("memlint.frontends.flake8")
    # One flake8 run per file: flake8 aborts a whole run when any plugin fails, and its own
    # pyflakes fails on some of these files (RecursionError on 1000 chained `+`). flake8
    # decodes leniently (latin-1 when UTF-8 fails): what it parses, the plugin may lint.
    expected = hostile.expected_by_file(tree)
    for path in sorted(expected):
        r = run([tool("flake8"), "--select=MEM,E999", "--format=%(path)s:%(row)d:%(code)s", path],
                cwd=str(tree), timeout=600)
        output = r.stdout + r.stderr
        assert not _memlint_tracebacks(output), output[-3000:]
        failures = [line for line in output.splitlines() if "failed during execution" in line]
        assert not [f for f in failures if "memlint" in f.lower() or "MEM" in f], failures
        if failures:
            continue  # another plugin broke flake8's run of this file
        assert r.returncode in (0, 1), output[-3000:]
        got = {(int(m.group(1)), m.group(2)) for m in
               re.finditer(r":(\d+):(MEM\d{3}|E999)$", r.stdout, re.M)}
        codes = {code for _, code in got}
        assert not codes & {"MEM001", "MEM002"}, (path, got)
        if "E999" in codes:  # the host could not parse it: the plugin adds nothing
            assert codes == {"E999"}, (path, got)
        elif any(code == "MEM101" for _, code in expected[path]):
            assert {x for x in got if x[1] == "MEM101"} == expected[path], path


def test_pylint_plugin_on_hostile_tree(tree):
    _plugin("memlint.pylint_plugin")
    expected = hostile.expected_by_file(tree)
    r = run([tool("pylint"), "--load-plugins=memlint.pylint_plugin", "--disable=all",
             "--enable=unbounded-read,syntax-error,astroid-error,fatal", "--output-format=parseable",
             "--score=n",
             *sorted(expected)], cwd=str(tree), timeout=1800)
    output = r.stdout + r.stderr
    assert not _memlint_tracebacks(output), output[-3000:]
    assert not r.returncode & 32, output[-3000:]  # usage error: the plugin did not load
    assert "internal error" not in output and "internal-error" not in output
    got = {}
    for m in re.finditer(r"^(.*?):(\d+): \[(\w+)\(([\w-]+)\)", r.stdout, re.M):
        got.setdefault(_absolute(tree, m.group(1)), set()).add((int(m.group(2)), m.group(4)))
    unbuilt = {"syntax-error", "astroid-error", "fatal"}  # pylint itself could not build it
    for path, found in got.items():
        symbols = {symbol for _, symbol in found}
        if symbols & unbuilt:  # the plugin adds nothing
            assert symbols <= unbuilt, (path, found)
    for path, exp in expected.items():
        want = {(line, "unbounded-read") for line, code in exp if code == "MEM101"}
        if want and not {s for _, s in got.get(path, ())} & unbuilt:
            assert {x for x in got.get(path, ()) if x[1] == "unbounded-read"} == want, path
