"""What the host plugins (flake8, pylint) share: settings for a file, and linting it for a host.

A host chooses the files; memlint decides which rules run on each, exactly as `memlint check`
does: `[tool.memlint]` from the nearest `pyproject.toml` above the file (select, ignore,
extend-select, per-file-ignores, rule options), overridden by the options given on the host's
side (`--memlint-select`, `--memlint-implicit-float64-min-bytes`, ...), which mirror the CLI's
flags. Every option is derived from the registry, never from a list of rules.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Type

from memlint import registry
from memlint.config import ConfigError, Settings, check_options, check_selectors, find_pyproject, load
from memlint.engine import lint_source
from memlint.model import ENGINE_CODES, GLOBAL_OPTIONS, INTERNAL_ERROR, Diagnostic
from memlint.rule import Option, Rule


class GlobalOptions:
    """The options that apply to every rule, offered on a host's side as `memlint-<option>`
    (they are top-level keys of `[tool.memlint]`)."""

    code = GLOBAL_OPTIONS
    name = ""
    options = {
        "report-unknown-scale": Option(
            False, "also report patterns on values of unknown size (the scale model: "
                   "docs/scale.md); by default only data-sized or known-large values are reported"),
    }

# (flag without the "memlint-" prefix, help): the selection flags every host offers.
SELECTION_FLAGS: Tuple[Tuple[str, str], ...] = (
    ("select", "memlint rules to run, replacing [tool.memlint] select: codes, prefixes (MEM1), "
               "rule names or ALL"),
    ("extend-select", "memlint rules to run on top of the selection (default-off rules, ...)"),
    ("ignore", "memlint rules not to run (replaces [tool.memlint] ignore)"),
)


def apply_overrides(
    settings: Settings,
    select: Optional[List[str]] = None,
    extend_select: Optional[List[str]] = None,
    ignore: Optional[List[str]] = None,
    flag_prefix: str = "--",
) -> Settings:
    """`settings` with selectors given on a command line, with the CLI's precedence.

    As in ruff, a `select` starts the selection afresh: the configuration's select, ignore and
    extend-select no longer apply. An `ignore` replaces the configuration's ignore.
    """
    for value, flag in ((select, "select"), (extend_select, "extend-select"), (ignore, "ignore")):
        if value is not None:
            check_selectors(value, flag_prefix + flag)
    overrides: dict = {}
    if ignore is not None:
        overrides["ignore"] = list(ignore)
    if select is not None:
        overrides.update(select=list(select), ignore=list(ignore or []), extend_select=[])
    if extend_select is not None:
        base = [] if select is not None else list(settings.extend_select)
        overrides["extend_select"] = base + list(extend_select)
    return replace(settings, **overrides) if overrides else settings


@dataclass(frozen=True)
class RuleOptionFlag:
    """A rule option offered on a host's side: `memlint-<rule-name>-<option>`."""

    rule: Type[Rule]
    key: str

    @property
    def flag(self) -> str:
        if self.rule is GlobalOptions:
            return f"memlint-{self.key}"
        return f"memlint-{self.rule.name}-{self.key}"

    @property
    def dest(self) -> str:
        return self.flag.replace("-", "_")

    @property
    def default(self):
        return self.rule.options[self.key].default

    @property
    def kind(self) -> str:
        """bool, int, float, list or str: how the host should parse the value."""
        d = self.default
        for t in (bool, int, float, list, tuple):
            if isinstance(d, t):
                return "list" if t is tuple else t.__name__
        return "str"

    @property
    def help(self) -> str:
        if self.rule is GlobalOptions:
            return (f"{self.rule.options[self.key].help}; overrides [tool.memlint] {self.key} "
                    f"(memlint's default: {self.default!r})")
        return (f"{self.rule.code} {self.rule.name}: {self.rule.options[self.key].help}; "
                f"overrides [tool.memlint.{self.rule.name}] {self.key} (memlint's default: "
                f"{self.default!r})")

    def convert(self, raw):
        """A value as given to the host (often a string) -> the option's type; ConfigError if not."""
        kind = self.kind
        if raw is None:
            return None
        try:
            if kind == "bool":
                if isinstance(raw, bool):
                    return raw
                text = str(raw).strip().lower()
                if text in ("1", "true", "yes", "y", "on"):
                    return True
                if text in ("0", "false", "no", "n", "off"):
                    return False
                raise ValueError(raw)
            if kind == "int":
                return raw if isinstance(raw, int) else int(str(raw).replace("_", ""))
            if kind == "float":
                return raw if isinstance(raw, (int, float)) else float(str(raw).replace("_", ""))
            if kind == "list":
                if isinstance(raw, (list, tuple)):
                    return [str(v).strip() for v in raw if str(v).strip()]
                return [v.strip() for v in str(raw).split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"--{self.flag} must be {kind}, got {raw!r}") from None
        return str(raw)


