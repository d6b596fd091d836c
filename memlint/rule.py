"""The Rule base: one class per rule carries its whole record and its visitor methods.

A rule declares, once, everything every frontend and the docs need: code, kebab-case name,
pylint message id, message template, whether it is on by default, its documentation, its
tested examples and a cheap text trigger. Detection lives in `visit_<Node>` / `leave_<Node>`
methods named after libcst node classes, called by the engine's single traversal.
"""

from __future__ import annotations

import re
from typing import ClassVar, Dict, List, Optional, Pattern, Tuple

import libcst as cst

from memlint.semantic import SemanticModel
from memlint.semantic.scale import is_test_path


class FileContext:
    """What a rule can see of the file being linted."""

    def __init__(self, path: str, source: str, semantic: SemanticModel):
        self.path = path
        self.source = source
        self.semantic = semantic
        self.stack: List[cst.CSTNode] = semantic.stack
        # (rule, node, message, the nodes open when it was reported: they anchor its position)
        self.reports: List[Tuple["Rule", cst.CSTNode, str, tuple]] = []
        # The scale model's policy switches (semantic/scale.py): report values of unknown
        # size too (`report-unknown-scale`); a test module, where data is built inline.
        self.report_unknown_scale = False
        self.is_test = is_test_path(path)

    def add_report(self, rule: "Rule", node: cst.CSTNode, message: str) -> None:
        self.reports.append((rule, node, message, tuple(self.stack)))

    @property
    def parent(self) -> Optional[cst.CSTNode]:
        return self.stack[-2] if len(self.stack) > 1 else None


class Option:
    """A rule option, set in `[tool.memlint.<rule-name>]` or, for flake8, on its command line."""

    def __init__(self, default, help: str):
        self.default = default
        self.help = help


class Rule:
    # --- the record -----------------------------------------------------------------------
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    pylint_id: ClassVar[str] = ""
    message: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    default: ClassVar[bool] = True
    # Documentation sections, in the order `memlint rule CODE` prints them.
    what: ClassVar[str] = ""
    why: ClassVar[str] = ""
    example: ClassVar[str] = ""  # must be flagged; tested
    use_instead: ClassVar[str] = ""  # must stay clean; tested
    fix: ClassVar[str] = "none"  # "none" | "safe" | "unsafe"
    limits: ClassVar[str] = ""
    options: ClassVar[Dict[str, Option]] = {}
    # Extra tested snippets: every `invalid` one is flagged at least once, no `valid` one is.
    invalid: ClassVar[Tuple[str, ...]] = ()
    valid: ClassVar[Tuple[str, ...]] = ()
    # Regular expression searched in the raw source: a file without a match cannot produce a
    # finding, so the rule does not run on it (and if no rule runs, the file is not parsed).
    triggers: ClassVar[str] = ""
    # Semantic analyses the rule reads: "uses" turns on per-scope recording of name uses.
    needs: ClassVar[frozenset] = frozenset()

    _trigger_re: ClassVar[Optional[Pattern]] = None

    def __init__(self, ctx: FileContext, settings: Optional[dict] = None):
        self.ctx = ctx
        self.settings = dict(settings or {})

    @classmethod
    def trigger_pattern(cls) -> Optional[Pattern]:
        if not cls.triggers:
            return None
        if cls.__dict__.get("_trigger_re") is None:
            cls._trigger_re = re.compile(cls.triggers)
        return cls._trigger_re

    @classmethod
    def option_defaults(cls) -> dict:
        return {k: o.default for k, o in cls.options.items()}

    def option(self, key: str):
        if key in self.settings:
            return self.settings[key]
        return self.options[key].default

    # --- reporting ------------------------------------------------------------------------
    def report(self, node: cst.CSTNode, message: Optional[str] = None, **fmt) -> None:
        """Record a finding at `node`; its position is computed only after the traversal."""
        text = message if message is not None else self.message
        if fmt:
            text = text.format(**fmt)
        self.ctx.add_report(self, node, text)
