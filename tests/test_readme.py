"""README.md: its code fences are balanced, and its set-up and test commands are what CI runs.

An unclosed fence turns the rest of the README into one code block; GitHub shows no error.
`.ci/run` promises to run "the README's" commands; the comparison below keeps that true when
either side changes (quoting, spacing, `python -m pip` for `pip` and quiet flags aside).
"""

from __future__ import annotations

import re
import shlex
from typing import List, Optional, Tuple

import pytest

from tests.helpers import ROOT

README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"

# CommonMark: up to 3 spaces (more inside a list item), 3+ backticks or tildes, an info string.
FENCE_RE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def fence_problems(text: str) -> List[str]:
    """Unbalanced fences in markdown `text`, as messages naming lines (empty when balanced).

    An opening fence is closed by a line of the same character, at least as long, with nothing
    after it. A fence line *with* an info string (```sh) inside an open block means the block
    before it was never closed: the README shows no fenced markdown, so it is an error here.
    """
    problems = []
    open_at: Optional[Tuple[int, str]] = None  # (line number, fence)
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE_RE.match(line)
        if not m:
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        if fence[0] == "`" and "`" in info:  # inline code such as ```x``` is not a fence
            continue
        if open_at is None:
            open_at = (n, fence)
        elif fence[0] == open_at[1][0] and len(fence) >= len(open_at[1]) and not info:
            open_at = None
        elif info:
            problems.append(f"line {n}: fence {fence}{info} opens inside the block opened "
                            f"at line {open_at[0]}, which is never closed")
            open_at = (n, fence)
    if open_at is not None:
        problems.append(f"line {open_at[0]}: the block opened here is never closed")
    return problems


def test_fence_checker_catches_an_unclosed_block():
    bad = "```toml\n[x]\n\n## Next section\n\n```sh\npip install x\n```\n"
    assert fence_problems(bad) and "line 1" in fence_problems(bad)[0]
    assert fence_problems("```sh\nx\n")
    good = "```sh\nx\n```\n\n- item\n\n  ```lua\n  y\n  ```\n\n````md\n```\n````\n"
    assert fence_problems(good) == []


def test_readme_fences_are_balanced():
    assert fence_problems(README.read_text(encoding="utf-8")) == []


# --- The README's commands and .ci/run's ---------------------------------------------------

CONTROL = {"&&", "||", ";", "|", "&"}
REDIRECT = {">", ">>", "<", "2>", "&>"}
# Flags CI adds to keep its log short; they change what is printed, not what is run.
QUIET = {("--quiet",), ("-q",), ("-p", "no:cacheprovider")}


def simple_commands(line: str) -> List[List[str]]:
    """A shell line as its simple commands (split at && || ; |), redirections dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands, current, tokens = [], [], list(lexer)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in CONTROL:
            commands.append(current)
            current = []
        elif tok in REDIRECT:
            i += 1  # and its target
        else:
            current.append(tok)
        i += 1
    commands.append(current)
    return [normalise(c) for c in commands if c]


def normalise(cmd: List[str]) -> List[str]:
    if cmd[0] in ("python", "python3"):
        cmd = ["python", *cmd[1:]]
    if cmd[:3] == ["python", "-m", "pip"]:
        cmd = ["pip", *cmd[3:]]
    out, i = [], 0
    while i < len(cmd):
        for flag in QUIET:
            if tuple(cmd[i:i + len(flag)]) == flag:
                i += len(flag)
                break
        else:
            out.append(cmd[i])
            i += 1
    return out


def ci_commands() -> List[List[str]]:
    text = CI_RUN.read_text(encoding="utf-8").replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        if line.strip().startswith("#"):
            continue
        commands.extend(simple_commands(line))
    return commands


def readme_section_commands(heading: str) -> List[List[str]]:
    """The commands of the ```sh blocks of the README section under `## heading`."""
    text = README.read_text(encoding="utf-8")
    assert f"\n## {heading}\n" in text, f"README has no '## {heading}' section"
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(?:sh|bash|console)\n(.*?)^```$", section, re.S | re.M)
    assert blocks, f"README '## {heading}' shows no ```sh block"
    return [c for block in blocks for line in block.splitlines() for c in simple_commands(line)]


def test_normalisation():
    assert simple_commands("python3 -m pip install --quiet -e '.[test]'") == \
        [["pip", "install", "-e", ".[test]"]]
    assert simple_commands("memlint check a/ --quiet > /dev/null || test $? -eq 1")[0] == \
        ["memlint", "check", "a/"]
    assert simple_commands("python -m pytest -q -p no:cacheprovider") == [["python", "-m", "pytest"]]


def test_readme_setup_commands_are_what_ci_runs():
    setup = readme_section_commands("Set up and try it")
    # The README makes its own virtual environment; CI makes .ci/venv. The rest must match.
    wanted = [c for c in setup if c[0] not in ("python", ".", "source")]
    assert any(c[:2] == ["pip", "install"] for c in wanted), setup
    assert any(c[:3] == ["memlint", "check", "fixtures/"] for c in wanted), setup
    ci = ci_commands()
    for cmd in wanted:
        assert cmd in ci, f"README runs `{shlex.join(cmd)}`, .ci/run does not: {ci}"


def test_readme_test_command_is_what_ci_runs():
    tests = readme_section_commands("Run the tests")
    assert tests and all(c[:3] == ["python", "-m", "pytest"] for c in tests), tests
    ci = ci_commands()
    for cmd in tests:
        assert cmd in ci, f"README runs `{shlex.join(cmd)}`, .ci/run does not: {ci}"


# --- The pre-commit snippet -----------------------------------------------------------------

def _section(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert f"\n{heading}\n" in text, f"README has no '{heading}' section"
    return text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]


def test_readme_precommit_snippet_matches_the_manifest():
    yaml = pytest.importorskip("yaml", reason="PyYAML (a pre-commit dependency) is not installed")
    manifest_ids = [h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]
    section = _section("### pre-commit")
    blocks = re.findall(r"^```yaml\n(.*?)^```$", section, re.S | re.M)
    assert len(blocks) == 1, section
    (repo,) = yaml.safe_load(blocks[0])["repos"]
    assert [h["id"] for h in repo["hooks"]] == manifest_ids[:1]
    # No release tag exists: the snippet pins a commit, a full SHA placeholder marked as such.
    # pre-commit wants a string: an unquoted all-digit SHA would be a YAML integer.
    assert isinstance(repo["rev"], str) and re.fullmatch(r"[0-9a-f]{40}", repo["rev"]), repo["rev"]
    rev_line = next(line for line in blocks[0].splitlines() if line.strip().startswith("rev:"))
    assert "REPLACE" in rev_line
    assert f"pre-commit try-repo <path-to-clone> {manifest_ids[0]} --all-files" in section
