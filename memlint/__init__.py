"""memlint: find memory anti-patterns in Python ML and data-science code, statically."""

__version__ = "0.1.0"
