"""The flake8 plugin: `flake8 --select=MEM` reports memlint's findings.

Registered under the `flake8.extension` entry point `MEM`. flake8 parses the file first: a
file it cannot parse gets flake8's own E999 and this plugin is never called; if libcst cannot
parse a file that flake8 could, the plugin adds nothing (and says so on stderr). flake8 never
reads `pyproject.toml`, so the plugin reads `[tool.memlint]` itself; the options below, on
flake8's command line or in its configuration (`memlint-select = MEM1,MEM5`), override it.
`# noqa` comments are honoured by flake8 and by the engine alike (same rules, same lines);
with flake8's `--disable-noqa` neither applies them.

A broken configuration (`[tool.memlint]`, or a `--memlint-*` option) is found in
`parse_options`, before flake8 checks any file: the plugin prints one line naming the file
and the key on stderr and exits 2, as flake8 itself does for a bad command-line option and
`memlint check` for a bad configuration (status 1 stays "findings"). An exception raised while
flake8 checks a file could only be flake8's "failed during execution" report and status 1.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from typing import Any, Iterator, List, NoReturn, Optional, Tuple

from memlint import __version__
from memlint.config import ConfigError
from memlint.frontends.host import SELECTION_FLAGS, HostLinter, HostOptions, rule_option_flags

PROG = "memlint (flake8)"
EXIT_CONFIG_ERROR = 2  # as `memlint check`; flake8 exits 1 for findings and for its own failures


class MemlintConfigError(Exception):
    """A broken memlint configuration: flake8 stops and prints this message."""


class Flake8Plugin:
    name = "memlint"
    version = __version__

    _linter: Optional[HostLinter] = None
    _options_error: Optional[str] = None

    def __init__(self, tree: Any, lines: List[str], filename: str = "stdin"):
        # `tree` makes this a tree plugin: flake8 calls it only for files that parse. The
        # engine parses the source itself (libcst keeps what ast drops), so `tree` is unused.
        self.lines = lines
        self.filename = filename
        # parse_options has stopped flake8 on any broken configuration of the files it was
        # given; one met only here (flake8's legacy API checking other paths later) is raised
        # where flake8 turns it into its "failed during execution" report (from run(): a
        # traceback).
        if self._options_error:
            raise MemlintConfigError(f"memlint: {self._options_error}")
        if type(self)._linter is None:  # used without flake8's option parsing
            type(self)._linter = HostLinter(prog=PROG)
        self._linter_for_file = type(self)._linter
        try:
            self._linter_for_file.settings_for(filename)
        except ConfigError as e:
            raise MemlintConfigError(f"memlint: {e}") from None

    @classmethod
    def add_options(cls, parser) -> None:
        parser.add_option(
            "--memlint-config", default=None, parse_from_config=True, normalize_paths=True,
            metavar="FILE",
            help="memlint: read [tool.memlint] from this pyproject.toml (default: the nearest "
                 "pyproject.toml above each file)",
        )
        for flag, help_text in SELECTION_FLAGS:
            parser.add_option(
                f"--memlint-{flag}", default=None, parse_from_config=True,
                comma_separated_list=True, metavar="CODES", help=f"memlint: {help_text}",
            )
        for opt in rule_option_flags():
            parser.add_option(
                f"--{opt.flag}", default=None, parse_from_config=True,
                comma_separated_list=opt.kind == "list", metavar=opt.kind.upper(),
                help=f"memlint: {opt.help}",
            )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls._options_error = None
        try:
            host = HostOptions.from_namespace(options)
        except ConfigError as e:
            _stop(e)
        cls._linter = HostLinter(host, prog=PROG)
        if multiprocessing.parent_process() is not None:
            return  # a flake8 worker (spawn start method): the main process has checked
        if getattr(options, "bug_report", False):
            return  # `flake8 --bug-report` must work whatever the configuration says
        try:
            for path in _configured_paths(options):
                cls._linter.settings_for(path)
        except ConfigError as e:
            _stop(e)

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        findings = self._linter_for_file.lint("".join(self.lines), self.filename)
        for d in findings:
            # flake8 wants a 0-based column and prints it 1-based, as `memlint check` does.
            yield d.line, d.col, f"{d.code} {d.message}", type(self)


def _stop(error: ConfigError) -> NoReturn:
    """End flake8 on a broken configuration: one line on stderr, status 2."""
    print(f"{PROG}: error: {error}", file=sys.stderr)
    raise SystemExit(EXIT_CONFIG_ERROR)


def _configured_paths(options: argparse.Namespace) -> Iterator[str]:
    """One file per folder among the files flake8 will check: each folder's nearest
    pyproject.toml is the configuration of its files (with --memlint-config, that file)."""
    if getattr(options, "memlint_config", None):
        yield "stdin"
        return
    filenames = list(getattr(options, "filenames", None) or [])
    try:
        from flake8.discover_files import expand_paths

        files = expand_paths(
            paths=filenames,
            stdin_display_name=getattr(options, "stdin_display_name", "stdin"),
            filename_patterns=getattr(options, "filename", None) or ["*.py"],
            exclude=(*(getattr(options, "exclude", None) or ()),
                     *(getattr(options, "extend_exclude", None) or ())),
        )
    except Exception:  # pragma: no cover - another flake8: the paths as given
        files = iter(filenames or ["."])
    seen = set()
    for path in files:
        if path == "-":
            path = getattr(options, "stdin_display_name", "stdin")
        folder = os.path.dirname(os.path.abspath(path)) if path not in ("stdin", "-") else ""
        if folder not in seen:
            seen.add(folder)
            yield path
