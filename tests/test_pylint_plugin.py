"""The pylint plugin, run as the real `pylint` process, and its message ids."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from memlint import registry
from memlint.engine import lint_source
from tests.frontend_tools import memlint_findings, pylint, pylint_findings

BAD = "import pandas as pd\ndf = pd.read_csv('a.csv')\nprint(df['a'])\n"
PLUGIN = "memlint.pylint_plugin"

# Message-id blocks (the middle two digits) of the pylint plugins memlint must coexist with,
# read from their released sources: perflint 0.8.1 (W81xx, W82xx, R82xx, W84xx) and
# pylint-ml 0.0.1 (W80xx, W81xx, W84xx). pylint and its bundled extensions are checked live.
THIRD_PARTY_BLOCKS = {"80", "81", "82", "83", "84"}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BAD)
    return tmp_path


def test_reports_where_the_cli_does(project):
    r = pylint(["--disable=all", "--enable=memlint", "pkg/bad.py"], cwd=project)
    assert "pkg/bad.py:2:5: W7710: pd.read_csv() loads every column" in r.stdout
    assert "(unbounded-read)" in r.stdout
    assert pylint_findings(["pkg/bad.py"], cwd=project) == memlint_findings(["pkg"], cwd=project)


def test_enable_and_disable_the_checker_by_name(project):
    assert pylint_findings(["pkg/bad.py"], cwd=project)
    r = pylint(["--disable=all", "--enable=memlint", "--disable=memlint", "pkg/bad.py"], cwd=project)
    assert "W77" not in r.stdout
    r = pylint(["--disable=all", "--enable=memlint", "--disable=unbounded-read", "pkg/bad.py"], cwd=project)
    assert "W7710" not in r.stdout


def test_disable_comments_on_the_line_and_for_a_block(project):
    (project / "pkg" / "bad.py").write_text(textwrap.dedent("""\
        import pandas as pd

        a = pd.read_csv("a").to_numpy()  # pylint: disable=unbounded-read
        b = pd.read_csv("b").to_numpy()  # pylint: disable=W7710
        c = pd.read_csv("c").to_numpy()  # pylint: disable=memlint
        d = pd.read_csv("d").to_numpy()  # noqa: MEM101
        e = pd.read_csv("e").to_numpy()


        def load():
            # pylint: disable=unbounded-read
            f = pd.read_csv("f").to_numpy()
            return f


        def load_too():
            return pd.read_csv("g").to_numpy()
        """))
    got = pylint_findings(["pkg/bad.py"], cwd=project)
    assert [(ln, code) for _, ln, _, code in got] == [(7, "MEM101"), (17, "MEM101")]


def test_stdin(project):
    got = pylint_findings(["--from-stdin", "pkg/editor.py"], cwd=project, input=BAD)
    assert got == [("pkg/editor.py", 2, 5, "MEM101")]


def test_syntax_errors_are_pylints_own(project):
    (project / "pkg" / "bad.py").write_text("import pandas as pd\ndf = pd.read_csv('a.csv'\n")
    r = pylint(["--disable=all", "--enable=memlint,syntax-error", "pkg/bad.py"], cwd=project)
    assert "E0001" in r.stdout and "W77" not in r.stdout and "Traceback" not in r.stderr


def test_reads_tool_memlint_and_pylint_side_options(project):
    (project / "pyproject.toml").write_text('[tool.memlint]\nignore = ["MEM101"]\n')
    assert pylint_findings(["pkg/bad.py"], cwd=project) == []
    assert pylint_findings(["--memlint-select=MEM1", "pkg/bad.py"], cwd=project)
    (project / "pyproject.toml").write_text(
        '[tool.memlint]\n[tool.pylint.main]\nmemlint-ignore = ["MEM101"]\n'
    )
    assert pylint_findings(["pkg/bad.py"], cwd=project) == []


def test_a_comma_separated_string_in_pyproject_is_a_list(project):
    (project / "pkg" / "lines.py").write_text(
        "for line in open('a.txt').readlines():\n    print(line)\n")
    assert sorted(f[3] for f in pylint_findings(["pkg"], cwd=project)) == ["MEM101", "MEM102"]
    (project / "pyproject.toml").write_text('[tool.memlint]\nignore = "MEM101,MEM102"\n')
    assert pylint_findings(["pkg"], cwd=project) == []


def test_configuration_error_is_a_fatal_message(project):
    (project / "pyproject.toml").write_text('[tool.memlint]\nselectt = ["MEM1"]\n')
    r = pylint(["--disable=all", "--enable=memlint", "pkg/bad.py"], cwd=project)
    assert "F0011" in r.stdout and "selectt" in r.stdout
    assert r.returncode & 1 and "Traceback" not in r.stderr


def test_messages_come_from_the_registry():
    from memlint.pylint_plugin import MemlintChecker

    rules = registry.all_rules()
    assert {msgid: m[1] for msgid, m in MemlintChecker.msgs.items()} == {r.pylint_id: r.name for r in rules}
    r = pylint(["--list-msgs"])
    for rule in rules:
        assert f":{rule.name} ({rule.pylint_id}):" in r.stdout


def _bundled_extensions():
    import pylint.extensions

    folder = Path(pylint.extensions.__file__).parent
    return sorted(f"pylint.extensions.{p.stem}" for p in folder.glob("*.py") if not p.stem.startswith("_"))


def test_message_ids_collide_with_nothing_in_pylint():
    """Loading memlint next to every bundled extension works, and 77 is memlint's alone."""
    plugins = ",".join(_bundled_extensions() + [PLUGIN])
    r = pylint([f"--load-plugins={plugins}", "--list-msgs"], plugin=False)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    listed = re.findall(r"^:([a-z0-9-]+) \(([CRWEFI])(\d\d)(\d\d)\)", r.stdout, re.M)
    assert len(listed) > 300  # pylint's own messages are there
    ours = {r.pylint_id: r.name for r in registry.all_rules()}
    blocks_of_others = {block for symbol, _, block, _ in listed if symbol not in ours.values()}
    assert registry.PYLINT_BLOCK not in blocks_of_others
    assert registry.PYLINT_BLOCK not in THIRD_PARTY_BLOCKS
    for rule in registry.all_rules():
        assert rule.pylint_id[1:3] == registry.PYLINT_BLOCK
        # the symbol is ours alone (pylint refuses duplicates, but say it plainly)
        assert [s for s, *_ in listed].count(rule.name) == 1


def _default_off_rules():
    rules = [r for r in registry.all_rules() if not r.default]
    return rules or [pytest.param(None, marks=pytest.mark.skip(reason="no default-off rule in the registry"))]


@pytest.mark.parametrize("rule", _default_off_rules(), ids=lambda r: r.code if r else "none")
def test_default_off_rules_need_an_opt_in(project, rule):
    src = textwrap.dedent(rule.example)
    assert lint_source(src, "x.py", [rule]).diagnostics
    (project / "pkg" / "bad.py").write_text(src)
    assert rule.code not in [f[3] for f in pylint_findings(["pkg/bad.py"], cwd=project)]
    got = pylint_findings([f"--memlint-extend-select={rule.code}", "pkg/bad.py"], cwd=project)
    assert rule.code in [f[3] for f in got]
