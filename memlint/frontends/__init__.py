"""Frontends: thin adapters that hand files to the engine and print what it found.

`cli` is `memlint` itself; `flake8` and `pylint` are the plugins for those hosts; `host`
holds what the plugins share (the settings a host passes, the per-file rule selection).
"""
