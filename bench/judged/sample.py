"""Draw a deterministic, rule-stratified sample of memlint's findings on the judged corpus and
write a review file: for each finding its id, message and the code around it.

Stratified by rule code: every rule gets the same cap, the smallest one that makes the sample
at least `--size` findings, so rare rules are taken whole and frequent ones are capped. Within
a rule the findings are drawn with a seeded RNG from their sorted list, so the same memlint on
the same corpus always yields the same sample.

    python bench/judged/sample.py                       # bench/.judged/review.md (+ .tsv)
    python bench/judged/sample.py --size 200 --seed 7 --out /tmp/review.md
    python bench/judged/sample.py --unlabelled          # only findings labels.tsv lacks

Besides the review (markdown), a `.tsv` next to it holds one line per sampled finding in the
labels.tsv format with an empty verdict, ready to be filled in and appended to labels.tsv.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import labels as labelsmod  # noqa: E402

CONTEXT = 12
_IDENT = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "self", "np", "pd", "torch", "print", "len", "range", "list", "dict",
}


def finding_id(f: dict) -> str:
    return f"{f['path']}:{f['line']}:{f['column']}:{f['code']}"


def cap_for(counts: Dict[str, int], size: int) -> int:
    """The smallest per-rule cap giving at least `size` findings (or all of them)."""
    total = sum(counts.values())
    if size >= total:
        return max(counts.values(), default=0)
    cap = 0
    while sum(min(n, cap) for n in counts.values()) < size:
        cap += 1
    return cap


def draw(findings: List[dict], size: int, seed: int) -> List[dict]:
    by_code: Dict[str, List[dict]] = defaultdict(list)
    for f in findings:
        by_code[f["code"]].append(f)
    cap = cap_for({c: len(v) for c, v in by_code.items()}, size)
    out = []
    for code in sorted(by_code):
        group = sorted(by_code[code], key=lambda f: (f["path"], f["line"], f["column"]))
        if len(group) > cap:
            group = random.Random(f"{seed}:{code}").sample(group, cap)
        out.extend(sorted(group, key=lambda f: (f["path"], f["line"], f["column"])))
    return out


def _origins(lines: List[str], line: int, start: int) -> List[int]:
    """Line numbers before `start` where the names used on `line` were last bound (an
    assignment, a for target, a def parameter or an import): where the data comes from."""
    text = lines[line - 1]
    code = re.sub(r"([\'\"]).*?\1", "", text).split("#", 1)[0]  # names outside strings
    names = {n for n in _IDENT.findall(code) if n not in _KEYWORDS}
    found = set()
    for name in names:
        pat = re.compile(
            rf"^\s*(?!return\b)(?:(?:[\w.\[\], ()*]*[,( ])?{re.escape(name)}\b[\w.\[\], ()*]*=[^=]"
            rf"|for\b.*\b{re.escape(name)}\b.*\bin\b|def\s.*\b{re.escape(name)}\b"
            rf"|(?:from\s.*)?import\s.*\b{re.escape(name)}\b)"
        )
        for i in range(start - 1, 0, -1):
            if pat.match(lines[i - 1]):
                found.add(i)
                break
    return sorted(found)[-6:]


def context(root: Path, f: dict, n: int = CONTEXT) -> str:
    lines = (root / f["path"]).read_text(encoding="utf-8", errors="replace").split("\n")
    line = f["line"]
    start, end = max(1, line - n), min(len(lines), line + n)
    out = []
    origins = _origins(lines, line, start)
    if origins:
        for i in origins:
            out.append(f"{i:5d}   {lines[i - 1]}")
        out.append("  ...")
    for i in range(start, end + 1):
        mark = ">>" if i == line else "  "
        out.append(f"{i:5d} {mark}{lines[i - 1]}")
    return "\n".join(out)


def cell_of(root: Path, f: dict) -> str:
    if not f["path"].endswith(".ipynb.py"):
        return ""
    lines = (root / f["path"]).read_text(encoding="utf-8").split("\n")
    for i in range(f["line"] - 1, -1, -1):
        if lines[i].startswith("# %% cell "):
            return lines[i][2:]
    return ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(corpus.ROOT / "review.md"), help="review file (markdown)")
    ap.add_argument("--size", type=int, default=170, help="at least this many findings (default 170)")
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--unlabelled", action="store_true",
                    help="sample only the findings that labels.tsv does not match yet")
    ap.add_argument("--memlint", nargs="+", help="the memlint command (default: this Python's -m memlint)")
    args = ap.parse_args(argv)

    root = corpus.ensure()
    findings = corpus.lint(args.memlint)
    if args.unlabelled:
        matcher = labelsmod.Matcher(labelsmod.load(), root)
        findings = [f for f in findings if matcher.match(f) is None]
    sample = draw(findings, args.size, args.seed)
    version = corpus.memlint_version(args.memlint)

    counts = Counter(f["code"] for f in findings)
    taken = Counter(f["code"] for f in sample)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as w:
        w.write(f"# memlint findings to judge\n\n{version}; seed {args.seed}; "
                f"{len(sample)} of {len(findings)} findings\n\n")
        w.write("| rule | findings | sampled |\n| --- | ---: | ---: |\n")
        for code in sorted(counts):
            w.write(f"| {code} | {counts[code]} | {taken[code]} |\n")
        w.write("\nVerdicts: TP / not-worth-it / wrong (see bench/judged/README.md)\n")
        for f in sample:
            cell = cell_of(root, f)
            w.write(f"\n## {finding_id(f)}\n\n{f['message']}\n")
            if cell:
                w.write(f"\n(notebook {f['path'][:-3]}, {cell})\n")
            w.write(f"\n```python\n{context(root, f)}\n```\n")
    tsv = out.with_suffix(".tsv")
    with open(tsv, "w", encoding="utf-8") as w:
        w.write(labelsmod.HEADER)
        for f in sample:
            w.write(labelsmod.format_row(labelsmod.Label.from_finding(f, root, "", "", "")))
    print(f"{out}: {len(sample)} findings ({', '.join(f'{c} {taken[c]}/{counts[c]}' for c in sorted(counts))})")
    print(f"{tsv}: the same as label rows with empty verdicts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
