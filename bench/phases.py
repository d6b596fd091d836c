"""Where memlint's time goes, phase by phase, over the corpus (or any folder), in one process.

    bench/.work/venv-memlint/bin/python bench/phases.py [FOLDER] [--select ALL]

It replays what memlint.engine does for each file, timing each step with the process CPU
clock: read and decode, text triggers, the nesting guard, parse, the traversal (semantic model and rules),
positions of reported nodes, `# noqa`. For comparison it also times what the engine
deliberately avoids: libcst's parse as it comes (its own node constructors, per-node
validation, garbage collector running), and positions from one code generation pass over the whole module. Keep it in step with memlint.engine.lint.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import libcst as cst  # noqa: E402

from memlint import registry  # noqa: E402
from memlint.engine import guard, nodeinit  # noqa: E402
from memlint.engine import active_rules  # noqa: E402
from memlint.engine.parse import parse_module  # noqa: E402
from memlint.engine.traversal import traverse as _traverse  # noqa: E402
from memlint.rule import FileContext  # noqa: E402
from memlint.sources.python import decode  # noqa: E402
from memlint.engine.positions import full_positions, locate  # noqa: E402
from memlint.semantic import SemanticModel  # noqa: E402
from memlint.engine.suppress import Suppressions  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(HERE / ".corpus" / "src"))
    parser.add_argument("--select", default=None, help="e.g. ALL (default: the default rules)")
    args = parser.parse_args(argv)
    rules = registry.select_rules(args.select.split(",") if args.select else None)
    files = []
    for dirpath, dirnames, filenames in os.walk(args.folder):
        dirnames.sort()
        files += [os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith(".py")]

    clock = time.process_time
    t = dict.fromkeys(["read + decode", "triggers", "guard", "parse", "traversal", "positions", "noqa",
                       "(libcst.parse_module as it comes)", "(positions, whole-module pass)"], 0.0)
    parsed = with_reports = reports = 0
    per_rule = {r.code: [0, 0] for r in rules}  # admitted by trigger, files with a finding
    for path in files:
        gc.disable()  # as engine.lint_source does for each file
        try:
            parsed, with_reports, reports = _one(path, rules, t, per_rule, clock, parsed, with_reports,
                                                 reports)
        finally:
            gc.enable()

    work = sum(v for k, v in t.items() if not k.startswith("("))
    print(f"{len(files)} files, {parsed} parsed, {with_reports} with findings ({reports} reports)\n")
    print("| phase | CPU s | share |")
    print("| --- | ---: | ---: |")
    for k, v in t.items():
        share = f"{100 * v / work:.1f}%" if not k.startswith("(") else ""
        print(f"| {k} | {v:.2f} | {share} |")
    print(f"| total | {work:.2f} | 100% |")
    print("\n| rule | files its trigger admits | files with a finding |")
    print("| --- | ---: | ---: |")
    for code, (admitted, fired) in per_rule.items():
        print(f"| {code} | {admitted} | {fired} |")
    return 0


def _one(path, rules, t, per_rule, clock, parsed, with_reports, reports):
    c = clock()
    with open(path, "rb") as f:
        source = decode(f.read())
    t["read + decode"] += clock() - c
    c = clock()
    active = active_rules(source, rules)
    t["triggers"] += clock() - c
    if not active:
        return parsed, with_reports, reports
    for r in active:
        per_rule[r.code][0] += 1
    c = clock()
    guard.scan(source)
    t["guard"] += clock() - c
    with nodeinit.libcst_constructors():
        gc.enable()  # libcst's parse as it comes: its constructors, collector on, nodes validated
        c = clock()
        cst.parse_module(source)
        t["(libcst.parse_module as it comes)"] += clock() - c
        gc.disable()
    c = clock()
    module = parse_module(source)
    t["parse"] += clock() - c
    parsed += 1
    c = clock()
    semantic = SemanticModel(record_uses=any("uses" in r.needs for r in active))
    ctx = FileContext(path, source, semantic)
    _traverse(module, semantic, [r(ctx, None) for r in active], {})
    t["traversal"] += clock() - c
    if not ctx.reports:
        return parsed, with_reports, reports
    with_reports += 1
    reports += len(ctx.reports)
    for code in {rep[0].code for rep in ctx.reports}:
        per_rule[code][1] += 1
    c = clock()
    positions = locate(module, source, [(rep[1], rep[3]) for rep in ctx.reports])
    t["positions"] += clock() - c
    c = clock()
    full_positions(module, {id(rep[1]) for rep in ctx.reports})
    t["(positions, whole-module pass)"] += clock() - c
    c = clock()
    noqa = Suppressions(source)
    for rule, node, _, _ in ctx.reports:
        noqa.suppressed(positions[id(node)][0][0], rule.code)
    t["noqa"] += clock() - c

    return parsed, with_reports, reports


if __name__ == "__main__":
    sys.exit(main())
