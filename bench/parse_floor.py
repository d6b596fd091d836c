"""The floor: a bare `libcst.parse_module` of every .py file under the given folder.

No linter built on libcst can check a file in less time than this, nor with less memory:
the peak is set by the largest file's tree. Run by bench/run.py as its own process.
"""

from __future__ import annotations

import os
import sys

import libcst


def main(root: str) -> int:
    parsed = failed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            try:
                libcst.parse_module(data)
                parsed += 1
            except Exception:
                failed += 1
    print(f"parsed {parsed} files, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
