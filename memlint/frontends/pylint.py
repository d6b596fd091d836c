"""The pylint plugin: `pylint --load-plugins=memlint.pylint_plugin`.

One checker named `memlint` (so `--enable=memlint` / `--disable=memlint` switch all of it)
whose messages come from the registry: each rule's name is its symbol and its `pylint_id`
(W77xx: checker id 77, free in pylint, its bundled extensions, perflint and pylint-ml) its
message id. The checker runs memlint's engine on the module's source; astroid's tree is not
used. Which rules run is memlint's selection (`[tool.memlint]` and the `memlint-*` options
below), exactly as for `memlint check`; pylint's enable/disable then filters their messages,
and `# pylint: disable=<symbol>` works on a line or for a block.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Dict, Optional, Set, Tuple

from pylint.checkers import BaseRawFileChecker

from memlint import registry
from memlint.docs import one_line
from memlint.config import ConfigError
from memlint.frontends.host import SELECTION_FLAGS, HostLinter, HostOptions, rule_option_flags

if TYPE_CHECKING:  # pragma: no cover
    from astroid import nodes
    from pylint.lint import PyLinter

_PYLINT_TYPES = {"bool": "yn", "int": "int", "float": "float", "list": "csv", "str": "string"}


def _messages() -> Dict[str, Tuple[str, str, str]]:
    msgs = {}
    for r in registry.all_rules():
        description = (
            f"{r.code} {r.summary} " + one_line(r.what)
            + f" Documentation: `memlint rule {r.code}`."
        )
        msgs[r.pylint_id] = ("%s", r.name, description)
    return msgs


def _options() -> tuple:
    opts = [
        ("memlint-config", {
            "type": "string", "default": "", "metavar": "<file>",
            "help": "Read [tool.memlint] from this pyproject.toml (default: the nearest "
                    "pyproject.toml above each module).",
        }),
    ]
    for flag, help_text in SELECTION_FLAGS:
        opts.append((f"memlint-{flag}", {
            "type": "csv", "default": None, "metavar": "<codes>",
            "help": help_text[0].upper() + help_text[1:] + ".",
        }))
    for opt in rule_option_flags():
        opts.append((opt.flag, {
            "type": _PYLINT_TYPES[opt.kind], "default": None,
            "metavar": f"<{opt.kind}>", "help": opt.help,
        }))
    return tuple(opts)


class MemlintChecker(BaseRawFileChecker):
    name = "memlint"
    msgs = _messages()
    options = _options()

    def __init__(self, linter: "PyLinter") -> None:
        super().__init__(linter)
        self._host: Optional[HostLinter] = None
        self._reported_errors: Set[str] = set()

    def open(self) -> None:
        self._host = None

    def _linter(self) -> HostLinter:
        if self._host is None:
            try:
                host = HostOptions.from_namespace(self.linter.config)
            except ConfigError as e:
                self._config_error(e)
                host = HostOptions()
            self._host = HostLinter(host, prog="memlint (pylint)")
        return self._host

    def _config_error(self, e: ConfigError) -> None:
        text = f"memlint: {e}"
        if text in self._reported_errors:
            return
        self._reported_errors.add(text)
        print(f"memlint (pylint): error: {e}", file=sys.stderr)
        self.add_message("config-parse-error", line=0, args=(text,))

    def process_module(self, node: "nodes.Module") -> None:
        host = self._linter()
        path = node.file
        file_bytes = getattr(node, "file_bytes", None)
        try:
            if file_bytes is not None:  # --from-stdin: astroid holds the text as UTF-8
                source = file_bytes.decode("utf-8") if isinstance(file_bytes, bytes) else file_bytes
            else:
                with node.stream() as stream:
                    source = stream.read()
        except (OSError, UnicodeDecodeError) as e:
            print(f"memlint (pylint): warning: {path}: cannot read: {e}", file=sys.stderr)
            return
        try:
            rules = [r for r in host.rules_for(path) if self.linter.is_message_enabled(r.pylint_id)]
            if not rules:
                return
            findings = host.lint(source, path, rules)
        except ConfigError as e:
            self._config_error(e)
            return
        by_code = {r.code: r for r in rules}
        for d in findings:
            rule = by_code.get(d.code)
            if rule is None:  # pragma: no cover - the engine reports only the rules it ran
                continue
            self.add_message(
                rule.name,
                line=d.line,
                col_offset=d.col,
                end_lineno=d.end_line or None,
                end_col_offset=d.end_col if d.end_line else None,
                args=(d.message,),
            )


def register(linter: "PyLinter") -> None:
    linter.register_checker(MemlintChecker(linter))
