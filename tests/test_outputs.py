"""CI outputs: SARIF (validated against the official 2.1.0 schema), GitHub annotations,
`--statistics`; each output module a pure function of the diagnostics and the registry."""

from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import unquote

import jsonschema
import pytest

from memlint import registry
from memlint.model import INTERNAL_ERROR, SYNTAX_ERROR, Diagnostic
from memlint.output import FORMATS, github, sarif, statistics
from tests.frontend_tools import memlint_check
from tests.helpers import FIXTURES, ROOT

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BAD = "import pandas as pd\ndf = pd.read_csv('a.csv')\nprint(df['a'])\n"


# RFC 3986 URI-reference characters, with well-formed percent escapes. jsonschema checks the
# schema's "uri" and "uri-reference" formats only with optional packages, so check them here.
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


def _uris(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("uri", "$schema", "informationUri") and isinstance(value, str):
                yield value
            else:
                yield from _uris(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uris(value)


def validate_sarif(doc: dict) -> None:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    cls(SCHEMA, format_checker=cls.FORMAT_CHECKER).validate(doc)
    for uri in _uris(doc):
        assert URI_REFERENCE.match(uri), f"not a URI reference: {uri!r}"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "my pkg").mkdir()
    (tmp_path / "my pkg" / "bad.py").write_text(BAD)
    (tmp_path / "my pkg" / "broken.py").write_text("import pandas as pd\ndf = pd.read_csv('a.csv'\n")
    return tmp_path


def test_sarif_of_the_fixtures_validates_and_carries_the_registry():
    r = memlint_check([str(FIXTURES), "--select", "ALL", "--output-format", "sarif"], cwd=ROOT)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    validate_sarif(doc)
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "memlint"
    rules = {d["id"]: d for d in driver["rules"]}
    for rule in registry.all_rules():
        desc = rules[rule.code]
        assert desc["name"] == rule.name
        assert desc["shortDescription"]["text"] == rule.summary
        assert rule.summary in desc["help"]["text"]
        assert desc["help"]["markdown"].startswith(f"# {rule.code} {rule.name}")
        assert desc["defaultConfiguration"]["enabled"] is bool(rule.default)
    json_out = json.loads(memlint_check([str(FIXTURES), "--select", "ALL", "--output-format", "json"]).stdout)
    assert len(run["results"]) == len(json_out)
    for res, d in zip(run["results"], json_out):
        assert res["ruleId"] == d["code"]
        assert driver["rules"][res["ruleIndex"]]["id"] == d["code"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (d["line"], d["column"])
        assert (region["endLine"], region["endColumn"]) == (d["end_line"], d["end_column"])
        assert res["message"]["text"] == d["message"]


def test_sarif_with_engine_diagnostics_and_awkward_paths_validates(project):
    r = memlint_check(["my pkg", "--output-format", "sarif"], cwd=project)
    doc = json.loads(r.stdout)
    validate_sarif(doc)
    results = doc["runs"][0]["results"]
    by_rule = {res["ruleId"]: res for res in results}
    assert by_rule[SYNTAX_ERROR]["level"] == "error"
    loc = by_rule["MEM101"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "my%20pkg/bad.py", "uriBaseId": "%SRCROOT%"}
    assert unquote(loc["uri"]) == "my pkg/bad.py"


def test_sarif_absolute_paths_are_file_uris(project):
    # An absolute path outside the working directory stays absolute (under it, it would print
    # relative, as every format prints it).
    (project / "elsewhere").mkdir()
    r = memlint_check([str(project / "my pkg" / "bad.py"), "--output-format", "sarif"],
                      cwd=project / "elsewhere")
    doc = json.loads(r.stdout)
    validate_sarif(doc)
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"].startswith("file:///") and "uriBaseId" not in loc
    assert loc["uri"].endswith("/my%20pkg/bad.py")


def test_sarif_with_no_findings_validates(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    r = memlint_check(["ok.py", "--output-format", "sarif"], cwd=tmp_path)
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    validate_sarif(doc)
    assert doc["runs"][0]["results"] == []


def test_github_annotations(project):
    r = memlint_check(["my pkg", "--output-format", "github"], cwd=project)
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "::warning file=my pkg/bad.py,line=2,col=6,endLine=2,endColumn=26,"
        "title=MEM101 unbounded-read::MEM101 pd.read_csv() loads every column of the file, but only `a` of `df` is used: if the file holds more, pass usecols=['a']"
    )
    # the column is CPython's, where it locates the error
    assert lines[1].startswith("::error file=my pkg/broken.py,line=2,col=")
    assert ",title=MEM001 syntax-error::" in lines[1]
    assert r.returncode == 1


def test_github_escapes_properties_and_data():
    d = Diagnostic("a,b:c.py", 3, 0, "MEM101", "50% of it\nand more", "unbounded-read", 3, 4)
    assert github.line(d) == (
        "::warning file=a%2Cb%3Ac.py,line=3,col=1,endLine=3,endColumn=5,"
        "title=MEM101 unbounded-read::MEM101 50%25 of it%0Aand more"
    )


def test_statistics_counts_per_rule(tmp_path):
    (tmp_path / "a.py").write_text(BAD + "df2 = pd.read_csv('b.csv').to_numpy()\n")
    r = memlint_check(["a.py", "--statistics"], cwd=tmp_path)
    out = r.stdout.splitlines()
    assert out[-1].split() == ["2", "MEM101", "unbounded-read"]
    assert len(out) == 3
    # machine-readable formats keep stdout clean: the counts go to stderr
    r = memlint_check(["a.py", "--statistics", "--output-format", "json"], cwd=tmp_path)
    assert len(json.loads(r.stdout)) == 2
    assert "2  MEM101  unbounded-read" in r.stderr


def test_statistics_of_the_fixtures_match_the_findings():
    r = memlint_check([str(FIXTURES), "--select", "ALL", "--statistics", "--output-format", "sarif"])
    results = json.loads(r.stdout)["runs"][0]["results"]
    want = Counter(res["ruleId"] for res in results)
    got = {}
    for text in r.stderr.splitlines():
        parts = text.split()
        if len(parts) == 3 and parts[0].isdigit():
            got[parts[1]] = int(parts[0])
    assert got == dict(want)


def test_output_modules_are_pure_functions():
    diags = [
        Diagnostic("b.py", 2, 4, "MEM101", "m1", "unbounded-read", 2, 9),
        Diagnostic("a.py", 1, 0, INTERNAL_ERROR, "boom", "internal-error"),
    ]
    for name, render in FORMATS.items():
        first = render(list(diags))
        assert first == render(list(diags)), name
        assert isinstance(first, str)
    doc = json.loads(sarif.render(diags))
    validate_sarif(doc)
    assert statistics.render([]) == ""
    assert statistics.render(diags).splitlines() == ["1  MEM002  internal-error", "1  MEM101  unbounded-read"]
