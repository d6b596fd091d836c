"""The flake8 plugin, run as the real `flake8` process."""

from __future__ import annotations

import textwrap

import pytest

from memlint import __version__, registry
from memlint.engine import lint_source
from tests.frontend_tools import flake8, flake8_findings, memlint_findings

BAD = "import pandas as pd\ndf = pd.read_csv('a.csv')\nprint(df['a'])\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BAD)
    return tmp_path


def test_registered_with_prefix_mem_and_version():
    r = flake8(["--version"])
    # flake8 names a plugin by its distribution, memlint-ml (the PyPI name memlint is taken).
    assert f"memlint-ml: {__version__}" in r.stdout, r.stdout


def test_reports_like_the_cli(project):
    r = flake8(["--select=MEM", "pkg"], cwd=project)
    assert r.returncode == 1
    assert r.stdout.startswith("pkg/bad.py:2:6: MEM101 pd.read_csv() loads every column")
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project) == memlint_findings(["pkg"], cwd=project)


NOQA_CASES = {  # comment on the reported line -> still reported?
    "# noqa": False,
    "# noqa: MEM101": False,
    "# NOQA:MEM1": False,
    "# noqa: E501,MEM101": False,
    "# noqa: MEM2": True,
    "# noqa: E501": True,
}


def test_noqa(project):
    for i, comment in enumerate(NOQA_CASES):
        (project / "pkg" / f"case{i}.py").write_text(BAD.replace("'a.csv')", "'a.csv')  " + comment))
    reported = {f[0] for f in flake8_findings(["--select=MEM", "pkg"], cwd=project)}
    for i, (comment, expected) in enumerate(NOQA_CASES.items()):
        assert (f"pkg/case{i}.py" in reported) is expected, comment


def test_disable_noqa_reports_what_noqa_hides(project):
    # flake8's --disable-noqa: the engine must not apply the comments either.
    (project / "pkg" / "bad.py").write_text(BAD.replace("'a.csv')", "'a.csv')  # noqa: MEM101"))
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project) == []
    found = flake8_findings(["--select=MEM", "--disable-noqa", "pkg"], cwd=project)
    assert [f[1:] for f in found] == [(2, 5, "MEM101")]


def test_noqa_on_the_reported_line_of_a_multiline_call(project):
    # The finding is on the line where the call starts; a noqa there silences it, one on the
    # closing line does not (flake8 joins only multi-line strings and backslash continuations).
    src = "import pandas as pd\ndf = pd.read_csv(  {first}\n    'a.csv',\n)  {last}\nprint(df['a'])\n"
    (project / "pkg" / "bad.py").write_text(src.format(first="# noqa: MEM101", last=""))
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project) == []
    (project / "pkg" / "bad.py").write_text(src.format(first="", last="# noqa: MEM101"))
    assert [f[1:] for f in flake8_findings(["--select=MEM", "pkg"], cwd=project)] == [(2, 5, "MEM101")]


def test_unparseable_file_is_flake8s_e999_only(project):
    (project / "pkg" / "broken.py").write_text("import pandas as pd\ndf = pd.read_csv('a.csv'\n")
    r = flake8(["--select=E999,MEM", "pkg/broken.py"], cwd=project)
    assert r.returncode == 1
    assert "E999" in r.stdout and "MEM" not in r.stdout
    assert "Traceback" not in r.stderr and r.stderr == ""


def test_file_that_libcst_cannot_parse_adds_nothing_and_never_raises():
    # Called as flake8 calls it, on a source that does not parse: no findings, no exception.
    from memlint.frontends.flake8 import Flake8Plugin

    plugin = Flake8Plugin(None, ["def f(:\n", "    pass\n"], "x.py")
    assert list(plugin.run()) == []


def test_stdin_with_display_name(project):
    r = flake8(["--select=MEM", "--stdin-display-name=pkg/editor.py", "-"], cwd=project, input=BAD)
    assert r.returncode == 1 and r.stdout.startswith("pkg/editor.py:2:6: MEM101")


def test_reads_tool_memlint_from_pyproject(project):
    (project / "pyproject.toml").write_text('[tool.memlint]\nignore = ["MEM101"]\n')
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project) == []
    (project / "pyproject.toml").write_text(
        '[tool.memlint.per-file-ignores]\n"pkg/bad.py" = ["MEM1"]\n'
    )
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project) == []


def test_a_comma_separated_string_in_pyproject_is_a_list(project):
    (project / "pkg" / "lines.py").write_text(
        "for line in open('a.txt').readlines():\n    print(line)\n")
    assert sorted(f[3] for f in flake8_findings(["--select=MEM", "pkg"], cwd=project)) == [
        "MEM101", "MEM102"]
    (project / "pyproject.toml").write_text('[tool.memlint]\nignore = "MEM101,MEM102"\n')
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project) == []


