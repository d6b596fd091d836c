"""No input crashes memlint: hostile files through the engine and the real `memlint` process.

What is covered (tests/hostile.py builds the files): syntax errors, Python 2, unterminated
strings, bad indentation, null bytes; coding cookies, BOMs, invalid UTF-8, CRLF, CR and
mixed line ends, form feeds, tabs; files of megabytes, long operator chains, long elif
chains, long string concatenations, deep brackets and blocks, chains deep enough to crash
libcst's native parser; folders named *.py, broken and looping links, FIFOs, undecodable
file names, unreadable and vanishing files, notebooks; a crashing rule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import libcst as cst
import pytest

from memlint import registry
from memlint.engine import deep, guard
from memlint.frontends import cli
from memlint.runner import files as runner
from memlint.runner import parallel
from memlint.engine import lint_source
from memlint.engine.positions import full_positions as node_positions
from memlint.rule import Rule
from memlint.rules.reads.unbounded_read import UnboundedRead
from tests import hostile
from tests.helpers import memlint_command, run

DEFAULT_RULES = registry.select_rules(None)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- the engine -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(n for n in hostile.FILES if n.endswith(".py")))
def test_engine_on_hostile_file(name):
    data, expected = hostile.FILES[name]
    result = lint_source(data, name, DEFAULT_RULES, syntax_check=True)
    assert {(d.line, d.code) for d in result.diagnostics} == expected
    assert not result.internal_errors


def test_syntax_errors_skipped_without_syntax_check():
    # What the plugins get: their hosts report syntax errors, memlint adds nothing.
    data, _ = hostile.FILES["syntax/syntax_error_no_trigger.py"]
    result = lint_source(data, "x.py", DEFAULT_RULES)
    assert result.status == "skipped" and result.diagnostics == []


def test_syntax_error_message_is_cpythons():
    data, _ = hostile.FILES["syntax/python2.py"]
    (d,) = lint_source(data, "x.py", DEFAULT_RULES).diagnostics
    assert d.code == "MEM001" and "Missing parentheses in call to 'print'" in d.message


def test_newer_syntax_than_the_interpreter_is_not_an_error():
    # libcst knows the latest grammar; CPython's verdict alone would reject it on old versions.
    source = "type Vector = list[float]\nmatch x:\n    case [1, *rest]:\n        pass\n"
    assert lint_source(source, "x.py", DEFAULT_RULES, syntax_check=True).diagnostics == []


def test_guard_never_raises_on_fragments():
    for text in ["'", '"""', "f'{", "((((", "))))", "\\", "#", "elif", "if x:\n elif", "\r", "\x0c",
                 "rb'\\", "f'{x!r:{'", "a" * 10, "...", "1.e5.real"]:
        guard.scan(text)


# --- deep code: safe through a roomy thread ---------------------------------------------------

def test_deep_mode_gives_identical_results(monkeypatch):
    from tests.helpers import FIXTURES, fixture_options

    rules = registry.select_rules(["ALL"])
    for path in sorted(FIXTURES.glob("*.py")):
        source = path.read_text()
        options = fixture_options(source)
        inline = lint_source(source, path.name, rules, options).diagnostics
        monkeypatch.setattr(guard, "INLINE_NESTING", -1)
        roomy = lint_source(source, path.name, rules, options).diagnostics
        monkeypatch.undo()
        assert roomy == inline and inline


def test_positions_of_deep_trees():
    # libcst computes positions by recursive code generation: 2500 levels need memlint.engine.deep
    # (and, on Python 3.12, its codegen without **kwargs calls).
    source = "if a:\n    pass\n" + "elif a:\n    pass\n" * 2500 + "else:\n    x = f(1)\n"
    module = deep.run(cst.parse_module, source)
    last = module.body[0]
    while isinstance(last.orelse, cst.If):
        last = last.orelse
    call = last.orelse.body.body[0].body[0].value
    positions = deep.run(node_positions, module, [id(call)])
    assert positions[id(call)] == ((5004, 8), (5004, 12))


def test_deep_run_nests_without_deadlock():
    assert deep.run(deep.run, deep.run, lambda: 42) == 42


def test_recursion_limit_and_codegen_are_restored():
    limit = sys.getrecursionlimit()
    codegen = cst.CSTNode._codegen
    deep.run(lambda: None)
    with pytest.raises(ZeroDivisionError):
        deep.run(lambda: 1 / 0)
    assert sys.getrecursionlimit() == limit and cst.CSTNode._codegen is codegen


class Recursive(Rule):
    """Recurses 5000 deep on every module: needs the roomy retry."""

    code, name, pylint_id, message = "MEM991", "recursive", "W7791", "recursed"

    def visit_Module(self, node):
        def down(n):
            return 0 if n == 0 else 1 + down(n - 1)

        if down(5000) == 5000:
            self.report(node.body[0])


