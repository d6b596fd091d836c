"""Collects every rule once, validates the records, and looks rules up by code, name or prefix.

Rules live one per module under `memlint.rules.<family>`; adding a module adds the rule.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Dict, Iterable, List, Optional, Sequence, Type

from memlint.model import ENGINE_CODES
from memlint.rule import Rule

CODE_RE = re.compile(r"^MEM[1-9][0-9]{2}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# One pylint checker owns one block of message ids; 77 collides with nothing in pylint, its
# extensions (55, 56, 60-63, 90), perflint (81-84) or pylint-ml (80-81).
PYLINT_BLOCK = "77"
PYLINT_ID_RE = re.compile(r"^[CRWEF]" + PYLINT_BLOCK + r"[0-9]{2}$")


class RegistryError(Exception):
    pass


_RULES: Optional[List[Type[Rule]]] = None


def _discover() -> List[Type[Rule]]:
    import memlint.rules as pkg

    found: Dict[str, Type[Rule]] = {}
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.code:
                if obj.__module__ == module.__name__:
                    found[obj.code] = obj
    rules = sorted(found.values(), key=lambda r: r.code)
    validate(rules)
    return rules


def validate(rules: Sequence[Type[Rule]]) -> None:
    seen: Dict[str, str] = {}
    for r in rules:
        where = f"{r.__module__}.{r.__name__}"
        for field, pattern in (("code", CODE_RE), ("name", NAME_RE), ("pylint_id", PYLINT_ID_RE)):
            value = getattr(r, field)
            if not pattern.match(value or ""):
                raise RegistryError(f"{where}: {field} {value!r} does not match {pattern.pattern}")
        for key in (r.code, r.name, r.pylint_id):
            if key in seen:
                raise RegistryError(f"{where}: {key!r} is already used by {seen[key]}")
            seen[key] = where
        for field in ("message", "summary", "what", "why", "example", "use_instead"):
            if not getattr(r, field).strip():
                raise RegistryError(f"{where}: empty {field}")
        if r.fix not in ("none", "safe", "unsafe"):
            raise RegistryError(f"{where}: fix must be none, safe or unsafe")
        if r.code in ENGINE_CODES:
            raise RegistryError(f"{where}: {r.code} is reserved for the engine")


def all_rules() -> List[Type[Rule]]:
    global _RULES
    if _RULES is None:
        _RULES = _discover()
    return list(_RULES)


def by_code(code: str) -> Optional[Type[Rule]]:
    code = code.strip()
    for r in all_rules():
        if r.code == code.upper() or r.name == code.lower():
            return r
    return None


def is_known_selector(selector: str) -> bool:
    """A code, a code prefix such as MEM3 or MEM, a rule name, or ALL."""
    s = selector.strip()
    if s.upper() == "ALL":
        return True
    return any(r.code.startswith(s.upper()) or r.name == s.lower() for r in all_rules()) or (
        s.upper() in ENGINE_CODES
    )


def matches(rule: Type[Rule], selectors: Iterable[str]) -> bool:
    for s in selectors:
        s = s.strip()
        if s.upper() == "ALL" or rule.code.startswith(s.upper()) or rule.name == s.lower():
            return True
    return False


def _specificity(rule: Type[Rule], selectors: Iterable[str]) -> int:
    best = -1
    for s in selectors:
        s = s.strip()
        if s.upper() == "ALL":
            best = max(best, 0)
        elif rule.name == s.lower():
            best = max(best, len(rule.code))
        elif rule.code.startswith(s.upper()):
            best = max(best, len(s))
    return best


def select_rules(
    select: Optional[Sequence[str]] = None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> List[Type[Rule]]:
    """The enabled rules, with ruff's precedence: the more specific selector wins.

    With no `select`, the default-on rules are the base. `extend-select` adds to it.
    """
    chosen = []
    for r in all_rules():
        if select is None:
            on_score = 0 if r.default else -1
        else:
            on_score = _specificity(r, select)
        on_score = max(on_score, _specificity(r, extend_select))
        # An ignore as specific as the select wins; a more specific select beats the ignore.
        if on_score >= 0 and on_score > _specificity(r, ignore):
            chosen.append(r)
    return chosen
