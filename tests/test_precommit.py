"""The pre-commit hook, run by the real `pre-commit try-repo` from a copy of this repository.

pre-commit clones the hook repository at a commit and pip-installs it into a virtualenv of
its own, so the test copies the working tree (tracked and untracked files that git does not
ignore) into a temporary git repository and commits it; the hook then runs in another
temporary repository with a file to flag. try-repo installs into a fresh temporary store
every time (PRE_COMMIT_HOME does not apply to it), so the test runs it once: 20-60 seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.helpers import ROOT, run, tool

BAD = "import pandas as pd\ndf = pd.read_csv('a.csv')\nprint(df['a'])\n"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "memlint tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "memlint tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _pre_commit() -> str:
    exe = tool("pre-commit")
    if not (os.path.isabs(exe) and os.path.exists(exe)) and shutil.which(exe) is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]' installs it)")
    return exe


def _git(args, cwd, env):
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=env, check=True,
                   capture_output=True)


def _working_tree_files():
    r = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                       cwd=ROOT, capture_output=True)
    if r.returncode != 0:  # not a git checkout: copy the package and its metadata
        return ["pyproject.toml", "README.md", ".pre-commit-hooks.yaml",
                *(str(p.relative_to(ROOT)) for p in (ROOT / "memlint").rglob("*.py"))]
    return [f for f in r.stdout.decode().split("\0") if f]


def test_hook_manifest():
    yaml = pytest.importorskip("yaml", reason="PyYAML (a pre-commit dependency) is not installed")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "memlint")
    assert hook["language"] == "python"
    assert hook["entry"] == "memlint check"
    assert hook["types_or"] == ["python", "jupyter"]


def test_try_repo_reports_findings_and_fails(tmp_path):
    pre_commit = _pre_commit()
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           "PRE_COMMIT_COLOR": "never"}
    env.pop("PRE_COMMIT", None)
    env.pop("SKIP", None)
    hook_repo = tmp_path / "hook-repo"
    for rel in _working_tree_files():
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("tests/", "fixtures/", "bench/", "docs/")):
            dest = hook_repo / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    _git(["init", "-q"], hook_repo, env)
    _git(["add", "-A"], hook_repo, env)
    _git(["commit", "-q", "-m", "hook under test"], hook_repo, env)

    user = tmp_path / "user-repo"
    (user / "src").mkdir(parents=True)
    (user / "src" / "load.py").write_text(BAD)
    (user / "src" / "clean.py").write_text("import pandas as pd\ndf = pd.read_csv('a', usecols=['x'])\n")
    (user / "notes.txt").write_text("df = pd.read_csv('not python')\n")
    _git(["init", "-q"], user, env)
    _git(["add", "-A"], user, env)

    r = run([pre_commit, "try-repo", str(hook_repo), "memlint", "--all-files"], cwd=user, env=env,
            timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "memlint" in out and "Failed" in out
    assert "src/load.py:2:6: MEM101 " in out
    assert "clean.py:" not in out and "notes.txt" not in out
