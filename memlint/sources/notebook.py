"""Jupyter notebooks: the code cells in order as one Python module, and positions back to cells.

A notebook is linted as one module, as it runs: a name bound in cell 2 resolves in cell 5,
and the imports of the first cell govern the rest. IPython syntax is made inert first, line
for line, so every line of real code keeps its line and columns within its cell:

- line magics (`%matplotlib inline`), shell escapes (`!pip install x`) and help (`obj?`,
  `??obj`) become `pass` at the same indentation;
- `files = !ls` and `t = %time f()` keep their target and bind it to an unknown call, so the
  name exists but carries no origin;
- a cell magic whose body is Python (`%%time`, `%%timeit`, `%%capture`...) loses only its
  first line; any other cell magic (`%%bash`, `%%writefile`, `%%html`...) is not code.

A code cell that is still not valid Python is left out of the module (its lines are blank)
and gets one syntax error of its own; the other cells are linted. Cells are numbered as ruff
numbers them: 1-based, counting every cell (markdown and raw too), so "cell 3" is the third
cell a reader sees. The JSON is read with the standard library; outputs are dropped as they
are decoded, so a cell with a huge output never sits in memory decoded.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
import warnings
from typing import Dict, List, NamedTuple, Optional, Tuple

# Cell magics whose body is Python, run by IPython as a cell.
PYTHON_CELL_MAGICS = frozenset(
    "time timeit capture prun debug pypy python python3 memit mprun tensorboard".split()
)
# The name bound by `x = !cmd` / `x = %magic`: a call of something unknown, so the value
# has no origin and no known size.
MAGIC_VALUE = "__ipython_magic__()"

_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST
_TOP_LEVEL_AWAIT = 0x2000  # ast.PyCF_ALLOW_TOP_LEVEL_AWAIT: IPython runs `await` in a cell
_MAGIC_ASSIGN = re.compile(r"^(\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)[!%]")
_HELP = re.compile(r"^\s*(?:\?{1,2}[\w.]+|[\w.\[\]()'\"]+\?{1,2})\s*$")


class NotebookError(Exception):
    """The file is not a notebook memlint can read; the message says why."""


class NotebookSkip(Exception):
    """A valid notebook with nothing to lint as Python (another kernel's language)."""


class CellError(NamedTuple):
    cell: int  # 1-based, as printed
    line: int  # 1-based within the cell
    col: int  # 0-based
    message: str


class Notebook:
    """The code of a notebook as one module, with the map from its lines back to cells."""

    def __init__(self, source: str, lines: List[Tuple[int, int]], errors: List[CellError],
                 code_cells: int):
        self.source = source
        # Virtual line (1-based) -> (cell number, line within the cell); index 0 unused.
        self._lines = lines
        self.errors = errors
        self.code_cells = code_cells

    def cell_of(self, line: int) -> Tuple[int, int]:
        """(cell number, line within the cell) of a line of `source`."""
        if 1 <= line < len(self._lines):
            return self._lines[line]
        return self._lines[-1] if len(self._lines) > 1 else (1, 1)


def _drop_outputs(pairs):
    # Called for every JSON object as it is decoded, innermost first: a cell's outputs are
    # replaced as soon as the cell is built, before the next cell's are decoded.
    obj = dict(pairs)
    if "outputs" in obj and "cell_type" in obj:
        obj["outputs"] = []
    return obj


def read(data: bytes) -> Notebook:
    """The notebook in `data` (the file's bytes). Raises NotebookError or NotebookSkip."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NotebookError(f"not UTF-8 (notebooks are UTF-8 JSON): {e.reason} at byte {e.start}") from None
    del data
    try:
        nb = json.loads(text, object_pairs_hook=_drop_outputs)
    except (ValueError, RecursionError) as e:
        raise NotebookError(f"not valid JSON: {str(e)[:200]}") from None
    del text
    if not isinstance(nb, dict):
        raise NotebookError("not a notebook: the JSON is not an object")
    if "cells" not in nb:
        if "worksheets" in nb:
            raise NotebookError("nbformat 3 notebooks are not supported; convert it with "
                                "`jupyter nbconvert --to notebook --inplace`")
        raise NotebookError("not a notebook: no `cells`")
    cells = nb["cells"]
    if not isinstance(cells, list):
        raise NotebookError("not a notebook: `cells` is not a list")
    language = _language(nb.get("metadata"))
    if language is not None and language != "python":
        raise NotebookSkip(f"a {language} notebook, not Python")
    return _build(cells)


def _language(metadata) -> Optional[str]:
    if not isinstance(metadata, dict):
        return None
    info = metadata.get("language_info")
    if isinstance(info, dict) and isinstance(info.get("name"), str):
        return info["name"].lower()
    spec = metadata.get("kernelspec")
    if isinstance(spec, dict) and isinstance(spec.get("language"), str):
        return spec["language"].lower()
    return None


def cell_text(cell) -> Optional[str]:
    """A code cell's source as one string; None for any other cell or a malformed one."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    src = cell.get("source", "")
    if isinstance(src, str):
        return src
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        return "".join(src)
    return None


def _build(cells: list) -> Notebook:
    parts: List[str] = []
    lines: List[Tuple[int, int]] = [(0, 0)]
    errors: List[CellError] = []
    code_cells = 0
    for number, cell in enumerate(cells, 1):
        text = cell_text(cell)
        if text is None:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                errors.append(CellError(number, 1, 0, "the cell's `source` is neither a string nor a list of strings"))
            continue
        code_cells += 1
        cell_lines = text.splitlines()
        inert = inert_lines(cell_lines)
        body = "\n".join(inert) + "\n"
        problem = _syntax_error(body)
        if problem is not None:
            line, col, message = problem
            errors.append(CellError(number, line, col, message))
            inert = [""] * len(cell_lines)
        for i, line_text in enumerate(inert, 1):
            parts.append(line_text)
            lines.append((number, i))
    source = "\n".join(parts) + ("\n" if parts else "")
    return Notebook(source, lines, errors, code_cells)


def _syntax_error(body: str) -> Optional[Tuple[int, int, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(body, "<cell>", "exec", _ONLY_AST | _TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as e:
        return (e.lineno or 1, max((e.offset or 1) - 1, 0), e.msg or "invalid syntax")
    except (ValueError, MemoryError, RecursionError) as e:
        return (1, 0, f"{type(e).__name__}: {e}")
    return None


def inert_lines(lines: List[str]) -> List[str]:
    """The cell's lines with IPython syntax made inert; same count, code lines unchanged."""
    if not lines:
        return []
    first = lines[0].strip()
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        if name not in PYTHON_CELL_MAGICS:
            return [""] * len(lines)  # another language: not code
        lines = [""] + lines[1:]
    out: List[str] = []
    boundary = 0  # index in `out` where a logical line is known to start
    continued_magic = False
    for line in lines:
        if continued_magic:  # a magic continued with a backslash
            out.append("")
            continued_magic = line.rstrip().endswith("\\")
            boundary = len(out)
            continue
        stripped = line.lstrip()
        assign = None if stripped.startswith("#") else _MAGIC_ASSIGN.match(line)
        candidate = stripped.startswith(("%", "!")) or assign or _HELP.match(line)
        # Only a line that starts a logical line can be IPython syntax: not one inside an
        # open bracket or string. The check tokenizes since the last boundary, and runs only
        # for the rare lines that look like a magic.
        if candidate and _complete("\n".join(out[boundary:]) + "\n"):
            if assign and not stripped.startswith(("%", "!")):
                out.append(assign.group(1) + MAGIC_VALUE)
            else:
                out.append(line[: len(line) - len(stripped)] + "pass")
            continued_magic = line.rstrip().endswith("\\")
            boundary = len(out)
            continue
        out.append(line)
    return out


def _complete(text: str) -> bool:
    """Does `text` end a logical line (no open bracket, string or backslash continuation)?"""
    if text.rstrip("\n").endswith("\\"):
        return False
    try:
        for _ in tokenize.generate_tokens(io.StringIO(text).readline):
            pass
    except tokenize.TokenError:
        return False
    except (SyntaxError, ValueError):  # an indentation error and the like: the cell will say
        return True
    return True


def with_cell_sources(data: bytes, sources: Dict[int, str]) -> bytes:
    """The notebook `data` with the `source` of the cells numbered in `sources` replaced.

    Everything else (layout, key order, metadata, outputs) is kept: the notebook must dump
    back to its exact bytes before any change, or NotebookError is raised and nothing is
    rewritten.
    """
    text = data.decode("utf-8-sig")
    nb = json.loads(text)
    indent = _indent(text)
    ascii_only = "\\u" in text and not any(ord(c) > 127 for c in text)

    def dump(obj) -> str:
        return json.dumps(obj, indent=indent, ensure_ascii=ascii_only) + ("\n" if text.endswith("\n") else "")

    if dump(nb) != text:
        raise NotebookError("its JSON layout cannot be reproduced exactly; not rewritten")
    for number, new in sources.items():
        cell = nb["cells"][number - 1]
        old = cell.get("source", "")
        cell["source"] = new if isinstance(old, str) else new.splitlines(keepends=True)
    out = dump(nb).encode("utf-8")
    return (b"\xef\xbb\xbf" + out) if data.startswith(b"\xef\xbb\xbf") else out


def _indent(text: str) -> Optional[int]:
    m = re.search(r"\n( +)\"", text)
    return len(m.group(1)) if m else None
