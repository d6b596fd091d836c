"""memlint reads code: it never imports or runs it, and it opens no network connection."""

from __future__ import annotations

import json
import socket
import sys
import textwrap

import pytest

from memlint import registry
from memlint.engine import lint_source
from tests import hostile
from tests.helpers import FIXTURES, memlint_command, run

# Every line would leave a mark, exit, hang or reach the network if it ever ran.
EVIL = textwrap.dedent("""\
    import os, sys, socket, subprocess
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "MARKER"), "w").write("ran")
    import evil_helper
    import pandas as pd
    df = pd.read_csv("a.csv").to_numpy()
    socket.create_connection(("192.0.2.1", 80), timeout=1)
    subprocess.run(["touch", "MARKER2"])
    os._exit(7)
    sys.exit(3)
    while True:
        pass
""")
# Shadows a library the linted code imports: importing it leaves a mark.
HELPER = 'open(__file__ + ".imported", "w").write("imported")\n'


@pytest.fixture
def evil(tmp_path):
    (tmp_path / "evil.py").write_text(EVIL)
    (tmp_path / "evil_helper.py").write_text(HELPER)
    (tmp_path / "pandas.py").write_text(HELPER)
    return tmp_path


def test_cli_never_runs_or_imports_the_code(evil):
    r = run(memlint_command() + ["check", ".", "--select", "ALL", "--output-format", "json"],
            cwd=str(evil), timeout=120)
    assert r.returncode == 1, r.stderr
    assert [(d["path"], d["line"], d["code"]) for d in json.loads(r.stdout)] == [
        ("evil.py", 5, "MEM101")]
    created = sorted(p.name for p in evil.iterdir() if p.name != ".memlint_cache")  # memlint's own
    assert created == ["evil.py", "evil_helper.py", "pandas.py"]


AUDIT = textwrap.dedent("""\
    import json, sys
    from memlint import registry
    from memlint.engine import lint_source
    rules = registry.select_rules(["ALL"])
    paths = sys.argv[1:]
    sources = [open(p, "rb").read() for p in paths]
    seen = []
    WATCH = ("exec", "import", "socket.", "subprocess.", "os.system", "os.exec", "os.spawn",
             "os.fork", "os.posix_spawn", "ctypes.", "urllib.", "http.")
    def hook(event, args):
        if event == "exec":  # a code object run: which file is it from?
            seen.append([event, getattr(args[0], "co_filename", "?")])
        elif event.startswith(WATCH):
            seen.append([event, str(args[0])[:80] if args else ""])
    sys.addaudithook(hook)
    for path, data in zip(paths, sources):
        lint_source(data, path, rules, syntax_check=True)
    print(json.dumps(seen))
""")


def test_audit_events_while_linting(evil, tmp_path_factory):
    """With an audit hook: no exec, no import of linted modules, no socket, no process."""
    tree = hostile.make_tree(tmp_path_factory.mktemp("audit"))
    paths = [str(evil / "evil.py")] + sorted(str(p) for p in FIXTURES.glob("*.py"))
    paths += sorted(str(tree / name) for name in hostile.FILES if name.endswith(".py")
                    and not name.startswith("size/"))
    r = run([sys.executable, "-c", AUDIT, *paths], cwd=str(evil), timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    events = json.loads(r.stdout)
    # memlint and the standard library may load their own lazily loaded pieces (a codec
    # named by a coding cookie), never the code memlint reads
    imported = {arg for event, arg in events if event == "import"}
    assert not imported & {"evil", "evil_helper", "pandas", "numpy", "torch", "sklearn"}
    ran = [arg for event, arg in events if event == "exec"]
    linted = (str(evil), str(tree), str(FIXTURES))
    assert not [f for f in ran if f.startswith(linted)], ran
    assert not [e for e in events if e[0] not in ("import", "exec")], events


def test_no_network_in_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("memlint opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    rules = registry.select_rules(["ALL"])
    for path in sorted(FIXTURES.glob("*.py")):
        from tests.helpers import fixture_options

        options = fixture_options(path.read_text())
        result = lint_source(path.read_bytes(), path.name, rules, options, syntax_check=True)
        assert result.diagnostics and not result.internal_errors
    result = lint_source(EVIL, "evil.py", rules, syntax_check=True)
    assert [(d.line, d.code) for d in result.diagnostics] == [(5, "MEM101")]
