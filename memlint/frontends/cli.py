"""The `memlint` command: check, rules, rule. Exit 0 clean, 1 findings, 2 usage or config error."""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from memlint import __version__, registry
from memlint.config import ConfigError, Settings, load, with_overrides
from memlint.model import GLOBAL_OPTIONS
from memlint.docs import render_rule
from memlint.docs.terminal import render_rule_text
from memlint.engine import lint_file
from memlint.frontends.host import apply_overrides
from memlint.output import FORMATS, STRUCTURED, color, statistics
from memlint.runner.parallel import default_jobs
from memlint.runner.files import Run, display_path, lint_paths

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> List[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memlint",
        description="Find memory anti-patterns in Python ML and data-science code, statically.",
    )
    parser.add_argument("--version", action="version", version=f"memlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="lint files and directories")
    check.add_argument("paths", nargs="*", default=None, metavar="PATH",
                       help="files or directories to lint ('-' reads standard input); default: .")
    check.add_argument("--select", type=_codes, help="rule codes or prefixes to enable, e.g. MEM1,MEM301")
    check.add_argument("--extend-select", type=_codes, help="codes or prefixes to enable on top of the selection")
    check.add_argument("--ignore", type=_codes, help="codes or prefixes to disable")
    check.add_argument("--exclude", type=_codes, help="glob patterns to exclude (replaces the defaults)")
    check.add_argument("--extend-exclude", type=_codes, help="glob patterns to exclude on top of the defaults")
    check.add_argument("--config", metavar="FILE", help="read [tool.memlint] from this pyproject.toml")
    check.add_argument("--output-format", default="text", choices=sorted(FORMATS), help="default: text")
    check.add_argument("--stdin-filename", metavar="PATH",
                       help="the path to report for '-' (also used for per-file-ignores)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                       help="lint with N processes (default: all cores; 1: in this process)")
    check.add_argument("--report-unknown-scale", action="store_true", default=None,
                       help="also report patterns on values of unknown size (docs/scale.md); "
                            "by default only data-sized or known-large values are reported")
    check.add_argument("--no-cache", action="store_true",
                       help="do not read or write the results cache (.memlint_cache/)")
    check.add_argument("-q", "--quiet", action="store_true", help="do not print the summary line")
    check.add_argument("--statistics", action="store_true",
                       help="print how many findings each rule produced (on stderr for json and sarif)")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--output-format", default="text", choices=["text", "json"])

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code", help="a rule code (MEM101) or name (unbounded-read)")
    rule.add_argument("--output-format", default="text", choices=["text", "markdown"],
                      help="text: for a terminal, coloured when stdout is one (never with "
                           "NO_COLOR); markdown: as in docs/rules.md. Default: text")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a path with undecodable bytes must still print
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a closed or odd stream
                pass
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors and 0 on --help/--version
        return int(e.code or 0)
    try:
        if args.command == "check":
            return cmd_check(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "rule":
            return cmd_rule(args)
    except ConfigError as e:
        print(f"memlint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except registry.RegistryError as e:  # pragma: no cover - a broken install
        print(f"memlint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def settings_from_args(args, paths: List[str]) -> Settings:
    anchor = [args.stdin_filename] if (paths == ["-"] and args.stdin_filename) else [p for p in paths if p != "-"]
    settings = load(anchor, args.config)
    # As in ruff, a --select on the command line starts the selection afresh: the
    # configuration's select, ignore and extend-select no longer apply.
    settings = apply_overrides(settings, args.select, args.extend_select, args.ignore)
    if args.exclude is not None:
        settings = with_overrides(settings, exclude=args.exclude)
    if args.extend_exclude:
        settings.exclude = list(settings.exclude) + args.extend_exclude
    if getattr(args, "report_unknown_scale", None):
        options = {code: dict(v) for code, v in settings.rule_options.items()}
        options.setdefault(GLOBAL_OPTIONS, {})["report-unknown-scale"] = True
        settings = with_overrides(settings, rule_options=options)
    return settings


def cmd_check(args) -> int:
    paths = args.paths or ["."]
    settings = settings_from_args(args, paths)
    if "-" in paths:
        if len(paths) > 1:
            raise ConfigError("'-' (standard input) cannot be combined with other paths")
        name = display_path(args.stdin_filename) if args.stdin_filename else "<stdin>"
        data = sys.stdin.buffer.read()
        run = Run()
        if not (args.stdin_filename and settings.is_excluded(args.stdin_filename)):
            run.results.append(lint_file(data, name, settings.rules_for(name), settings.rule_options,
                                           syntax_check=True))
    else:
        jobs = args.jobs if args.jobs is not None else default_jobs()
        run = lint_paths(paths, settings, jobs=jobs, cache=settings.cache and not args.no_cache)
    run.settle()
    diagnostics = run.diagnostics
    out = FORMATS[args.output_format](diagnostics)
    if out:
        sys.stdout.write(out)
        sys.stdout.flush()
    if args.statistics:
        (sys.stderr if args.output_format in STRUCTURED else sys.stdout).write(statistics.render(diagnostics))
    for w in run.warnings:
        print(f"memlint: warning: {w}", file=sys.stderr)
    for e in run.errors:
        print(f"memlint: error: {e}", file=sys.stderr)
    # "No findings" after an error reads as success, and "0 files checked" after "no Python
    # files found" says it again: the error or the warning is the whole story.
    if not args.quiet and (diagnostics or not (run.errors or (run.empty and not run.results))):
        print(summary(run), file=sys.stderr)
    if run.errors:
        return EXIT_ERROR
    if diagnostics and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def summary(run: Run) -> str:
    checked = len(run.results)
    n = sum(len(r.diagnostics) for r in run.results)
    files = sum(1 for r in run.results if r.diagnostics)
    noun = "file" if checked == 1 else "files"
    if not n:
        return f"No findings ({checked} {noun} checked)."
    return (f"Found {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
            f" ({checked} {noun} checked).")


def cmd_rules(args) -> int:
    rules = registry.all_rules()
    if args.output_format == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "pylint_id": r.pylint_id,
                "summary": r.summary,
                "message": r.message,
                "default": r.default,
                "fix": r.fix,
                "options": {k: {"default": o.default, "help": o.help} for k, o in r.options.items()},
            }
            for r in rules
        ]
        print(json.dumps(data, indent=2))
        return EXIT_CLEAN
    width = max(len(r.name) for r in rules)
    for r in rules:
        state = "on " if r.default else "off"
        print(f"{r.code}  {r.name:<{width}}  {state}  {r.summary}")
    return EXIT_CLEAN


def cmd_rule(args) -> int:
    rule = registry.by_code(args.code)
    if rule is None:
        print(f"memlint: error: unknown rule {args.code!r} (see 'memlint rules')", file=sys.stderr)
        return EXIT_ERROR
    if args.output_format == "markdown":
        sys.stdout.write(render_rule(rule))
    else:
        sys.stdout.write(render_rule_text(rule, color=color.enabled(sys.stdout)))
    return EXIT_CLEAN


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
