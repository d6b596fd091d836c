"""Reading, writing and matching the judged labels (bench/judged/labels.tsv).

The format (also stated at the top of labels.tsv): lines starting with '#' are comments; the
first other line names the columns; then one tab-separated row per judged finding:

    where      path:line:col of the finding, path relative to bench/.judged/src
    code       the rule code, e.g. MEM401
    verdict    TP | not-worth-it | wrong
    phase      when it was judged: 'before' = memlint at 882c300, later phases by name
    reason     one line: why
    line_text  the flagged source line, stripped (tabs as spaces)

A finding matches a label by path + code + its stripped source line (so that line numbers may
shift when the corpus rendering changes; among equal lines the nearest line number wins, one
label per finding), falling back to path + line + code. When two rows give the same
where + code, the later row wins (a re-judgement).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels.tsv"
VERDICTS = ("TP", "not-worth-it", "wrong")
COLUMNS = ("where", "code", "verdict", "phase", "reason", "line_text")
HEADER = "\t".join(COLUMNS) + "\n"


@dataclass
class Label:
    path: str
    line: int
    col: int
    code: str
    verdict: str
    phase: str
    reason: str
    line_text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    @classmethod
    def from_finding(cls, f: dict, root: Path, verdict: str, phase: str, reason: str) -> "Label":
        return cls(f["path"], f["line"], f["column"], f["code"], verdict, phase, reason,
                   source_line(root, f["path"], f["line"]))


def _clean(text: str) -> str:
    return text.replace("\t", "    ").replace("\n", " ").strip()


def format_row(label: Label) -> str:
    return "\t".join([label.where, label.code, label.verdict, label.phase,
                      _clean(label.reason), _clean(label.line_text)]) + "\n"


def load(path: Path = LABELS) -> List[Label]:
    if not path.exists():
        return []
    rows: Dict[Tuple[str, str], Label] = {}
    header_seen = False
    for n, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if not header_seen:
            if tuple(cells) != COLUMNS:
                raise SystemExit(f"{path}:{n}: expected the header {COLUMNS}")
            header_seen = True
            continue
        if len(cells) != len(COLUMNS):
            raise SystemExit(f"{path}:{n}: {len(cells)} columns, expected {len(COLUMNS)}")
        where, code, verdict, phase, reason, text = cells
        if verdict not in VERDICTS:
            raise SystemExit(f"{path}:{n}: verdict {verdict!r} is none of {VERDICTS}")
        p, line, col = where.rsplit(":", 2)
        rows[(where, code)] = Label(p, int(line), int(col), code, verdict, phase, reason, text)
    return list(rows.values())


_LINES: Dict[Tuple[str, str], List[str]] = {}


def source_line(root: Path, path: str, line: int) -> str:
    key = (str(root), path)
    if key not in _LINES:
        try:
            _LINES[key] = (root / path).read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError:
            _LINES[key] = []
    lines = _LINES[key]
    return _clean(lines[line - 1]) if 0 < line <= len(lines) else ""


class Matcher:
    """Pairs findings with labels, one to one."""

    def __init__(self, labels: List[Label], root: Path):
        self.labels = labels
        self.root = root

    def assign(self, findings: List[dict]) -> Dict[int, int]:
        """finding index -> label index, for the findings that have a label."""
        out: Dict[int, int] = {}
        used = set()
        by_text: Dict[tuple, List[int]] = {}
        for j, lab in enumerate(self.labels):
            by_text.setdefault((lab.path, lab.code, lab.line_text), []).append(j)
        groups: Dict[tuple, List[int]] = {}
        for i, f in enumerate(findings):
            key = (f["path"], f["code"], source_line(self.root, f["path"], f["line"]))
            if key in by_text:
                groups.setdefault(key, []).append(i)
        for key, idx in groups.items():
            pairs = sorted((abs(findings[i]["line"] - self.labels[j].line),
                            abs(findings[i]["column"] - self.labels[j].col), i, j)
                           for i in idx for j in by_text[key])
            for _, _, i, j in pairs:
                if i not in out and j not in used:
                    out[i] = j
                    used.add(j)
        by_line: Dict[tuple, List[int]] = {}
        for j, lab in enumerate(self.labels):
            by_line.setdefault((lab.path, lab.line, lab.code), []).append(j)
        for i, f in enumerate(findings):
            if i in out:
                continue
            free = [j for j in by_line.get((f["path"], f["line"], f["code"]), []) if j not in used]
            if free:  # several findings of one rule on one line: the nearest column
                j = min(free, key=lambda j: abs(self.labels[j].col - f["column"]))
                out[i] = j
                used.add(j)
        return out

    def match(self, finding: dict) -> Optional[Label]:
        j = self.assign([finding]).get(0)
        return None if j is None else self.labels[j]
