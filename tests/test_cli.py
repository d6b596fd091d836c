"""The real `memlint` process: output, exit codes, configuration, stdin, suppression."""

from __future__ import annotations

import json
import sys

import pytest

from tests.helpers import FIXTURES, memlint_command, run

BAD = "import pandas as pd\ndf = pd.read_csv('a.csv')\nprint(df['a'])\n"
CLEAN = "import pandas as pd\ndf = pd.read_csv('a.csv', usecols=['a'])\n"


def memlint(*args, cwd=None, input=None):
    return run(memlint_command() + list(args), cwd=cwd, input=input)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BAD)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    return tmp_path


def test_findings_exit_1_with_flake8_style_lines(project):
    r = memlint("check", "pkg", cwd=project)
    assert r.returncode == 1, r.stderr
    assert r.stdout == "pkg/bad.py:2:6: MEM101 pd.read_csv() loads every column of the file, but only `a` of `df` is used: if the file holds more, pass usecols=['a']\n"
    assert "Found 1 finding in 1 file (2 files checked)." in r.stderr


def test_clean_exit_0(project):
    r = memlint("check", "pkg/clean.py", cwd=project)
    assert r.returncode == 0 and r.stdout == ""
    assert "No findings" in r.stderr


def test_json_output_schema(project):
    r = memlint("check", "pkg", "--output-format", "json", cwd=project)
    data = json.loads(r.stdout)
    assert data == [{
        "path": "pkg/bad.py", "line": 2, "column": 6, "end_line": 2, "end_column": 26,
        "code": "MEM101", "name": "unbounded-read", "message": data[0]["message"], "cell": None,
    }]


def test_ignore_and_select(project):
    assert memlint("check", "pkg", "--ignore", "MEM1", cwd=project).returncode == 0
    assert memlint("check", "pkg", "--select", "MEM2", cwd=project).returncode == 0
    assert memlint("check", "pkg", "--select", "MEM101", cwd=project).returncode == 1


def test_unknown_code_is_a_usage_error(project):
    r = memlint("check", "pkg", "--select", "MEM999", cwd=project)
    assert r.returncode == 2 and "MEM999" in r.stderr


def test_missing_path_exits_2(project):
    r = memlint("check", "nope.py", cwd=project)
    assert r.returncode == 2 and "nope.py" in r.stderr


def test_stdin_with_filename(project):
    r = memlint("check", "-", "--stdin-filename", "pkg/editor.py", cwd=project, input=BAD)
    assert r.returncode == 1
    assert r.stdout.startswith("pkg/editor.py:2:6: MEM101")


def test_noqa(project):
    (project / "pkg" / "bad.py").write_text(BAD.replace("'a.csv')", "'a.csv')  # noqa: MEM101"))
    assert memlint("check", "pkg", cwd=project).returncode == 0
    (project / "pkg" / "bad.py").write_text(BAD.replace("'a.csv')", "'a.csv')  # noqa: MEM2"))
    assert memlint("check", "pkg", cwd=project).returncode == 1
    (project / "pkg" / "bad.py").write_text(BAD.replace("'a.csv')", "'a.csv')  # noqa"))
    assert memlint("check", "pkg", cwd=project).returncode == 0


def test_pyproject_config(project):
    (project / "pyproject.toml").write_text('[tool.memlint]\nignore = ["MEM101"]\n')
    assert memlint("check", "pkg", cwd=project).returncode == 0
    # the command line overrides the file
    assert memlint("check", "pkg", "--select", "MEM101", cwd=project).returncode == 1


def test_per_file_ignores_and_exclude(project):
    (project / "pyproject.toml").write_text(
        '[tool.memlint]\n[tool.memlint.per-file-ignores]\n"pkg/bad.py" = ["MEM101"]\n'
    )
    assert memlint("check", "pkg", cwd=project).returncode == 0
    (project / "pyproject.toml").write_text('[tool.memlint]\nextend-exclude = ["bad.py"]\n')
    r = memlint("check", "pkg", cwd=project)
    assert r.returncode == 0 and "1 file checked" in r.stderr


