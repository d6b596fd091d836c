"""The module pylint loads: `load-plugins = ["memlint.pylint_plugin"]` (users write this name).

The checker itself is `memlint.frontends.pylint`.
"""

from memlint.frontends.pylint import MemlintChecker, register

__all__ = ["MemlintChecker", "register"]
