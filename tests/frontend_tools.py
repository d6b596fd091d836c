"""Run the real frontends (memlint, flake8, pylint) and read their findings on one basis.

A finding is (path, line, column, code) with a 0-based column, as the engine counts: the CLI
and flake8 print column + 1, pylint prints its 0-based col_offset.
"""

from __future__ import annotations

import json
import os
import re
from typing import List, Optional, Sequence, Tuple

from memlint import registry
from tests.helpers import memlint_command, run, tool

Finding = Tuple[str, int, int, str]

FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")
PYLINT_TEMPLATE = "{path}|{line}|{column}|{symbol}|{msg_id}"


def _norm(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def memlint_check(args: Sequence[str], cwd=None, input=None):
    return run(memlint_command() + ["check", *args], cwd=cwd, input=input)


def memlint_findings(args: Sequence[str], cwd=None) -> List[Finding]:
    r = memlint_check([*args, "--output-format", "json", "--quiet"], cwd=cwd)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return sorted((_norm(d["path"]), d["line"], d["column"] - 1, d["code"]) for d in json.loads(r.stdout))


def flake8(args: Sequence[str], cwd=None, input=None):
    return run([tool("flake8"), *args], cwd=cwd, input=input)


def flake8_findings(args: Sequence[str], cwd=None, input=None) -> List[Finding]:
    r = flake8(args, cwd=cwd, input=input)
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stdout + r.stderr
    out = []
    for text in r.stdout.splitlines():
        m = FLAKE8_LINE.match(text)
        assert m, f"unexpected flake8 output line: {text!r}"
        out.append((_norm(m["path"]), int(m["line"]), int(m["col"]) - 1, m["code"]))
    return sorted(out)


def pylint(args: Sequence[str], cwd=None, input=None, plugin: bool = True):
    cmd = [tool("pylint"), "--persistent=n", "--score=n"]
    if plugin:
        cmd.append("--load-plugins=memlint.pylint_plugin")
    return run(cmd + list(args), cwd=cwd, input=input)


def pylint_findings(args: Sequence[str], cwd=None, input=None,
                    only_memlint: bool = True) -> List[Finding]:
    """memlint's findings as pylint reports them, its symbols mapped back to rule codes."""
    extra = ["--disable=all", "--enable=memlint"] if only_memlint else []
    r = pylint([*extra, f"--msg-template={PYLINT_TEMPLATE}", *args], cwd=cwd, input=input)
    # pylint's exit status is a bit mask; 32 is a usage error, 1 a fatal message.
    assert not r.returncode & 33 and "Traceback" not in r.stderr, r.stdout + r.stderr
    out = []
    for text in r.stdout.splitlines():
        if text.startswith("*************") or not text.strip():
            continue
        path, line, col, symbol, msg_id = text.split("|")
        rule = registry.by_code(symbol)
        assert rule is not None and rule.pylint_id == msg_id, text
        out.append((_norm(path), int(line), int(col), rule.code))
    return sorted(out)


def rule_codes(findings: Sequence[Finding]) -> List[str]:
    return [f[3] for f in findings]


def only(findings: Sequence[Finding], path: Optional[str] = None) -> List[Tuple[int, int, str]]:
    return [(ln, col, code) for p, ln, col, code in findings if path is None or p == path]