def test_flake8_side_options_override_pyproject(project):
    (project / "pyproject.toml").write_text('[tool.memlint]\nignore = ["MEM101"]\n')
    assert flake8_findings(["--select=MEM", "--memlint-select=MEM101", "pkg"], cwd=project)
    # ... and in flake8's own configuration file
    (project / ".flake8").write_text("[flake8]\nmemlint-select = MEM1\n")
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project)
    (project / ".flake8").write_text("[flake8]\nmemlint-ignore = MEM101\n")
    (project / "pyproject.toml").unlink()
    assert flake8_findings(["--select=MEM", "pkg"], cwd=project) == []


def test_memlint_config_option(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("conf") / "pyproject.toml"
    other.write_text('[tool.memlint]\nignore = ["MEM1"]\n')
    assert flake8_findings(["--select=MEM", f"--memlint-config={other}", "pkg"], cwd=project) == []


def _option_flags():
    from memlint.frontends.host import rule_option_flags

    return rule_option_flags()


@pytest.mark.parametrize("opt", _option_flags(), ids=lambda o: o.flag)
def test_rule_options_are_flake8_options(opt):
    # Every rule option of the registry is offered on flake8's side.
    r = flake8(["--help"])
    assert f"--{opt.flag}" in r.stdout


def test_rule_option_changes_findings(project):
    if registry.by_code("implicit-float64") is None:  # pragma: no cover
        pytest.skip("the implicit-float64 rule is not in the registry")
    (project / "pkg" / "arr.py").write_text("import numpy as np\nx = np.zeros(1000)\n")
    assert flake8_findings(["--select=MEM", "pkg/arr.py"], cwd=project) == []
    got = flake8_findings(["--select=MEM", "--memlint-implicit-float64-min-bytes=0", "pkg/arr.py"],
                          cwd=project)
    assert [f[3] for f in got] == ["MEM401"]
    (project / "pyproject.toml").write_text('[tool.memlint.implicit-float64]\nmin-bytes = 0\n')
    assert flake8_findings(["--select=MEM", "pkg/arr.py"], cwd=project)


@pytest.mark.parametrize("toml,args,needle", [
    ('[tool.memlint]\nselectt = ["MEM1"]\n', [], "tool.memlint.selectt"),
    ('[tool.memlint]\nignore = ["MEM999"]\n', [], "tool.memlint.ignore"),
    ("", ["--memlint-select=MEM999"], "--memlint-select"),
    ("", ["--memlint-implicit-float64-min-bytes=lots"], "--memlint-implicit-float64-min-bytes"),
])
def test_configuration_errors_stop_flake8_with_one_line_and_status_2(project, toml, args, needle):
    if toml:
        (project / "pyproject.toml").write_text(toml)
    if "min-bytes" in needle and registry.by_code("implicit-float64") is None:  # pragma: no cover
        pytest.skip("the implicit-float64 rule is not in the registry")
    r = flake8(["--select=MEM", *args, "pkg"], cwd=project)
    # 2, not 1: CI can tell a broken configuration from findings (as `memlint check`).
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("memlint (flake8): error: ") and needle in lines[0]
    if toml:
        assert str(project / "pyproject.toml") in lines[0]


def test_a_broken_configuration_below_the_named_folder_stops_flake8_before_any_file(project):
    (project / "pkg" / "sub").mkdir()
    (project / "pkg" / "sub" / "pyproject.toml").write_text('[tool.memlint]\nselect = "MEM9"\n')
    (project / "pkg" / "sub" / "x.py").write_text(BAD)
    r = flake8(["--select=MEM", "-j", "2", "pkg"], cwd=project)
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert str(project / "pkg" / "sub" / "pyproject.toml") in r.stderr
    assert "failed during execution" not in r.stderr and "Traceback" not in r.stderr


def _default_off_rules():
    rules = [r for r in registry.all_rules() if not r.default]
    return rules or [pytest.param(None, marks=pytest.mark.skip(reason="no default-off rule in the registry"))]


@pytest.mark.parametrize("rule", _default_off_rules(), ids=lambda r: r.code if r else "none")
def test_default_off_rules_need_an_opt_in(project, rule):
    src = textwrap.dedent(rule.example)
    expected = lint_source(src, "x.py", [rule]).diagnostics
    assert expected, f"{rule.code} does not flag its own example"
    (project / "pkg" / "bad.py").write_text(src)
    assert rule.code not in [f[3] for f in flake8_findings(["--select=MEM", "pkg"], cwd=project)]
    got = flake8_findings(["--select=MEM", f"--memlint-extend-select={rule.code}", "pkg"], cwd=project)
    assert rule.code in [f[3] for f in got]
