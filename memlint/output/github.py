"""GitHub Actions workflow commands: one `::warning` annotation a finding (`::error` for the
engine's own diagnostics), shown on the pull request's diff. A pure function of the diagnostics.
"""

from __future__ import annotations

from typing import List

from memlint.model import ENGINE_CODES, Diagnostic


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def line(d: Diagnostic) -> str:
    kind = "error" if d.code in ENGINE_CODES else "warning"
    if d.cell:
        # A notebook's lines are not the file's (its JSON): annotate the file, name the cell.
        title = f"{d.code} {d.name}" if d.name else d.code
        where = f"cell {d.cell}, line {d.line}, column {d.col + 1}"
        return (f"::{kind} file={_prop(d.path)},title={_prop(title + ' (' + where + ')')}::"
                f"{_data(f'{d.code} {where}: {d.message}')}")
    props = [f"file={_prop(d.path)}", f"line={d.line}", f"col={d.col + 1}"]
    if d.end_line:
        # 1-based and exclusive, as the JSON format's end_column.
        props += [f"endLine={d.end_line}", f"endColumn={d.end_col + 1}"]
    title = f"{d.code} {d.name}" if d.name else d.code
    props.append(f"title={_prop(title)}")
    return f"::{kind} {','.join(props)}::{_data(f'{d.code} {d.message}')}"


def render(diagnostics: List[Diagnostic]) -> str:
    return "".join(line(d) + "\n" for d in diagnostics)