def rule_option_flags() -> List[RuleOptionFlag]:
    return [RuleOptionFlag(GlobalOptions, key) for key in GlobalOptions.options] + [
        RuleOptionFlag(r, key) for r in registry.all_rules() for key in r.options]


@dataclass
class HostOptions:
    """What the user set on the host's side. None means "not set": `[tool.memlint]` decides."""

    config: Optional[str] = None
    select: Optional[List[str]] = None
    extend_select: Optional[List[str]] = None
    ignore: Optional[List[str]] = None
    rule_options: Dict[str, dict] = field(default_factory=dict)  # code -> {option: value}
    noqa: bool = True  # False: report findings that `# noqa` comments would hide

    @classmethod
    def from_namespace(cls, ns) -> "HostOptions":
        """From an object with attributes memlint_config, memlint_select, ... (either host)."""

        def listed(value) -> Optional[List[str]]:
            if value is None:
                return None
            if isinstance(value, str):
                value = value.split(",")
            return [str(v).strip() for v in value if str(v).strip()]

        out = cls(
            config=getattr(ns, "memlint_config", None) or None,
            select=listed(getattr(ns, "memlint_select", None)),
            extend_select=listed(getattr(ns, "memlint_extend_select", None)),
            ignore=listed(getattr(ns, "memlint_ignore", None)),
            noqa=not getattr(ns, "disable_noqa", False),  # flake8's --disable-noqa
        )
        for opt in rule_option_flags():
            raw = getattr(ns, opt.dest, None)
            if raw is None or raw == "" or raw == ():
                continue
            value = opt.convert(raw)
            out.rule_options.setdefault(opt.rule.code, {})[opt.key] = value
        for code, values in out.rule_options.items():
            if code == GLOBAL_OPTIONS:
                continue
            rule = registry.by_code(code)
            check_options(rule, values, f"--memlint-{rule.name}")
        return out


class HostLinter:
    """Lints one buffer at a time for a host, caching settings per configuration file."""

    def __init__(self, host: Optional[HostOptions] = None, prog: str = "memlint"):
        self.host = host or HostOptions()
        self.prog = prog
        self._pyproject_for_dir: Dict[str, Optional[Path]] = {}
        self._settings: Dict[Optional[str], Settings] = {}
        self._errors: Dict[Optional[str], ConfigError] = {}

    def settings_for(self, path: Optional[str]) -> Settings:
        """Settings for the file at `path` (None or a pseudo name such as "stdin": the cwd's)."""
        if self.host.config:
            key: Optional[str] = os.path.abspath(self.host.config)
        else:
            folder = os.path.dirname(os.path.abspath(path)) if _is_real_path(path) else os.getcwd()
            if folder not in self._pyproject_for_dir:
                self._pyproject_for_dir[folder] = find_pyproject(Path(folder))
            found = self._pyproject_for_dir[folder]
            key = str(found) if found is not None else None
        if key in self._errors:
            raise self._errors[key]
        settings = self._settings.get(key)
        if settings is None:
            try:
                settings = self._load(key)
            except ConfigError as e:
                self._errors[key] = e
                raise
            self._settings[key] = settings
        return settings

    def _load(self, key: Optional[str]) -> Settings:
        settings = load((), key) if key is not None else Settings(root=Path.cwd())
        settings = apply_overrides(settings, self.host.select, self.host.extend_select,
                                   self.host.ignore, flag_prefix="--memlint-")
        if self.host.rule_options:
            merged = {code: dict(v) for code, v in settings.rule_options.items()}
            for code, values in self.host.rule_options.items():
                merged.setdefault(code, {}).update(values)
            settings = replace(settings, rule_options=merged)
        return settings

    def rules_for(self, path: Optional[str]) -> List[Type[Rule]]:
        settings = self.settings_for(path)
        return settings.rules_for(path) if _is_real_path(path) else settings.rules()

    def lint(self, source, path: Optional[str], rules: Optional[Sequence[Type[Rule]]] = None
             ) -> List[Diagnostic]:
        """The rule findings for one buffer (str or bytes); never raises for the code itself.

        Engine diagnostics are not findings for a host: a syntax error is the host's own to
        report (flake8's E999, pylint's syntax-error); an internal error or a file libcst
        cannot parse although the host could is written to stderr.
        Raises ConfigError for a broken configuration.
        """
        settings = self.settings_for(path)
        if rules is None:
            rules = self.rules_for(path)
        name = path or "<stdin>"
        result = lint_source(source, name, rules, settings.rule_options, noqa=self.host.noqa)
        findings = []
        for d in result.diagnostics:
            if d.code in ENGINE_CODES:
                kind = "error" if d.code == INTERNAL_ERROR else "warning"
                print(f"{self.prog}: {kind}: {d.path}:{d.line}:{d.col + 1}: {d.code} {d.message}",
                      file=sys.stderr)
                continue
            findings.append(d)
        return findings


def _is_real_path(path: Optional[str]) -> bool:
    return bool(path) and path not in ("-", "stdin", "<stdin>")
