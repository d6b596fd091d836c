"""The flake8 plugin: `flake8 --select=MEM` reports memlint's findings.

Registered under the `flake8.extension` entry point `MEM`. flake8 parses the file first: a
file it cannot parse gets flake8's own E999 and this plugin is never called; if libcst cannot
parse a file that flake8 could, the plugin adds nothing (and says so on stderr). flake8 never
reads `pyproject.toml`, so the plugin reads `[tool.memlint]` itself; the options below, on
flake8's command line or in its configuration (`memlint-select = MEM1,MEM5`), override it.
`# noqa` comments are honoured by flake8 and by the engine alike (same rules, same lines);
with flake8's `--disable-noqa` neither applies them.
"""

from __future__ import annotations

import argparse
from typing import Any, Iterator, List, Optional, Tuple

from memlint import __version__
from memlint.config import ConfigError
from memlint.frontends.host import SELECTION_FLAGS, HostLinter, HostOptions, rule_option_flags


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
        # Configuration problems are raised here, where flake8 turns them into a one-line
        # "failed during execution" report and a non-zero exit (not from run(): a traceback).
        if self._options_error:
            raise MemlintConfigError(f"memlint: {self._options_error}")
        if type(self)._linter is None:  # used without flake8's option parsing
            type(self)._linter = HostLinter(prog="memlint (flake8)")
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
            # Raised from run(), where flake8 reports it and exits non-zero; raising here
            # would end flake8 with a traceback.
            cls._options_error = str(e)
            host = HostOptions()
        cls._linter = HostLinter(host, prog="memlint (flake8)")

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        findings = self._linter_for_file.lint("".join(self.lines), self.filename)
        for d in findings:
            # flake8 wants a 0-based column and prints it 1-based, as `memlint check` does.
            yield d.line, d.col, f"{d.code} {d.message}", type(self)
