"""The "Done when" commands agree line for line: `memlint check fixtures/`,
`flake8 --select=MEM fixtures/` and `pylint --load-plugins=memlint.pylint_plugin
--disable=all --enable=memlint fixtures/*.py` report the same (file, line, column, code),
with each frontend's default selection and with every rule selected.
"""

from __future__ import annotations

import pytest

from tests.frontend_tools import flake8_findings, memlint_findings, pylint_findings
from tests.helpers import FIXTURES, ROOT

FIXTURE_ARGS = sorted(f"fixtures/{p.name}" for p in FIXTURES.glob("*.py"))


@pytest.mark.parametrize("selection", ["default", "all"])
def test_cli_flake8_and_pylint_agree_on_fixtures(selection):
    cli_extra, host_extra = ([], []) if selection == "default" else (["--select", "ALL"], ["--memlint-select=ALL"])
    # flake8 and pylint are never handed notebooks: the comparison is over the Python files.
    cli = [f for f in memlint_findings(["fixtures/", *cli_extra], cwd=ROOT) if not f[0].endswith(".ipynb")]
    flake8 = flake8_findings(["--select=MEM", *host_extra, "fixtures/"], cwd=ROOT)
    pylint = pylint_findings([*host_extra, *FIXTURE_ARGS], cwd=ROOT)
    assert cli, "the fixtures produce findings"
    assert flake8 == cli
    assert pylint == cli
