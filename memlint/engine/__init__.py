"""The engine: one file's code -> its findings. It never raises.

guard (refuse nesting the native parser cannot survive) -> parse (libcst, CPython as the judge
of syntax errors) -> traversal (the semantic model's hooks, then every rule's, in one walk) ->
positions (only for reported nodes) -> suppress (`# noqa`). `lint.lint_source` runs them;
`lint.lint_notebook` runs them on a notebook's cells as one module and places findings by cell.
"""

from memlint.engine.lint import active_rules, lint_file, lint_notebook, lint_source

__all__ = ["active_rules", "lint_file", "lint_notebook", "lint_source"]
