"""The machinery that makes memlint fast must never change what it reports.

Results cache, worker processes, parsing without re-validation: each is checked against
the plain in-process run. (Nothing here is timed: the benchmark lives in bench/.)
"""

from __future__ import annotations

import inspect
import json

import libcst as cst
import pytest

from memlint.engine import nodeinit
from memlint.runner import parallel
from memlint.runner.cache import CACHE_DIR, Cache, digest
from memlint.config import Settings, load
from memlint.engine.parse import parse_module
from memlint.model import Diagnostic, FileResult
from memlint.runner.files import lint_paths
from tests.helpers import FIXTURES, memlint_command, run

BAD = "import pandas as pd\ndf = pd.read_csv('a.csv')\nprint(df['a'])\n"
CLEAN = "import pandas as pd\ndf = pd.read_csv('a.csv', usecols=['a'])\n"


def memlint(*args, cwd=None):
    return run(memlint_command() + list(args), cwd=cwd)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BAD)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    (tmp_path / "pkg" / "broken.py").write_text("import numpy\ndef f(:\n")
    return tmp_path


def _cache_files(project):
    return sorted((project / CACHE_DIR).glob("*.json"))


# --- the cache ------------------------------------------------------------------------------

def test_second_run_is_served_from_the_cache_with_the_same_output(project):
    first = memlint("check", "pkg", cwd=project)
    assert first.returncode == 1, first.stderr
    assert len(_cache_files(project)) == 1
    assert (project / CACHE_DIR / ".gitignore").read_text().strip().endswith("*")
    entries = json.loads(_cache_files(project)[0].read_text())["files"]
    assert len(entries) == 3  # the syntax error is cached too
    second = memlint("check", "pkg", cwd=project)
    assert (second.returncode, second.stdout, second.stderr) == (first.returncode, first.stdout, first.stderr)


def test_an_edited_file_is_linted_again(project):
    assert memlint("check", "pkg", cwd=project).returncode == 1
    (project / "pkg" / "bad.py").write_text(CLEAN)
    (project / "pkg" / "broken.py").write_text("x = 1\n")
    r = memlint("check", "pkg", cwd=project)
    assert r.returncode == 0 and r.stdout == "", r.stdout


def test_other_settings_do_not_see_these_results(project):
    first = memlint("check", "pkg", cwd=project)
    assert "MEM101" in first.stdout and "MEM001" in first.stdout
    r = memlint("check", "pkg", "--ignore", "MEM101", cwd=project)
    assert "MEM101" not in r.stdout and "MEM001" in r.stdout
    # Syntax errors are reported whatever is selected; the cached MEM101 is not.
    assert "MEM101" not in memlint("check", "pkg", "--select", "MEM2", cwd=project).stdout
    (project / "pyproject.toml").write_text('[tool.memlint.implicit-float64]\nmin-bytes = 0\n')
    (project / "pkg" / "arr.py").write_text("import numpy as np\nx = np.zeros(1000)\n")
    assert "MEM401" in memlint("check", "pkg", cwd=project).stdout
    (project / "pyproject.toml").write_text('[tool.memlint.implicit-float64]\nmin-bytes = 100_000\n')
    assert "MEM401" not in memlint("check", "pkg", cwd=project).stdout
    assert len(_cache_files(project)) == 5


def test_a_corrupt_cache_is_a_cold_start(project):
    assert memlint("check", "pkg", cwd=project).returncode == 1
    cache_file = _cache_files(project)[0]
    for garbage in ("{not json", '{"format": 1, "files": {"x": 3}}', "[]", "\x00\xff"):
        cache_file.write_text(garbage)
        r = memlint("check", "pkg", cwd=project)
        assert r.returncode == 1 and "pkg/bad.py:2:6: MEM101" in r.stdout and "Traceback" not in r.stderr
    data = json.loads(cache_file.read_text())
    for entry in data["files"].values():
        entry[2] = [["x"]]  # a damaged entry of the right digest
    cache_file.write_text(json.dumps(data))
    r = memlint("check", "pkg", cwd=project)
    assert r.returncode == 1 and "pkg/bad.py:2:6: MEM101" in r.stdout


def test_no_cache_flag_and_setting(project):
    assert memlint("check", "pkg", "--no-cache", cwd=project).returncode == 1
    assert not (project / CACHE_DIR).exists()
    (project / "pyproject.toml").write_text("[tool.memlint]\ncache = false\n")
    assert memlint("check", "pkg", cwd=project).returncode == 1
    assert not (project / CACHE_DIR).exists()
    (project / "pyproject.toml").write_text('[tool.memlint]\ncache = "no"\n')
    r = memlint("check", "pkg", cwd=project)
    assert r.returncode == 2 and "cache" in r.stderr


def test_stdin_is_never_cached(project):
    r = run(memlint_command() + ["check", "-", "--stdin-filename", "pkg/x.py"], cwd=project, input=BAD)
    assert r.returncode == 1
    assert not (project / CACHE_DIR).exists()