@pytest.mark.parametrize("toml,needle", [
    ('[tool.memlint]\nselectt = ["MEM1"]\n', "selectt"),
    ('[tool.memlint]\nignore = ["MEM777"]\n', "MEM777"),
    ('[tool.memlint]\nignore = "MEM1\n', "TOML"),
    ('[tool.memlint.implicit-float64]\nmin-byte = 3\n', "min-byte"),
    ('[tool.memlint.implicit-float64]\nmin-bytes = "x"\n', "min-bytes"),
    ('[tool.memlint]\nignore = "MEM201,MEM777"\n', "'MEM777'"),  # each item is checked
    ('[tool.memlint]\nignore = 101\n', "must be a list of strings"),
])
def test_config_errors_exit_2(project, toml, needle):
    (project / "pyproject.toml").write_text(toml)
    r = memlint("check", "pkg", cwd=project)
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("key", ["ignore", "per-file-ignores"])
def test_a_string_for_a_list_key_is_a_comma_separated_list(project, key):
    (project / "pkg" / "lines.py").write_text(
        "for line in open('a.txt').readlines():\n    print(line)\n")
    assert memlint("check", "--no-cache", "pkg", cwd=project).returncode == 1
    if key == "ignore":
        toml = '[tool.memlint]\nignore = "MEM201, MEM101,MEM102"\n'
    else:
        toml = '[tool.memlint.per-file-ignores]\n"pkg/*" = "MEM101,MEM102"\n'
    (project / "pyproject.toml").write_text(toml)
    r = memlint("check", "--no-cache", "pkg", cwd=project)
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr


def test_rule_option_from_config(project):
    (project / "pkg" / "arr.py").write_text("import numpy as np\nx = np.zeros(1000)\n")
    assert memlint("check", "pkg/arr.py", cwd=project).returncode == 0
    (project / "pyproject.toml").write_text('[tool.memlint.implicit-float64]\nmin-bytes = 0\n')
    assert memlint("check", "pkg/arr.py", cwd=project).returncode == 1


def test_rules_listing_json():
    data = json.loads(memlint("rules", "--output-format", "json").stdout)
    assert {"code", "name", "pylint_id", "summary", "default"} <= set(data[0])
    assert any(r["code"] == "MEM101" for r in data)


def test_rule_docs_and_version():
    r = memlint("rule", "MEM101")
    assert r.returncode == 0 and "\nWhy is this bad?\n" in r.stdout
    assert memlint("rule", "MEM999").returncode == 2
    assert memlint("--version").stdout.startswith("memlint ")


def test_fixtures_directory_reports_every_marked_line():
    from tests.helpers import expected_findings

    from tests.helpers import fixture_options

    r = memlint("check", str(FIXTURES), "--select", "ALL", "--output-format", "json")
    pattern_files = [p for p in FIXTURES.glob("*.py") if fixture_options(p.read_text())]
    got = {(d["path"].split("/")[-1], d["cell"], d["line"], d["code"]) for d in json.loads(r.stdout)
           if not any(d["path"].endswith("/" + p.name) for p in pattern_files)}
    r2 = memlint("check", *map(str, pattern_files), "--select", "ALL", "--report-unknown-scale",
                 "--output-format", "json")
    got |= {(d["path"].split("/")[-1], d["cell"], d["line"], d["code"]) for d in json.loads(r2.stdout)}
    want = set()
    for path in FIXTURES.glob("*.py"):
        want |= {(path.name, None, ln, code) for ln, code in expected_findings(path.read_text())}
    for path in FIXTURES.glob("notebooks/*.ipynb"):
        for number, cell in enumerate(json.loads(path.read_text())["cells"], 1):
            if cell["cell_type"] == "code":
                marks = expected_findings("".join(cell["source"]))
                want |= {(path.name, number, ln, code) for ln, code in marks}
    assert got == want


# --- Paths print the same in every format ---------------------------------------------------

def python_m_memlint(*args, cwd):
    return run([sys.executable, "-m", "memlint", *args], cwd=cwd)


