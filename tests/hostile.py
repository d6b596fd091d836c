"""A tree of hostile files, shared by the engine, CLI and plugin robustness tests.

`FILES` maps a relative path to (bytes, expected): expected is the set of (line, code) the
CLI must report for it. The good findings (MEM101 on `pd.read_csv(...)`) prove that a file
around which something is odd is still analysed, and on the right line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Set, Tuple

READ = b"df = pd.read_csv('a.csv').to_numpy()\n"
IMPORT = b"import pandas as pd\n"


def _lines(*parts: bytes) -> bytes:
    return b"".join(parts)


def _build() -> Dict[str, Tuple[bytes, Set[Tuple[int, str]]]]:
    f: Dict[str, Tuple[bytes, Set[Tuple[int, str]]]] = {}
    # --- not valid Python: one MEM001 each, nothing else -------------------------------------
    f["syntax/syntax_error.py"] = (IMPORT + b"def f(:\n    pass\n" + READ, {(2, "MEM001")})
    f["syntax/syntax_error_no_trigger.py"] = (b"def f(:\n    pass\n", {(1, "MEM001")})
    f["syntax/python2.py"] = (IMPORT + b"print 'hello'\nexec 'x = 1'\n" + READ, {(2, "MEM001")})
    f["syntax/unterminated_string.py"] = (IMPORT + b"x = 'abc\n" + READ, {(2, "MEM001")})
    f["syntax/unterminated_triple.py"] = (IMPORT + READ + b'x = """abc\n', {(3, "MEM001")})
    f["syntax/unexpected_indent.py"] = (IMPORT + b"def f():\n  x = 1\n    y = 2\n", {(4, "MEM001")})
    f["syntax/bad_dedent.py"] = (IMPORT + b"def f():\n    x = 1\n  y = 2\n", {(4, "MEM001")})
    f["syntax/tabs_and_spaces.py"] = (IMPORT + b"if x:\n\tif y:\n        pass\n", {(4, "MEM001")})
    f["syntax/null_bytes.py"] = (IMPORT + b"x = 1\x00\n" + READ, {(2, "MEM001")})
    f["syntax/too_many_parentheses.py"] = (
        IMPORT + b"x = " + b"(" * 1000 + b"1" + b")" * 1000 + b"\n" + READ, {(2, "MEM001")})
    f["syntax/too_many_blocks.py"] = (
        IMPORT + b"".join(b"    " * i + b"if a:\n" for i in range(120)) + b"    " * 120 + b"pass\n",
        {(102, "MEM001")})
    # --- encodings and line ends: analysed, findings on the right lines ---------------------
    f["encodings/latin1_cookie.py"] = (
        b"# -*- coding: latin-1 -*-\n" + IMPORT + b"s = '\xe9t\xe9'\n" + READ, {(4, "MEM101")})
    f["encodings/bom.py"] = (b"\xef\xbb\xbf" + IMPORT + READ, {(2, "MEM101")})
    f["encodings/bom_with_other_cookie.py"] = (b"\xef\xbb\xbf# coding: latin-1\n" + IMPORT + READ,
                                               {(1, "MEM001")})
    f["encodings/invalid_utf8.py"] = (IMPORT + b"x = '\xff\xfe'\n" + READ, {(1, "MEM001")})
    f["encodings/unknown_codec.py"] = (b"# coding: klingon\n" + IMPORT + READ, {(1, "MEM001")})
    f["encodings/crlf.py"] = (IMPORT.replace(b"\n", b"\r\n") + READ.replace(b"\n", b"\r\n"),
                              {(2, "MEM101")})
    f["encodings/cr_only.py"] = (IMPORT.replace(b"\n", b"\r") + READ.replace(b"\n", b"\r"),
                                 {(2, "MEM101")})
    f["encodings/mixed_line_ends.py"] = (b"import pandas as pd\r\nx = 1\r" + READ + b"y = 2\r\n" + READ,
                                         {(3, "MEM101"), (5, "MEM101")})
    f["encodings/form_feeds.py"] = (
        IMPORT + b"\x0c\n" + READ + b"\x0cdef f():\n\x0c    return pd.read_csv('b.csv')  # noqa: MEM101\n"
        + b"g = pd.read_csv('c.csv').to_numpy()\n",
        {(3, "MEM101"), (6, "MEM101")})
    f["encodings/tabs.py"] = (IMPORT + b"if True:\n\tdf = pd.read_csv('a.csv').to_numpy()\n\tif df:\n\t\tx = 1\n",
                              {(3, "MEM101")})
    f["encodings/no_final_newline.py"] = (IMPORT + READ.rstrip(b"\n"), {(2, "MEM101")})
    f["encodings/empty.py"] = (b"", set())
    # --- size and depth ---------------------------------------------------------------------
    f["size/big_string.py"] = (IMPORT + b"DATA = '''" + b"0123456789abcdef\n" * 250_000 + b"'''\n" + READ,
                               {(250_003, "MEM101")})
    f["size/many_lines.py"] = (IMPORT + b"".join(b"x%d = %d * 2\n" % (i, i) for i in range(3000)) + READ,
                               {(3002, "MEM101")})
    f["size/long_expression.py"] = (IMPORT + b"total = " + b" + ".join([b"a"] * 1000) + b"\n" + READ,
                                    {(3, "MEM101")})
    f["size/long_elif_chain.py"] = (
        IMPORT + b"if a == -1:\n    pass\n" + b"".join(b"elif a == %d:\n    pass\n" % i for i in range(2000))
        + b"else:\n    " + READ, {(4005, "MEM101")})
    f["size/long_string_concatenation.py"] = (
        IMPORT + b"df = pd.read_csv(" + b" ".join([b"'a'"] * 2500) + b").to_numpy()\n", {(2, "MEM101")})
    f["size/nested_99_blocks.py"] = (
        IMPORT + b"".join(b" " * i + b"if a:\n" for i in range(99)) + b" " * 99 + READ, {(101, "MEM101")})
    f["size/huge_and_chain.py"] = (IMPORT + b"x = " + b" and ".join([b"a"] * 20000) + b"\n" + READ,
                                   {(2, "MEM004")})
    f["size/deep_unary.py"] = (IMPORT + b"x = " + b"-" * 100_000 + b"a\n" + READ, {(2, "MEM004")})
    f["size/huge_elif_chain.py"] = (
        IMPORT + b"if a:\n    pass\n" + b"elif a:\n    pass\n" * 20000, {(6004, "MEM004")})
    f["size/deep_fstring.py"] = (
        IMPORT + b'x = f"{' + b"(" * 300_000 + b"1" + b")" * 300_000 + b'}"\n' + READ, {(2, "MEM004")})
    # No rule's trigger may rescan this line from every `for` (quadratic).
    f["size/long_minified_line.py"] = (b"# " + b"for x in y " * 50_000 + b"\n", set())
    # --- paths --------------------------------------------------------------------------------
    f["paths/folder.py/inner.py"] = (IMPORT + READ, {(2, "MEM101")})
    f["paths/notebook.ipynb"] = (b'{"cells": [{"source": ["import pandas as pd"]}]}', set())
    return f


FILES = _build()
GOOD = {name for name, (_, expected) in FILES.items() if any(c == "MEM101" for _, c in expected)}


def make_tree(root: Path, fifo: bool = True) -> Path:
    """Write FILES under root/hostile and add the special paths (links, and a FIFO unless
    `fifo` is false: flake8 and pylint would open it and wait forever)."""
    top = root / "hostile"
    for name, (data, _) in FILES.items():
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    paths = top / "paths"
    os.symlink("does-not-exist.py", paths / "broken_link.py")
    os.symlink("link_loop.py", paths / "link_loop.py")
    if fifo and hasattr(os, "mkfifo"):
        os.mkfifo(paths / "fifo.py")
    return top


def expected_by_file(top: Path) -> Dict[str, Set[Tuple[int, str]]]:
    return {str(top / name): expected for name, (_, expected) in FILES.items()
            if name.endswith(".py")}