def test_an_unwritable_cache_directory_is_ignored(project):
    (project / CACHE_DIR).write_text("a file where the folder should be")
    r = memlint("check", "pkg", cwd=project)
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_cache_round_trip_keeps_every_field(tmp_path):
    cache = Cache(tmp_path / CACHE_DIR, "k")
    result = FileResult("a.py", "ok", [Diagnostic("a.py", 3, 4, "MEM201", "msg", "name", 3, 9)])
    cache.put("a.py", digest(b"x"), result)
    cache.save()
    again = Cache(tmp_path / CACHE_DIR, "k")
    assert again.get("a.py", digest(b"y")) is None
    got = again.get("a.py", digest(b"x"))
    assert got == result


def test_internal_errors_are_not_cached(tmp_path):
    cache = Cache(tmp_path / CACHE_DIR, "k")
    result = FileResult("a.py", "error", [Diagnostic("a.py", 1, 0, "MEM002", "bug", "internal-error")])
    cache.put("a.py", digest(b"x"), result)
    assert cache.get("a.py", digest(b"x")) is None


# --- worker processes -----------------------------------------------------------------------

def test_jobs_give_the_same_results_in_the_same_order(tmp_path, monkeypatch):
    for i in range(12):
        for fixture in FIXTURES.glob("*.py"):
            (tmp_path / f"{fixture.stem}_{i:02d}.py").write_bytes(fixture.read_bytes())
    (tmp_path / "broken.py").write_text("def f(:\n")
    monkeypatch.chdir(tmp_path)
    settings = load(["."])
    settings.select = ["ALL"]
    serial = lint_paths(["."], settings, jobs=1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    pooled = lint_paths(["."], settings, jobs=2)
    assert [r.path for r in pooled.results] == [r.path for r in serial.results]
    assert pooled.diagnostics == serial.diagnostics
    assert len(serial.diagnostics) > 12


def test_jobs_on_the_command_line(project):
    assert memlint("check", "pkg", "--jobs", "2", "--no-cache", cwd=project).returncode == 1
    for bad in ("0", "two"):
        r = memlint("check", "pkg", "--jobs", bad, cwd=project)
        assert r.returncode == 2 and "--jobs" in r.stderr


def test_batches_cover_every_file_once_largest_first():
    sizes = {f"f{i}.py": s for i, s in enumerate([5, 500, 50, 0, 7, 900, 3])}
    out = parallel.batches(list(sizes), sizes, jobs=2)
    flat = [p for b in out for p in b]
    assert sorted(flat) == sorted(sizes)
    assert out[0] == ["f5.py"]
    assert [sizes[p] for p in flat] == sorted(sizes.values(), reverse=True)


# --- parsing --------------------------------------------------------------------------------

def test_parse_leaves_libcst_validation_on():
    parse_module("x = [a for a in b]\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def f(:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_parse_gives_the_same_tree():
    source = (FIXTURES / "iteration.py").read_text()
    assert parse_module(source).deep_equals(cst.parse_module(source))
    assert parse_module(source).code == source


def _with_libcst_constructors(fn):
    """fn() with libcst's own node constructors in place of memlint.engine.nodeinit's."""
    with nodeinit.libcst_constructors():
        return fn()


def test_fast_constructors_build_the_same_trees():
    parse_module("x = 1\n")  # installs them
    assert len(nodeinit.ORIGINAL) > 100 and cst.Call in nodeinit.ORIGINAL
    for path in sorted(FIXTURES.rglob("*.py")):
        source = path.read_text()
        theirs = _with_libcst_constructors(lambda: cst.parse_module(source))
        ours = parse_module(source)
        assert ours.deep_equals(theirs) and ours.code == source, path


def test_fast_constructors_take_the_same_arguments_and_still_validate():
    parse_module("x = 1\n")
    for cls, init in nodeinit.ORIGINAL.items():
        assert inspect.signature(cls.__init__) == inspect.signature(init)
    # A caller may pass a signature's default explicitly: for a default factory that is
    # dataclasses' sentinel, which must still mean "call the factory".
    given = inspect.signature(cst.Comma).parameters["whitespace_after"].default
    assert type(cst.Comma(whitespace_after=given).whitespace_after) is cst.SimpleWhitespace
    # Defaults and default factories: equal nodes, and a factory called for each node.
    a = _with_libcst_constructors(lambda: cst.Call(cst.Name("f"), [cst.Arg(cst.Name("x"))]))
    b = cst.Call(cst.Name("f"), [cst.Arg(cst.Name("x"))])
    assert a.deep_equals(b)
    assert cst.Module([]).code == _with_libcst_constructors(lambda: cst.Module([]).code)
    theirs = _with_libcst_constructors(cst.Comma)
    assert cst.Comma().deep_equals(theirs)
    assert cst.Comma().whitespace_after is not cst.Comma().whitespace_after
    with pytest.raises(TypeError):
        cst.Name()  # a required argument is still required
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
    assert nodeinit.install() == 0  # idempotent


def test_settings_default_to_caching():
    assert Settings().cache is True


# --- text triggers --------------------------------------------------------------------------

def _snippets():
    from memlint import registry

    for path in sorted(FIXTURES.glob("*.py")):
        yield path.name, path.read_text(encoding="utf-8")
    for rule in registry.all_rules():
        for i, s in enumerate((rule.example, rule.use_instead) + tuple(rule.invalid) + tuple(rule.valid)):
            yield f"{rule.code}-{i}", s


def test_triggers_never_hide_a_finding(monkeypatch):
    """A rule's text trigger may only skip files where the rule would find nothing."""
    import textwrap

    from memlint import registry
    from memlint.engine import lint_source
    from memlint.rule import Rule

    rules = registry.select_rules(["ALL"])
    cases = list(_snippets())
    with_triggers = [lint_source(textwrap.dedent(s), name, rules).diagnostics for name, s in cases]
    monkeypatch.setattr(Rule, "trigger_pattern", classmethod(lambda cls: None))
    without = [lint_source(textwrap.dedent(s), name, rules).diagnostics for name, s in cases]
    hidden = [(name, d) for (name, _), a, b in zip(cases, with_triggers, without) for d in b if d not in a]
    assert not hidden, hidden


PATTERNS = [
    (r"\bcopy\b", {"copy"}),
    (r"read_(?:csv|json)", {"read_csv", "read_json"}),
    (r"\bto(?:array|dense)\b|OneHotEncoder", {"toarray", "todense", "OneHotEncoder"}),
    (r"[Ll]oss|backward", {"oss", "backward"}),
    (r"(?s)\A(?=.*?(?:open|stdin)).*?(?:readlines|splitlines)", {"readlines", "splitlines"}),
    (r"foo(?=bar)", {"foo"}),
    (r"(?:abc)+x", {"abc"}),
    (r"randn?", {"rand"}),
    (r"(?i)copy", None),  # case-insensitive: no literal is required as written
    (r"(?i:copy)|numpy", None),
    (r"a+b", None),  # nothing of three characters or more
    (r"abc|\w+", None),  # one alternative requires nothing
    (r"[(,]\s*\[", None),
]


@pytest.mark.parametrize("pattern,expected", PATTERNS, ids=[p for p, _ in PATTERNS])
def test_required_strings_of_a_pattern(pattern, expected):
    import re

    from memlint.engine.triggers import needles

    got = needles(re.compile(pattern))
    if expected is None:
        assert got is None
    else:
        assert got is not None and set(got) == expected


def test_required_strings_never_reject_a_match():
    """The shortcut may only skip files the pattern itself would not match."""
    import re

    from memlint import registry
    from memlint.engine.triggers import matches, needles

    texts = [s for _, s in _snippets()] + [
        "x = (1, [2])", "with open(p) as f: lines = f.readlines()", "LOSS = 1", "Loss", "a.eval()",
        "x.todense()", "import itertools", "while x:", "np.float64", "Double", "(\n  # c\n  [", "COPY copy",
    ]
    patterns = [r.trigger_pattern() for r in registry.all_rules()] + [re.compile(p) for p, _ in PATTERNS]
    for pattern in patterns:
        for text in texts:
            assert matches(pattern, text) == bool(pattern.search(text)), (pattern.pattern, text)
            if pattern.search(text) and needles(pattern):
                assert any(n in text for n in needles(pattern))


def test_lint_source_leaves_the_garbage_collector_as_it_found_it():
    import gc

    from memlint import registry
    from memlint.engine import lint_source

    rules = registry.select_rules(["ALL"])
    source = (FIXTURES / "iteration.py").read_text()
    assert gc.isenabled()
    lint_source(source, "a.py", rules)
    lint_source("def f(:\n", "b.py", rules)
    assert gc.isenabled()
    gc.disable()
    try:
        lint_source(source, "a.py", rules)
        assert not gc.isenabled()
    finally:
        gc.enable()
    gc.collect()
    lint_source(source, "a.py", rules)
    assert gc.collect() == 0  # linting leaves no cycles behind for the collector


@pytest.mark.parametrize("pattern,pieces", [
    (r"a|b", ["a", "b"]),
    (r"(?s)\A(?=x|y).*?z|q", [r"(?s)\A(?=x|y).*?z", "(?s)q"]),
    (r"[|]|x", ["[|]", "x"]),
    (r"[]|]a|b", ["[]|]a", "b"]),
    (r"\||c", [r"\|", "c"]),
    (r"(a|b)c", [r"(a|b)c"]),
    (r"(a)\1|b", None),  # a back-reference may not stand alone
    (r"a||b", None),
])
def test_top_level_alternatives_are_searched_one_by_one(pattern, pieces):
    from memlint.engine.triggers import _split_alternatives

    assert _split_alternatives(pattern) == pieces


def test_the_cache_key_covers_every_module_of_memlint():
    from memlint.runner import cache

    names = {entry[0].replace("\\", "/") for entry in cache._code_fingerprint()}
    assert {"rule.py", "engine/lint.py", "rules/reads/unbounded_read.py", "semantic/model.py"} <= names
