"""`flake8 ARGS...`, timing memlint's plugin from inside the same process.

    bench/.work/venv-memlint/bin/python bench/flake8_timed.py --isolated -j 1 DIR

bench/run.py runs "flake8 + memlint" through this script. flake8 checks one file at a time
and calls memlint's plugin for each; the process CPU clock is read around every such call.
At exit the script writes to stderr one line, `memlint-plugin-cpu-s: X of Y`: the CPU seconds
spent in memlint's plugin and in the whole process. Since both parts run interleaved, file
by file, a machine that slows down for a minute slows both alike, so Y / (Y - X) is the cost
of adding the plugin to flake8 without the noise of comparing two processes minutes apart.
"""

from __future__ import annotations

import atexit
import sys
import time

from flake8.main.cli import main

from memlint.frontends import flake8 as flake8_plugin

_spent = [0.0]
_start = time.process_time()
_run = flake8_plugin.Flake8Plugin.run


def _timed_run(self):
    clock = time.process_time
    began = clock()
    try:
        findings = list(_run(self))  # run() is a generator: its work happens while listing
    finally:
        _spent[0] += clock() - began
    return iter(findings)


def _report() -> None:
    total = time.process_time() - _start
    print(f"memlint-plugin-cpu-s: {_spent[0]:.3f} of {total:.3f}", file=sys.stderr)


if __name__ == "__main__":
    flake8_plugin.Flake8Plugin.run = _timed_run
    atexit.register(_report)
    sys.argv[0] = "flake8"
    sys.exit(main())