def test_recursion_error_in_a_rule_is_retried_with_room():
    result = lint_source("x = 1\n", "x.py", [Recursive])
    assert [(d.line, d.code) for d in result.diagnostics] == [(1, "MEM991")]


# --- a bug in one rule ------------------------------------------------------------------------

class Crashing(Rule):
    code, name, pylint_id, message = "MEM992", "crashing", "W7792", "never"

    def visit_Call(self, node):
        raise KeyError(node)  # str() of this recurses through the node's repr


class CrashingOnLeave(Rule):
    code, name, pylint_id, message = "MEM993", "crashing-on-leave", "W7793", "never"

    def leave_Module(self, node):
        raise RuntimeError("boom")


class CannotStart(Rule):
    code, name, pylint_id, message = "MEM994", "cannot-start", "W7794", "never"

    def __init__(self, ctx, settings=None):
        raise ValueError("bad settings")


def test_a_crashing_rule_keeps_the_other_rules_findings():
    source = "import pandas as pd\ndf = pd.read_csv('a.csv').to_numpy()\n"
    result = lint_source(source, "x.py", [UnboundedRead, Crashing, CrashingOnLeave, CannotStart])
    by_code = {d.code: d for d in result.diagnostics if d.code != "MEM002"}
    assert set(by_code) == {"MEM101"}
    internal = sorted(d.message for d in result.internal_errors)
    assert len(internal) == 3
    assert "MEM992 (crashing): KeyError" in internal[0]
    assert "MEM993 (crashing-on-leave): RuntimeError: boom" in internal[1]
    assert "MEM994 (cannot-start): ValueError: bad settings" in internal[2]


# --- the real process -------------------------------------------------------------------------

