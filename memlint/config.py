"""`[tool.memlint]` in the nearest pyproject.toml -> Settings. Unknown keys and codes are errors."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Type

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

from memlint import registry
from memlint.model import GLOBAL_OPTIONS
from memlint.rule import Rule

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "__pycache__",
    "build", "dist", "site-packages", "node_modules", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".memlint_cache", ".ipynb_checkpoints", "*.egg-info", ".eggs",
)

LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude", "include",
             "extend-include")
# File names a folder walk lints (ruff's `include`): Python files and notebooks.
DEFAULT_INCLUDE = ("*.py", "*.ipynb")


class ConfigError(Exception):
    """A problem with the user's configuration or selectors: exit status 2."""


@dataclass
class Settings:
    select: Optional[List[str]] = None
    ignore: List[str] = field(default_factory=list)
    extend_select: List[str] = field(default_factory=list)
    exclude: List[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    include: List[str] = field(default_factory=lambda: list(DEFAULT_INCLUDE))
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    rule_options: Dict[str, dict] = field(default_factory=dict)  # code -> {option: value}
    root: Optional[Path] = None  # folder of the pyproject.toml the settings came from
    source: Optional[Path] = None
    cache: bool = True  # reuse results of unchanged files (.memlint_cache/ under root)

    def rules(self) -> List[Type[Rule]]:
        return registry.select_rules(self.select, self.ignore, self.extend_select)

    def rules_for(self, path: str, base: Optional[List[Type[Rule]]] = None) -> List[Type[Rule]]:
        rules = self.rules() if base is None else base
        if not self.per_file_ignores:
            return rules
        rel = self.relative(path)
        ignored: List[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if _path_matches(rel, pattern):
                ignored.extend(codes)
        if not ignored:
            return rules
        return [r for r in rules if not registry.matches(r, ignored)]

    def relative(self, path: str) -> str:
        """`path` relative to the configuration's folder (symlinks resolved), in `/` form;
        as given when it is outside that folder."""
        if self.root is not None:
            try:
                real = os.path.realpath(path)
                root = _real_root(str(self.root))
            except (OSError, ValueError):
                pass
            else:
                if real == root:
                    return "."
                if real.startswith(root.rstrip(os.sep) + os.sep):
                    rel = real[len(root.rstrip(os.sep)) + 1:]
                    return rel.replace(os.sep, "/") if os.sep != "/" else rel
        return Path(path).as_posix()

    def is_excluded(self, path: str) -> bool:
        """Does an `exclude` pattern match `path` (relative to the configuration's folder),
        the folder it is in, or any one of its components?"""
        whole, part = _exclude_matchers(tuple(self.exclude))
        rel = self.relative(path)
        if whole(rel):
            return True
        return any(part(p) for p in rel.split("/"))


    def is_included(self, name: str) -> bool:
        """Does a folder walk lint a file of this name (an `include` pattern matches it)?"""
        return _include_matcher(tuple(self.include))(name) is not None


@lru_cache(maxsize=64)
def _include_matcher(patterns: Tuple[str, ...]):
    if not patterns:
        return re.compile(r"(?!)").match
    return re.compile("|".join(fnmatch.translate(p) for p in patterns)).match


def _path_matches(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    return (
        fnmatch.fnmatchcase(rel, pattern)
        or fnmatch.fnmatchcase(rel, pattern + "/*")
        or fnmatch.fnmatchcase(rel.rpartition("/")[2], pattern)
    )


@lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


@lru_cache(maxsize=64)
def _exclude_matchers(patterns: Tuple[str, ...]):
    """Two compiled tests equivalent to `_path_matches` and to matching one path component,
    for all `patterns` at once (discovery asks for every folder and file it meets)."""
    if not patterns:
        never = re.compile(r"(?!)").match
        return never, never
    stripped = [p.rstrip("/") for p in patterns]
    whole = "|".join(f"(?:{fnmatch.translate(p)})|(?:{fnmatch.translate(p + '/*')})" for p in stripped)
    part = "|".join(f"(?:{fnmatch.translate(p)})" for p in stripped)
    return re.compile(whole).match, re.compile(part).match


def find_pyproject(start: Path) -> Optional[Path]:
    start = start.resolve()
    if start.is_file() or not start.exists():
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load(paths: Sequence[str] = (), config_file: Optional[str] = None) -> Settings:
    """Settings from `config_file`, or from the nearest pyproject.toml above the linted paths."""
    if config_file is not None:
        pyproject: Optional[Path] = Path(config_file)
        if not pyproject.is_file():
            raise ConfigError(f"{config_file}: no such configuration file")
    else:
        anchor = Path(os.path.commonpath([os.path.abspath(p) for p in paths])) if paths else Path.cwd()
        pyproject = find_pyproject(anchor)
    if pyproject is None:
        return Settings(root=Path.cwd())
    try:
        with open(pyproject, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{pyproject}: cannot read TOML: {e}") from None
    table = data.get("tool", {}).get("memlint")
    settings = Settings(root=pyproject.parent, source=pyproject)
    if table is None:
        return settings
    return from_table(table, settings, str(pyproject))


def from_table(table: dict, settings: Settings, where: str) -> Settings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.memlint] must be a table")
    by_name = {r.name: r for r in registry.all_rules()}
    for key, value in table.items():
        if key in LIST_KEYS:
            values = _str_list(value, f"{where}: tool.memlint.{key}")
            if key in ("select", "ignore", "extend-select"):
                check_selectors(values, f"{where}: tool.memlint.{key}")
            if key == "select":
                settings.select = values
            elif key == "ignore":
                settings.ignore = values
            elif key == "extend-select":
                settings.extend_select = values
            elif key == "exclude":
                settings.exclude = values
            elif key == "extend-exclude":
                settings.exclude = list(settings.exclude) + values
            elif key == "include":
                settings.include = values
            else:
                settings.include = list(settings.include) + values
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: tool.memlint.per-file-ignores must be a table")
            for pattern, codes in value.items():
                codes = _str_list(codes, f"{where}: tool.memlint.per-file-ignores.{pattern!r}")
                check_selectors(codes, f"{where}: tool.memlint.per-file-ignores.{pattern!r}")
                settings.per_file_ignores[pattern] = codes
        elif key == "report-unknown-scale":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: tool.memlint.report-unknown-scale must be true or false")
            settings.rule_options[GLOBAL_OPTIONS] = {"report-unknown-scale": value}
        elif key == "cache":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: tool.memlint.cache must be true or false")
            settings.cache = value
        elif key in by_name or registry.by_code(key) is not None:
            rule = by_name.get(key) or registry.by_code(key)
            settings.rule_options[rule.code] = check_options(rule, value, f"{where}: tool.memlint.{key}")
        else:
            known = ", ".join(list(LIST_KEYS) + ["per-file-ignores", "cache", "report-unknown-scale", "<rule-name>"])
            raise ConfigError(f"{where}: unknown key tool.memlint.{key} (known: {known})")
    return settings


def check_options(rule: Type[Rule], value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of options")
    out = {}
    for opt, v in value.items():
        if opt not in rule.options:
            known = ", ".join(rule.options) or "none"
            raise ConfigError(f"{where}: unknown option {opt!r} for {rule.code} (options: {known})")
        default = rule.options[opt].default
        if default is not None and not isinstance(v, type(default)) and not (
            isinstance(default, float) and isinstance(v, int)
        ):
            raise ConfigError(f"{where}.{opt} must be {type(default).__name__}, got {v!r}")
        out[opt] = v
    return out


def _str_list(value, where: str) -> List[str]:
    """A list key's value. A string is a comma-separated list, as on the command line and in
    the flake8 and pylint options (`ignore = "MEM201,MEM101"`); a list is the documented form."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings (or one comma-separated string), "
                          f"got {value!r}")
    return [v.strip() for v in value if v.strip()]


def check_selectors(values: Sequence[str], where: str) -> None:
    for v in values:
        if not registry.is_known_selector(v):
            raise ConfigError(f"{where}: unknown rule code or prefix {v!r}")


def with_overrides(settings: Settings, **overrides) -> Settings:
    return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
