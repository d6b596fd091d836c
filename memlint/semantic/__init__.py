"""Shared analyses the rules lean on: scopes and imports, what a name was bound from, its uses."""

from memlint.semantic.model import Scope, SemanticModel, Use
from memlint.semantic.values import UNKNOWN, Value

__all__ = ["Scope", "SemanticModel", "Use", "UNKNOWN", "Value"]
