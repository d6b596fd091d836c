"""Notebooks: cells linted as one module, findings placed by cell, IPython syntax made inert,
bad notebooks a diagnostic and never a crash. Through the engine and the real CLI."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from memlint import registry
from memlint.engine import lint_file, lint_notebook, lint_source
from memlint.sources import notebook
from tests.helpers import FIXTURES, expected_findings, memlint_command, run

NOTEBOOKS = sorted((FIXTURES / "notebooks").glob("*.ipynb"))
ALL = registry.select_rules(["ALL"])


def make(*cells, metadata=None) -> bytes:
    out = []
    for c in cells:
        kind, src = c if isinstance(c, tuple) else ("code", c)
        cell = {"cell_type": kind, "metadata": {}, "source": src}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return json.dumps({"cells": out, "metadata": metadata or {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


def found(data: bytes, select=("ALL",)):
    result = lint_notebook(data, "nb.ipynb", registry.select_rules(list(select)))
    return [(d.cell, d.line, d.col, d.code) for d in result.diagnostics]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_fixture_findings_match_marks(path):
    data = path.read_bytes()
    nb = json.loads(data)
    expected = set()
    for number, cell in enumerate(nb["cells"], 1):
        if cell["cell_type"] == "code":
            expected |= {(number, line, code) for line, code in expected_findings("".join(cell["source"]))}
    result = lint_notebook(data, str(path), ALL)
    actual = {(d.cell, d.line, d.code) for d in result.diagnostics}
    assert sorted(actual) == sorted(expected)


def test_same_findings_as_the_cells_pasted_into_one_file():
    data = (FIXTURES / "notebooks" / "eda.ipynb").read_bytes()
    nb = notebook.read(data)
    as_py = lint_source(nb.source, "eda.py", ALL)
    in_nb = lint_notebook(data, "eda.ipynb", ALL)
    mapped = sorted((*nb.cell_of(d.line), d.col, d.code) for d in as_py.diagnostics)
    # The invalid cell is left out of the module, so only the notebook reports it.
    assert mapped == sorted((d.cell, d.line, d.col, d.code) for d in in_nb.diagnostics if d.code != "MEM001")


def test_names_resolve_across_cells():
    data = make("import numpy as np\n", ("markdown", "# text"), "n = 10_000\n",
                "x = np.zeros((n, n))  # later cell\n")
    assert found(data, ["MEM401"]) == [(4, 1, 4, "MEM401")]


def test_markdown_and_raw_cells_are_not_code():
    data = make(("markdown", "import numpy as np\nnp.zeros((9999, 9999))\n"),
                ("raw", "np.zeros((9999, 9999))\n"), "x = 1\n")
    assert found(data) == []


@pytest.mark.parametrize("line", [
    "%timeit f()", "%matplotlib inline", "!pip install numpy", "files = !ls", "x = %time f()",
    "obj?", "??obj", "obj.method??", "np.zeros?", "%load_ext autoreload",
])
def test_ipython_lines_are_inert(line):
    data = make("import numpy as np\n" + line + "\na = np.zeros((10_000, 10_000))\n")
    assert found(data, ["MEM401"]) == [(1, 3, 4, "MEM401")]


def test_magics_inside_blocks_and_trailing_semicolons():
    data = make("import numpy as np\nfor i in range(3):\n    !echo $i\na = np.zeros((10_000, 10_000));\n")
    assert found(data, ["MEM401"]) == [(1, 4, 4, "MEM401")]


def test_percent_and_bang_inside_code_are_not_magics():
    lines = notebook.inert_lines(['x = (a', '% b)', 'y = """', '!not a shell', '"""', 'z = a != b'])
    assert lines == ['x = (a', '% b)', 'y = """', '!not a shell', '"""', 'z = a != b']


def test_python_cell_magics_lint_their_body_others_are_not_code():
    data = make("%%time\nimport numpy as np\na = np.zeros((10_000, 10_000))\n",
                "%%bash\nnp.zeros((10_000, 10_000))\n", "%%writefile x.py\nimport numpy\n")
    assert found(data, ["MEM401"]) == [(1, 3, 4, "MEM401")]


def test_an_invalid_cell_is_one_error_and_the_others_are_linted():
    data = make("import numpy as np\n", "def broken(:\n    pass\n", "a = np.zeros((10_000, 10_000))\n")
    assert found(data, ["MEM401"]) == [(2, 1, 11, "MEM001"), (3, 1, 4, "MEM401")]


def test_top_level_await_is_valid_in_a_cell():
    assert found(make("await asyncio.sleep(1)\n")) == []


def test_noqa_works_per_cell_and_does_not_reach_another_cell():
    data = make("import numpy as np\na = np.zeros((10_000, 10_000))  # noqa: MEM401\n",
                "b = np.zeros((10_000, 10_000))\n")
    assert found(data, ["MEM401"]) == [(2, 1, 4, "MEM401")]


@pytest.mark.parametrize("data, message", [
    (b"{not json", "not valid JSON"),
    (b"[]", "not an object"),
    (b'{"nbformat": 3, "worksheets": []}', "nbformat 3"),
    (b'{"metadata": {}}', "no `cells`"),
    (b'{"cells": {}}', "not a list"),
    (b'{"cells": []}\xff', "not UTF-8"),
])
def test_bad_notebooks_are_one_diagnostic(data, message):
    result = lint_notebook(data, "bad.ipynb", ALL)
    assert [d.code for d in result.diagnostics] == ["MEM001"]
    assert message in result.diagnostics[0].message


def test_malformed_cells_never_crash():
    cells = [{"cell_type": "code", "source": 42}, {"source": "x"}, "a string", {"cell_type": "code"},
             {"cell_type": "code", "source": "x = 1\n"}, {"cell_type": "code", "source": ["y = 2\n"]}]
    data = json.dumps({"cells": cells}).encode()
    assert [d.code for d in lint_notebook(data, "odd.ipynb", ALL).diagnostics] == ["MEM001"]


def test_another_language_is_skipped():
    data = make("x <- c(1, 2)\n", metadata={"language_info": {"name": "R"}})
    result = lint_notebook(data, "r.ipynb", ALL)
    assert result.status == "skipped" and result.diagnostics == []


def test_lint_file_dispatches_on_the_name():
    data = make("import numpy as np\na = np.zeros((10_000, 10_000))\n")
    assert [d.cell for d in lint_file(data, "x.ipynb", ALL).diagnostics] == [1]


def test_huge_outputs_are_not_held_decoded(tmp_path):
    # 40 cells of 2.5 MB output each: decoding keeps at most one cell's outputs at a time.
    blob = "x" * 2_500_000
    cells = [{"cell_type": "code", "source": f"v{i} = {i}\n", "metadata": {}, "execution_count": 1,
              "outputs": [{"output_type": "stream", "name": "stdout", "text": [blob]}]} for i in range(40)]
    path = tmp_path / "big.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    code = (
        "import resource, sys\n"
        "from memlint.sources import notebook\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "nb = notebook.read(data)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(nb.code_cells, (after - before) // 1024)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    cells_read, grown_mb = map(int, r.stdout.split())
    assert cells_read == 40
    assert grown_mb < 60, f"reading a 100 MB notebook grew the process by {grown_mb} MB"


def test_cli_checks_notebooks_in_folders_and_by_name(tmp_path):
    (tmp_path / "nb.ipynb").write_bytes(make("import numpy as np\n", "a = np.zeros((10_000, 10_000))\n"))
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\n")
    r = run(memlint_command() + ["check", "--no-cache", "."], cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "nb.ipynb:cell 2:1:5: MEM401" in r.stdout
    r = run(memlint_command() + ["check", "--no-cache", "--output-format", "json", "nb.ipynb"], cwd=tmp_path)
    (finding,) = json.loads(r.stdout)
    assert (finding["cell"], finding["line"], finding["column"]) == (2, 1, 5)


def test_cli_include_decides_which_extensions_a_walk_lints(tmp_path):
    (tmp_path / "nb.ipynb").write_bytes(make("import numpy as np\na = np.zeros((10_000, 10_000))\n"))
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\ninclude = ["*.py"]\n')
    r = run(memlint_command() + ["check", "--no-cache", "."], cwd=tmp_path)
    assert r.returncode == 0 and "MEM401" not in r.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nexclude = ["nb.ipynb"]\n')
    r = run(memlint_command() + ["check", "--no-cache", "."], cwd=tmp_path)
    assert r.returncode == 0


def test_cli_cache_and_per_file_ignores_apply_to_notebooks(tmp_path):
    (tmp_path / "nb.ipynb").write_bytes(make("import numpy as np\na = np.zeros((10_000, 10_000))\n"))
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\n")
    first = run(memlint_command() + ["check", "."], cwd=tmp_path)
    second = run(memlint_command() + ["check", "."], cwd=tmp_path)
    assert first.stdout == second.stdout and "cell 1:2:5" in second.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.memlint.per-file-ignores]\n"*.ipynb" = ["MEM4"]\n')
    assert run(memlint_command() + ["check", "."], cwd=tmp_path).returncode == 0


def test_cli_never_crashes_on_a_bad_notebook(tmp_path):
    (tmp_path / "bad.ipynb").write_bytes(b"\x00\xff{")
    r = run(memlint_command() + ["check", "--no-cache", "bad.ipynb"], cwd=tmp_path)
    assert r.returncode == 1 and "MEM001" in r.stdout and "Traceback" not in r.stderr
