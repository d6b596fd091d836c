"""The package's layout: imports between memlint's modules only go one way (no circle)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parent.parent / "memlint"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> Dict[str, Set[str]]:
    """Module -> the memlint modules it imports, anywhere in its body (lazy imports too)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: Dict[str, Set[str]] = {}
    for name, path in modules.items():
        out: Set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from memlint.x import y`: y may be a module of the package x.
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for t in targets:
                if t in modules and t != name:
                    out.add(t)
        graph[name] = out
    return graph


def _cycle(graph: Dict[str, Set[str]]) -> List[str]:
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            # A package's __init__ re-exporting its own modules is not a circle with them.
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_imports_have_no_circle():
    assert _cycle(import_graph()) == []


def test_the_engine_does_not_import_frontends_or_output():
    graph = import_graph()
    engine = [m for m in graph if m.startswith(("memlint.engine", "memlint.semantic", "memlint.rules"))]
    upward = {m: sorted(t for t in graph[m] if t.startswith(("memlint.frontends", "memlint.output", "memlint.runner")))
              for m in engine}
    assert {m: t for m, t in upward.items() if t} == {}


def test_semantic_analyses_do_not_import_rules():
    graph = import_graph()
    upward = {m: sorted(t for t in graph[m] if t.startswith(("memlint.rules", "memlint.rule", "memlint.engine")))
              for m in graph if m.startswith("memlint.semantic")}
    assert {m: t for m, t in upward.items() if t} == {}


def test_architecture_doc_matches_the_package():
    import re

    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    undocumented = [f for f in folders if f"**`memlint/{f}/`**" not in doc]
    assert undocumented == [], "folders without a paragraph in docs/architecture.md"
    paths = set(re.findall(r"`(memlint/[\w/.]+)`", doc))
    missing = sorted(p for p in paths if not (PACKAGE.parent / p).exists())
    assert missing == [], "paths named in docs/architecture.md that do not exist"
