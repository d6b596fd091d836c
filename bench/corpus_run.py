"""Lint the running interpreter's whole standard library; zero internal errors is the bar.

    python bench/corpus_run.py                 # every rule (ALL)
    python bench/corpus_run.py --select default
    python bench/corpus_run.py --root DIR      # another tree
    python bench/corpus_run.py --json out.json

Reports files, files parsed, findings by code, syntax-error skips (MEM001), too-complex
skips (MEM004), read errors (MEM003), internal errors (MEM002, each listed) and time, with
the slowest files. Exits 1 if there is any internal error. It runs the files the way
`memlint check` does (the same discovery and the same per-file entry point), in this one
process, so a crash of the process would show here too. Not part of the test suite: it
takes minutes.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import sysconfig
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memlint.config import Settings  # noqa: E402
from memlint.runner.files import Run, discover, lint_file  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--select", default="ALL", help="ALL (default) or 'default' or codes")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--slowest", type=int, default=8)
    args = parser.parse_args(argv)

    select = None if args.select == "default" else args.select.split(",")
    # Third-party packages installed into the interpreter are not the standard library.
    settings = Settings(select=select, exclude=["site-packages", "dist-packages"],
                        root=Path(args.root))
    rules = settings.rules()
    run = Run()
    started = time.perf_counter()
    times = []
    by_code = collections.Counter()
    statuses = collections.Counter()
    internal = []
    nbytes = 0
    for path in discover([args.root], settings, run):
        t = time.perf_counter()
        result = lint_file(path, settings, rules)
        times.append((time.perf_counter() - t, path))
        try:
            nbytes += os.path.getsize(path)
        except OSError:
            pass
        statuses[result.status] += 1
        for d in result.diagnostics:
            by_code[d.code] += 1
            if d.code == "MEM002":
                internal.append(f"{d.path}:{d.line}: {d.message}")
        run.results.append(result)
    elapsed = time.perf_counter() - started
    run.settle()

    findings = sum(n for code, n in by_code.items() if code >= "MEM100")
    figures = {
        "python": sys.version.split()[0],
        "root": args.root,
        "select": args.select,
        "rules": [r.code for r in rules],
        "files": len(times),
        "megabytes": round(nbytes / 1e6, 1),
        "parsed": statuses["ok"],
        "not_parsed_no_trigger": statuses["skipped"],
        "findings": findings,
        "findings_by_code": dict(sorted((c, n) for c, n in by_code.items() if c >= "MEM100")),
        "syntax_error_skips": by_code["MEM001"],
        "too_complex_skips": by_code["MEM004"],
        "read_errors": by_code["MEM003"],
        "internal_errors": len(internal),
        "seconds": round(elapsed, 1),
        "warnings": run.warnings,
        "errors": run.errors,
    }
    for key, value in figures.items():
        if key not in ("warnings", "errors", "rules"):
            print(f"{key:>22}: {value}")
    print(f"{'rules':>22}: {' '.join(figures['rules'])}")
    for w in run.warnings + run.errors:
        print(f"{'warning':>22}: {w}")
    print("slowest files:")
    for seconds, path in sorted(times, reverse=True)[: args.slowest]:
        print(f"  {seconds:7.2f}s  {os.path.relpath(path, args.root)}")
    skipped = [d for r in run.results for d in r.diagnostics if d.code in ("MEM001", "MEM004")]
    if skipped:
        print("syntax-error and too-complex skips:")
        for d in skipped:
            print(f"  {os.path.relpath(d.path, args.root)}:{d.line}: {d.code} {d.message[:90]}")
    for line in internal:
        print("INTERNAL ERROR", line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 1 if internal else 0


if __name__ == "__main__":
    sys.exit(main())