def memlint(*args, cwd=None):
    return run(memlint_command() + list(args), cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    top = hostile.make_tree(tmp_path_factory.mktemp("robust"))
    (top / "paths" / os.fsdecode(b"caf\xe9.py")).write_bytes(hostile.IMPORT + hostile.READ)
    return top


@pytest.fixture(scope="module")
def walked(tree):
    return memlint("check", str(tree), "--output-format", "json")


def test_cli_walks_hostile_tree(tree, walked):
    assert walked.returncode == 1, walked.stderr
    assert "Traceback" not in walked.stderr
    got = {}
    for d in json.loads(walked.stdout):
        got.setdefault(d["path"], set()).add((d["line"], d["code"]))
    want = {path: exp for path, exp in hostile.expected_by_file(tree).items() if exp}
    want[str(tree / "paths" / os.fsdecode(b"caf\xe9.py"))] = {(2, "MEM101")}
    assert got == want
    assert not any(d["code"] == "MEM002" for d in json.loads(walked.stdout))


def test_cli_warns_about_links_and_skips_fifos(tree, walked):
    err = walked.stderr
    assert "broken_link.py: broken symbolic link, skipped" in err
    assert any("link_loop.py: " in line and line.endswith(", skipped") for line in err.splitlines())
    assert "fifo.py" not in walked.stdout + err  # never opened: reading it would block
    assert "notebook.ipynb" not in walked.stdout  # linted, and it has no code cell


def test_cli_text_output_with_undecodable_file_name(tree):
    r = memlint("check", str(tree / "paths"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "caf\\udce9.py:2:6: MEM101" in r.stdout or "caf\\xe9.py:2:6: MEM101" in r.stdout


def test_cli_missing_path_exits_2_and_the_rest_goes_on(tree):
    r = memlint("check", str(tree / "encodings"), str(tree / "missing.py"))
    assert r.returncode == 2
    assert "missing.py: no such file or directory" in r.stderr
    assert "crlf.py:2:6: MEM101" in r.stdout


def test_cli_explicit_broken_link_exits_2(tree):
    r = memlint("check", str(tree / "paths" / "broken_link.py"))
    assert r.returncode == 2 and "broken symbolic link" in r.stderr and "Traceback" not in r.stderr


def test_cli_explicit_folder_named_like_a_module(tree):
    r = memlint("check", str(tree / "paths" / "folder.py"))
    assert r.returncode == 1 and "inner.py:2:6: MEM101" in r.stdout


def test_cli_explicit_notebook_without_code_cells_is_clean(tree):
    # Its one cell has no cell_type: not a code cell, so nothing to lint and nothing to say.
    r = memlint("check", str(tree / "paths" / "notebook.ipynb"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""


def test_cli_syntax_error_is_one_diagnostic(tree):
    r = memlint("check", str(tree / "syntax" / "python2.py"))
    assert r.returncode == 1
    assert r.stdout.count("\n") == 1 and ": MEM001 SyntaxError: " in r.stdout


def test_cli_stdin_hostile_bytes():
    r = run(memlint_command() + ["check", "-"], input="")  # empty standard input
    assert r.returncode == 0
    p = subprocess.run(memlint_command() + ["check", "-", "--stdin-filename", "x.py"],
                       input=b"import pandas as pd\x00\n\xff\xfe", capture_output=True, timeout=300)
    assert p.returncode == 1 and b"MEM001" in p.stdout and b"Traceback" not in p.stderr


@pytest.mark.skipif(IS_ROOT or not hasattr(os, "chmod"), reason="root reads every file")
def test_cli_unreadable_file(tmp_path):
    (tmp_path / "ok.py").write_bytes(hostile.IMPORT + hostile.READ)
    secret = tmp_path / "secret.py"
    secret.write_bytes(hostile.IMPORT + hostile.READ)
    secret.chmod(0)
    try:
        walked = memlint("check", str(tmp_path))
        assert walked.returncode == 1
        assert "secret.py:1:1: MEM003 cannot read file" in walked.stdout
        assert "ok.py:2:6: MEM101" in walked.stdout
        explicit = memlint("check", str(secret), str(tmp_path / "ok.py"))
        assert explicit.returncode == 2 and "secret.py: cannot read file" in explicit.stderr
        assert "ok.py:2:6: MEM101" in explicit.stdout
    finally:
        secret.chmod(0o644)


# --- unreadable and vanishing files, in process (works as root too) ---------------------------

def _fake_open(failing, error):
    real = open

    def fake(path, *args, **kwargs):
        if os.path.basename(str(path)) == failing:
            raise error
        return real(path, *args, **kwargs)

    return fake


@pytest.mark.parametrize("explicit", [False, True])
def test_unreadable_file_in_process(tmp_path, monkeypatch, capsys, explicit):
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_bytes(hostile.IMPORT + hostile.READ)
    for module in (runner, parallel):  # the cache reads in runner, workers in parallel
        monkeypatch.setattr(module, "open", _fake_open("b.py", PermissionError(13, "Permission denied")), raising=False)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["check", "b.py", "a.py", "c.py"] if explicit else ["check", "."])
    out, err = capsys.readouterr()
    assert "b.py:1:1: MEM003 cannot read file: Permission denied" in out
    assert "a.py:2:6: MEM101" in out and "c.py:2:6: MEM101" in out
    assert code == (2 if explicit else 1)
    assert ("b.py: cannot read file: Permission denied" in err) == explicit


@pytest.mark.parametrize("explicit", [False, True])
def test_file_vanishing_while_linting(tmp_path, monkeypatch, capsys, explicit):
    for name in ("a.py", "gone.py"):
        (tmp_path / name).write_bytes(hostile.IMPORT + hostile.READ)
    for module in (runner, parallel):  # the cache reads in runner, workers in parallel
        monkeypatch.setattr(module, "open", _fake_open("gone.py", FileNotFoundError(2, "No such file")), raising=False)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["check", "gone.py", "a.py"] if explicit else ["check", "."])
    out, err = capsys.readouterr()
    assert "gone.py" not in out and "a.py:2:6: MEM101" in out
    if explicit:
        assert code == 2 and "gone.py: vanished before it could be read" in err
    else:
        assert code == 1 and "gone.py: vanished while linting, skipped" in err


def test_unreadable_folder_is_a_warning_in_a_walk(tmp_path, monkeypatch, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_bytes(hostile.IMPORT + hostile.READ)
    real = os.scandir

    def fake_scandir(path):
        if os.path.basename(str(path)) == "sub":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(runner.os, "scandir", fake_scandir)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "."]) == 1
    err = capsys.readouterr().err
    assert "sub: cannot read directory: Permission denied" in err and "warning" in err
    assert cli.main(["check", "sub"]) == 2
    assert "error: sub: cannot read directory" in capsys.readouterr().err


def test_deep_folder_tree_walks_without_recursion(tmp_path):
    # os.walk recurses once per folder level before Python 3.12. In a fresh process with a
    # recursion limit of 150, 200 levels of folders must still be walked.
    deep_dir = tmp_path
    for _ in range(200):  # one level at a time: os.makedirs recurses too
        deep_dir = deep_dir / "d"
        deep_dir.mkdir()
    (deep_dir / "x.py").write_bytes(hostile.IMPORT + hostile.READ)
    code = (
        "import sys\n"
        "from memlint.runner import files as runner\n"
        "sys.setrecursionlimit(150)\n"
        "found = list(runner.discover([sys.argv[1]], runner.Settings(), runner.Run()))\n"
        "print(len(found), found[0].split('/').count('d'))\n"
    )
    r = run([sys.executable, "-c", code, str(tmp_path)], cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "200"]


try:  # the parsed form of a regular expression
    import re._constants as _sre
    import re._parser as _sre_parse
except ImportError:  # Python < 3.11
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]


def _anchored(items) -> bool:
    """Does the parsed sequence start at the start of the text (`\\A`)? It is then tried at
    one position only, and its repeats scan the text once: linear."""
    items = list(items)
    if not items:
        return False
    op, av = items[0]
    if op is _sre.AT:
        return av is _sre.AT_BEGINNING_STRING
    return op is _sre.SUBPATTERN and _anchored(av[-1])


def _unbounded_repeats(items):
    """The bodies of the unbounded repeats (`*`, `+`, `{n,}`) in a parsed pattern, except in
    parts anchored at the start of the text."""
    if _anchored(items):
        return
    for op, av in items:
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            low, high, body = av
            if high == _sre.MAXREPEAT:
                yield body
            yield from _unbounded_repeats(body)
        elif op is _sre.SUBPATTERN:
            yield from _unbounded_repeats(av[-1])
        elif op is _sre.BRANCH:
            for alt in av[1]:
                yield from _unbounded_repeats(alt)
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            yield from _unbounded_repeats(av[1])


def _first_matches(items, ch: str) -> bool:
    """Can a match of the parsed sequence `items` start with the character `ch`?"""
    for op, av in items:
        if op is _sre.AT:
            continue  # an anchor (`\b`) consumes nothing: the next item decides
        if op is _sre.LITERAL:
            return chr(av) == ch
        if op in (_sre.NOT_LITERAL, _sre.ANY):
            return True
        if op is _sre.IN:
            return _in_class(av, ch)
        if op is _sre.SUBPATTERN:
            return _first_matches(av[-1], ch)
        if op is _sre.BRANCH:
            return any(_first_matches(alt, ch) for alt in av[1])
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            return _first_matches(av[2], ch)
        return True  # anything else: assume the worst
    return False


def _in_class(items, ch: str) -> bool:
    categories = {
        _sre.CATEGORY_WORD: ch.isalnum() or ch == "_",
        _sre.CATEGORY_NOT_WORD: not (ch.isalnum() or ch == "_"),
        _sre.CATEGORY_SPACE: ch.isspace(),
        _sre.CATEGORY_NOT_SPACE: not ch.isspace(),
        _sre.CATEGORY_DIGIT: ch.isdigit(),
        _sre.CATEGORY_NOT_DIGIT: not ch.isdigit(),
    }
    negate, hit = False, False
    for op, av in items:
        if op is _sre.NEGATE:
            negate = True
        elif op is _sre.LITERAL:
            hit = hit or chr(av) == ch
        elif op is _sre.RANGE:
            hit = hit or av[0] <= ord(ch) <= av[1]
        elif op is _sre.CATEGORY:
            hit = hit or categories.get(av, True)
        else:
            hit = True
    return hit != negate


def _rescans(pattern: str) -> list:
    """Unbounded repeats in `pattern` that can run over words and across them: from each of
    many starts they would scan on over the same text."""
    parsed = _sre_parse.parse(pattern)
    return [body for body in _unbounded_repeats(list(parsed))
            if _first_matches(body, "e") and any(_first_matches(body, c) for c in " \n.(")]


def test_rule_triggers_cannot_go_quadratic():
    """A trigger is searched in every file's raw text, from every position its first part
    matches. A repeat without an upper bound that can run over words and the spaces between
    them (`[\\w\\s]*` after `while`, `[^\\n]*`, `.*`) rescans the rest of the text from each
    of those starts: a long line or a file of repeated words then takes minutes. Bound such
    repeats (`{0,200}`) or anchor the trigger at the start of the text (`\\A`), where it is
    tried once."""
    slow = [(r.code, r.triggers) for r in registry.all_rules() if r.triggers and _rescans(r.triggers)]
    assert not slow, slow


@pytest.mark.parametrize("pattern", [
    r"\bwhile\b(?:[\w\s.()\\]|#[^\n]*\n)*:", r"a.*b", r"x[^\n]+y", r"(?s:q.*?r)", r"\S+@",
])
def test_the_quadratic_check_knows_a_rescan(pattern):
    assert _rescans(pattern)


@pytest.mark.parametrize("pattern", [
    r"copy(?:\s|\\|\))*[(#]", r"\bread\w*\b", r"[(,](?:\s|\\|#[^\n]{0,300}\n)*\[",
    r"\bwhile\b[\w\s]{0,199}:", r"(?s)\A(?=.*?torch).*?Loss", r"x|(?s:\A.*?y)",
])
def test_the_quadratic_check_lets_bounded_scans_pass(pattern):
    assert not _rescans(pattern)
