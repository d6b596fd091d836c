"""Shared test helpers: run the engine on snippets and fixtures, read inline expectations."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List, Set, Tuple

from memlint import registry
from memlint.engine import lint_source

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# A trailing comment made only of codes marks the findings expected on that line:
#     df = pd.read_csv(path)  # MEM101
#     x = f([a for a in b])  # MEM201 MEM401
EXPECT_RE = re.compile(r"#\s*(MEM\d{3}(?:[\s,]+MEM\d{3})*)\s*$")


def expected_findings(source: str) -> Set[Tuple[int, str]]:
    out = set()
    for i, line in enumerate(source.splitlines(), 1):
        m = EXPECT_RE.search(line)
        if m:
            for code in re.split(r"[\s,]+", m.group(1).strip()):
                out.add((i, code))
    return out


def lint(source: str, select=("ALL",), path: str = "snippet.py", options=None):
    rules = registry.select_rules(list(select))
    return lint_source(textwrap.dedent(source), path, rules, options or {})


def codes(source: str, select=("ALL",)) -> List[str]:
    return [d.code for d in lint(source, select).diagnostics]


def memlint_command() -> List[str]:
    """The installed `memlint` console script, as a user runs it."""
    exe = Path(sys.executable).parent / ("memlint.exe" if os.name == "nt" else "memlint")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("memlint")
    return [found] if found else [sys.executable, "-m", "memlint"]


def tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.exists() else (shutil.which(name) or name)


def run(cmd, cwd=None, input=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=cwd, input=input, capture_output=True, text=True, env=env, timeout=timeout
    )


UNKNOWN_SCALE_MARK = "# memlint-fixture: report-unknown-scale"


def fixture_options(source: str) -> dict:
    """A fixture that tests a pattern whatever the size says so on its first line; it is
    linted with unknown scale reported (the scale model has its own fixture, scale.py)."""
    if source.startswith(UNKNOWN_SCALE_MARK):
        return {"*": {"report-unknown-scale": True}}
    return {}