def _paths(fmt: str, stdout: str):
    if fmt == "text":
        return [line.split(":", 1)[0] for line in stdout.splitlines()]
    if fmt == "json":
        return [d["path"] for d in json.loads(stdout)]
    if fmt == "sarif":
        return [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in json.loads(stdout)["runs"][0]["results"]]
    assert fmt == "github"
    return [line.split("file=", 1)[1].split(",", 1)[0] for line in stdout.splitlines()]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_default_path_prints_relative_without_dot_slash(tmp_path, fmt):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text(BAD)
    r = python_m_memlint("check", "--no-cache", "--output-format", fmt, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert _paths(fmt, r.stdout) == ["sub/x.py"], r.stdout


@pytest.mark.parametrize("given", ["./sub", "sub/./x.py", "ABS/sub", "ABS/sub/x.py", "sub/../sub", "."])
def test_paths_under_the_cwd_print_relative(tmp_path, given):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text(BAD)
    given = given.replace("ABS", str(tmp_path.resolve()))
    r = python_m_memlint("check", "--no-cache", given, cwd=tmp_path.resolve())
    assert _paths("text", r.stdout) == ["sub/x.py"], (given, r.stdout, r.stderr)


def test_paths_outside_the_cwd_stay_as_given(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text(BAD)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "y.py").write_text(BAD)
    (tmp_path / "here").mkdir()
    absolute = str(tmp_path.resolve() / "sub")
    r = python_m_memlint("check", "--no-cache", absolute, "../other/y.py", cwd=tmp_path / "here")
    assert sorted(_paths("text", r.stdout)) == sorted([absolute + "/x.py", "../other/y.py"]), r.stdout


def test_a_file_named_twice_is_linted_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text(BAD)
    r = python_m_memlint("check", "--no-cache", "sub", "./sub/x.py", cwd=tmp_path)
    assert _paths("text", r.stdout) == ["sub/x.py"], r.stdout
    assert "(1 file checked)" in r.stderr


def test_dot_dot_after_a_link_keeps_the_path_as_given(tmp_path):
    (tmp_path / "real" / "inner").mkdir(parents=True)
    (tmp_path / "real" / "x.py").write_text(BAD)  # what link/../x.py really names
    (tmp_path / "x.py").write_text(CLEAN)          # what a lexical rewrite would name
    try:
        (tmp_path / "link").symlink_to(tmp_path / "real" / "inner", target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("cannot make symbolic links here")
    r = python_m_memlint("check", "--no-cache", "link/../x.py", cwd=tmp_path)
    assert _paths("text", r.stdout) == ["link/../x.py"], r.stdout


# --- Nothing to lint, and paths that do not exist -------------------------------------------

@pytest.mark.parametrize("given", [[], ["empty"], ["./empty"]])
def test_a_folder_with_nothing_to_lint_says_so(tmp_path, given):
    work = tmp_path / "work"
    (work / "empty" / "deeper").mkdir(parents=True)
    (work / "empty" / "notes.txt").write_text("df = pd.read_csv('a')\n")
    cwd = work / "empty" if not given else work
    r = python_m_memlint("check", *given, cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    name = "empty" if given else "."
    assert r.stderr == f"memlint: warning: no Python files or notebooks found under {name}\n"


def test_an_empty_folder_next_to_files_warns_and_summarises(project):
    (project / "empty").mkdir()
    r = python_m_memlint("check", "pkg/clean.py", "empty", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "memlint: warning: no Python files or notebooks found under empty\n" in r.stderr
    assert "No findings (1 file checked)." in r.stderr


def test_an_excluded_folder_named_says_it_is_excluded(project):
    (project / "build").mkdir()
    (project / "build" / "gen.py").write_text(BAD)
    r = python_m_memlint("check", "build", cwd=project)
    assert r.returncode == 0 and r.stdout == ""
    assert r.stderr == "memlint: warning: build is excluded (exclude, extend-exclude): nothing linted under it\n"


@pytest.mark.parametrize("extra", [[], ["empty"], ["pkg/clean.py"]])
def test_a_missing_path_is_an_error_without_no_findings(project, extra):
    (project / "empty").mkdir()
    missing = str(project / "nonexistent")
    r = python_m_memlint("check", missing, *extra, cwd=project)
    assert r.returncode == 2
    assert r.stdout == ""
    assert f"memlint: error: {missing}: no such file or directory\n" in r.stderr
    assert "No findings" not in r.stderr and "checked" not in r.stderr


def test_a_missing_path_never_hides_findings_or_their_summary(project):
    r = python_m_memlint("check", "nonexistent", "pkg", cwd=project)
    assert r.returncode == 2
    assert r.stdout.startswith("pkg/bad.py:2:6: MEM101")
    assert "memlint: error: nonexistent: no such file or directory" in r.stderr
    assert "Found 1 finding in 1 file (2 files checked)." in r.stderr
