"""Score the current memlint against the judged labels (bench/judged/labels.tsv).

Re-runs memlint (default mode) over the judged corpus and reports, per rule and in total:

    now         findings now
    TP kept     labelled TP still reported / labelled TP (the bar: >= 90%)
    wrong gone  labelled wrong no longer reported / labelled wrong
    nwi gone    labelled not-worth-it no longer reported / labelled not-worth-it
    unlabelled  findings now that match no label (to be judged next: sample.py --unlabelled)
    prec~       TP / (matched labelled findings now): precision on the judged part

Runs offline once the corpus is fetched (python bench/judged/corpus.py). Always exits 0.

    python bench/judged/score.py                 # table
    python bench/judged/score.py --json          # machine-readable
    python bench/judged/score.py --show lost     # also list: lost TPs (or: unlabelled, kept-wrong, kept-nwi)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
import labels as labelsmod  # noqa: E402

FIELDS = ("now", "tp", "tp_kept", "wrong", "wrong_gone", "nwi", "nwi_gone", "unlabelled")


def score(findings, labels, root):
    assigned = labelsmod.Matcher(labels, root).assign(findings)
    matched_labels = set(assigned.values())
    per = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    lists = defaultdict(list)
    for i, f in enumerate(findings):
        row = per[f["code"]]
        row["now"] += 1
        if i not in assigned:
            row["unlabelled"] += 1
            lists["unlabelled"].append(f"{f['path']}:{f['line']}:{f['column']}:{f['code']}")
    key = {"TP": ("tp", "tp_kept"), "wrong": ("wrong", "wrong_gone"), "not-worth-it": ("nwi", "nwi_gone")}
    for j, lab in enumerate(labels):
        total, good = key[lab.verdict]
        row = per[lab.code]
        row[total] += 1
        reported = j in matched_labels
        if (lab.verdict == "TP") == reported:
            row[good] += 1
        if lab.verdict == "TP" and not reported:
            lists["lost"].append(f"{lab.where}:{lab.code}  {lab.line_text}")
        elif lab.verdict != "TP" and reported:
            lists["kept-wrong" if lab.verdict == "wrong" else "kept-nwi"].append(
                f"{lab.where}:{lab.code}  {lab.line_text}")
    total = dict.fromkeys(FIELDS, 0)
    for row in per.values():
        for k in FIELDS:
            total[k] += row[k]
    return dict(sorted(per.items())), total, lists


def _frac(a, b):
    return f"{a}/{b}" + (f" {100 * a / b:3.0f}%" if b else "     ")


def table(per, total) -> str:
    head = f"{'rule':<7} {'now':>5}  {'TP kept':>12}  {'wrong gone':>12}  {'nwi gone':>12}  {'unlabelled':>10}  {'prec~':>6}"
    out = [head, "-" * len(head)]
    for code, r in list(per.items()) + [("total", total)]:
        judged_now = r["tp_kept"] + (r["wrong"] - r["wrong_gone"]) + (r["nwi"] - r["nwi_gone"])
        prec = f"{100 * r['tp_kept'] / judged_now:5.0f}%" if judged_now else "     -"
        if code == "total":
            out.append("-" * len(head))
        out.append(f"{code:<7} {r['now']:>5}  {_frac(r['tp_kept'], r['tp']):>12}  "
                   f"{_frac(r['wrong_gone'], r['wrong']):>12}  {_frac(r['nwi_gone'], r['nwi']):>12}  "
                   f"{r['unlabelled']:>10}  {prec:>6}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--labels", default=str(labelsmod.LABELS))
    ap.add_argument("--show", action="append", default=[],
                    choices=["lost", "unlabelled", "kept-wrong", "kept-nwi"], help="also list these findings")
    ap.add_argument("--memlint", nargs="+", help="the memlint command (default: this Python's -m memlint)")
    args = ap.parse_args(argv)
    root = corpus.ensure()
    findings = corpus.lint(args.memlint)
    labels = labelsmod.load(Path(args.labels))
    per, total, lists = score(findings, labels, root)
    version = corpus.memlint_version(args.memlint)
    if args.json:
        print(json.dumps({"memlint": version, "labels": len(labels), "rules": per, "total": total,
                          **{k: lists[k] for k in args.show}}, indent=1))
        return 0
    print(f"{version}: {total['now']} findings on {len(corpus.files(root))} files; {len(labels)} labels")
    print(table(per, total))
    tp_rate = total["tp_kept"] / total["tp"] if total["tp"] else 1.0
    print(f"TP kept {100 * tp_rate:.0f}% (bar: 90%)")
    for k in args.show:
        print(f"\n{k} ({len(lists[k])}):")
        for item in lists[k]:
            print("  " + item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
