"""SARIF 2.1.0 output, as GitHub code scanning reads it.

A pure function of the diagnostics and the registry: every rule's record becomes a
`reportingDescriptor` (id, name, summary, documentation as help text and markdown, default
level), each finding a `result` pointing at its rule. Paths are written as the other formats
print them (memlint.runner.files.display_path), relative paths as URIs relative to
`%SRCROOT%` (run memlint from the repository root for code scanning); columns count Unicode code points, 1-based, `endColumn` exclusive.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Dict, List, Optional, Sequence, Type
from urllib.parse import quote

from memlint import __version__, registry
from memlint.docs import one_line, render_rule
from memlint.model import ENGINE_CODES, Diagnostic
from memlint.rule import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/memlint/"

# The engine's own diagnostics about a file (not rules: they have no record in the registry).
ENGINE_DESCRIPTIONS = {
    "syntax-error": "The file is not valid Python (or cannot be decoded); it was skipped.",
    "internal-error": "A bug in memlint: a rule failed on this file; other rules' findings are kept.",
    "read-error": "The file could not be read.",
}


def rule_descriptor(rule: Type[Rule]) -> dict:
    plain = [rule.summary, one_line(rule.what), "Why: " + one_line(rule.why)]
    if rule.limits.strip():
        plain.append("Limits: " + one_line(rule.limits))
    plain.append(f"Run `memlint rule {rule.code}` for examples.")
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": one_line(rule.what)},
        "help": {"text": "\n\n".join(plain), "markdown": render_rule(rule)},
        "defaultConfiguration": {"level": "warning", "enabled": bool(rule.default)},
        "properties": {
            "tags": ["memory", "performance", "maintainability"],
            "precision": "high",
            "problem.severity": "warning",
            "pylint": rule.pylint_id,
        },
    }


def engine_descriptor(code: str) -> dict:
    name = ENGINE_CODES[code]
    text = ENGINE_DESCRIPTIONS.get(name, name.replace("-", " ").capitalize() + ".")
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {"text": text},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["memlint"], "problem.severity": "error"},
    }


def artifact_location(path: str) -> dict:
    p = PurePath(path)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    posix = p.as_posix()
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix, safe="/-._~"), "uriBaseId": "%SRCROOT%"}


def result(d: Diagnostic, index: int) -> dict:
    region: Dict[str, int] = {"startLine": d.line, "startColumn": d.col + 1}
    if d.end_line:
        region.update(endLine=d.end_line, endColumn=d.end_col + 1)
    location: dict = {
        "physicalLocation": {"artifactLocation": artifact_location(d.path), "region": region},
    }
    out = {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": "error" if d.code in ENGINE_CODES else "warning",
        "message": {"text": d.message},
        "locations": [location],
    }
    if d.cell:
        # The notebook is the artifact; the region counts lines within the cell, named here.
        location["logicalLocations"] = [{"name": f"cell {d.cell}", "kind": "notebookCell"}]
        out["properties"] = {"cell": d.cell}
    return out


def document(diagnostics: List[Diagnostic], rules: Optional[Sequence[Type[Rule]]] = None) -> dict:
    rules = registry.all_rules() if rules is None else list(rules)
    descriptors = [rule_descriptor(r) for r in rules]
    engine_codes = sorted({d.code for d in diagnostics if d.code in ENGINE_CODES})
    descriptors += [engine_descriptor(c) for c in engine_codes]
    index = {desc["id"]: i for i, desc in enumerate(descriptors)}
    results = []
    for d in diagnostics:
        if d.code not in index:  # a rule not in `rules` (should not happen): describe it anyway
            index[d.code] = len(descriptors)
            descriptors.append({"id": d.code, "name": d.name or d.code,
                                "shortDescription": {"text": d.name or d.code}})
        results.append(result(d, index[d.code]))
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "memlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(diagnostics: List[Diagnostic], rules: Optional[Sequence[Type[Rule]]] = None) -> str:
    return json.dumps(document(diagnostics, rules), indent=2) + "\n"
