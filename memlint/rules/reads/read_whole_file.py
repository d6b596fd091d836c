"""MEM102 read-whole-file."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import has_star_args, keyword, named_call, positional
from memlint.semantic.bindings import dotted, mentions
from memlint.semantic.values import FILE_OPENERS

_STRIPS = ("strip", "rstrip", "lstrip")
# Parameter annotations that say "a file object" (in-memory StringIO/BytesIO are not files).
FILE_TYPES = frozenset(
    "typing.IO typing.TextIO typing.BinaryIO io.TextIOWrapper io.BufferedReader "
    "io.BufferedRandom io.FileIO io.IOBase io.TextIOBase io.BufferedIOBase io.RawIOBase".split()
)
_WRITE_MODE = set("wax+")
_LOOPISH = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_BARRIERS = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)


def loop_key(stack: List[cst.CSTNode], top: int) -> cst.CSTNode:
    """The innermost node below stack[top] that decides how often stack[top] runs: a loop whose
    body (or comprehension whose element) holds it, else the enclosing function or module."""
    for i in range(top - 1, -1, -1):
        node, child = stack[i], stack[i + 1]
        if isinstance(node, _BARRIERS):
            return node
        if isinstance(node, cst.For) and child is node.body:
            return node
        if isinstance(node, cst.While) and child is not node.orelse:
            return node
        if isinstance(node, _LOOPISH[2:]) and not (
            child is node.for_in and i + 2 <= top and stack[i + 2] is node.for_in.iter
        ):
            return node
    return stack[0]


class _Candidate:
    __slots__ = ("scope", "name", "read", "what", "fix", "key", "binding_with", "file_name")

    def __init__(self, scope, name, read, what, fix, key, binding_with, file_name):
        self.scope, self.name, self.read, self.what, self.fix = scope, name, read, what, fix
        self.key, self.binding_with, self.file_name = key, binding_with, file_name


class ReadWholeFile(Rule):
    code = "MEM102"
    name = "read-whole-file"
    pylint_id = "W7711"
    message = "{what} reads the whole file into memory only to walk it line by line once; {fix}"
    summary = "A text file is read whole into a list of lines that is only iterated once."
    what = """
        Flags reading a whole text file only to loop over its lines once: `for line in
        f.readlines()`, and `lines = f.readlines()` (or `f.read().splitlines()`,
        `f.read().split("\\n")`, `Path(p).read_text().splitlines()`) when `lines` is then
        used exactly once, as the iterable of a `for` loop or comprehension (also through
        `enumerate`). `f` must be a file object memlint can vouch for: bound by
        `with open(...) as f` or `f = open(...)`, from the builtin `open` (not a shadowed
        one), `io.open`, `codecs.open`, `gzip.open`, `bz2.open`, `lzma.open`, `os.fdopen`,
        `pathlib.Path(...).open()`, `sys.stdin`, or a parameter annotated as a file
        (`typing.TextIO`, `typing.IO[str]`, `io.TextIOWrapper`...).
    """
    why = """
        `readlines()` builds a list holding every line of the file as a separate string
        object before the loop starts, so the peak is the whole file plus about 50 bytes of
        object overhead per line; `read().splitlines()` briefly holds the file twice, once as
        one string and once as lines. A file object is already an iterator over its lines:
        `for line in f` reads a buffer at a time and keeps one line alive, whatever the file
        size.
    """
    example = """
        with open("server.log") as f:
            for line in f.readlines():
                if "ERROR" in line:
                    print(line, end="")
    """
    use_instead = """
        with open("server.log") as f:
            for line in f:
                if "ERROR" in line:
                    print(line, end="")
    """
    limits = """
        Stays silent when the list is used any other way: indexed, sliced, measured with
        `len`, iterated twice, passed to a function, returned, reversed or sorted; when the
        name is bound more than once; and when the loop runs more often than the read (the
        list iterated inside a loop that does not contain the read). It is also silent when
        the loop body uses the file object itself (`next(f)`, `f.tell()`), since iterating
        the file would change what those see, and, for a list read from a file that is no
        longer open, when the function also writes files (the read-everything-then-rewrite
        idiom). Lines from `splitlines()` have no trailing newline and lines from a file
        keep it: strip them when switching. Parameters and attributes are not known to be
        files without a file annotation, so `def parse(f): f.readlines()` is not flagged.

        On by default: the finding is exact (the list really is built and walked once),
        the fix is a one-line change that never costs memory, and the silences above cover
        the idioms that need the list.
    """
    invalid = (
        "for line in open('words.txt').readlines():\n    print(line.strip())\n",
        "with open(p) as f:\n    lines = f.readlines()\n    for i, line in enumerate(lines):\n"
        "        print(i, line)\n",
        "from pathlib import Path\nfor row in Path(p).read_text().splitlines():\n    print(row)\n",
        "import gzip\nwith gzip.open(p, 'rt') as fh:\n    rows = fh.read().split('\\n')\n"
        "    n = sum(1 for r in rows if r)\n",
        "import sys\nfor line in sys.stdin.readlines():\n    print(line)\n",
        "def f(p):\n    with open(p) as src:\n        return [l.split(',') for l in src.readlines()]\n",
        "from typing import TextIO\ndef parse(fh: TextIO):\n    return {l.strip() for l in fh.readlines()}\n",
    )
    valid = (
        "with open(p) as f:\n    lines = f.readlines()\nprint(len(lines))\nfor l in lines:\n    print(l)\n",
        "with open(p) as f:\n    lines = f.readlines()\n    for l in lines[1:]:\n        print(l)\n",
        "with open(p) as f:\n    lines = f.readlines()\n    for l in lines:\n        print(l)\n"
        "    for l in lines:\n        print(l)\n",
        "def read(f):\n    for line in f.readlines():\n        print(line)\n",
        "import io\ndef read(f: io.StringIO):\n    for line in f.readlines():\n        print(line)\n",
        "def open(p):\n    return p\nfor line in open('x').readlines():\n    print(line)\n",
        "with open(p) as f:\n    for line in f.readlines():\n        print(f.tell())\n",
        "with open(p) as f:\n    head = f.readlines(1000)\nfor l in head:\n    print(l)\n",
        "lines = open(p).readlines()\nwith open(p, 'w') as out:\n    for line in lines:\n"
        "        out.write(line.upper())\n",
        "with open(p) as f:\n    lines = f.readlines()\nfor p in paths:\n    for l in lines:\n        print(p, l)\n",
        "with open(p) as f:\n    words = f.read().split()\nfor w in words:\n    print(w)\n",
    )
    # A line-list read, in a file that also names a file source: every opener memlint knows
    # is spelled with "open" (open, io.open, gzip.open, os.fdopen, Path.open), or it is
    # sys.stdin, Path.read_text or a file annotation (TextIO, IO[str], BufferedReader...).
    triggers = (r"(?s)\A(?=.*?(?:open|stdin|read_text|IO|Buffered))"
                r".*?(?:readlines|splitlines|split\(\s*['\"](?:\\r)?\\n)")
    needs = frozenset({"uses"})

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self._candidates: List[_Candidate] = []
        # id(Name used as a loop's iterable) -> (loop key, ids of enclosing `with`s, loop node)
        self._iterations: Dict[int, Tuple[cst.CSTNode, Set[int], cst.CSTNode]] = {}
        self._writes: Set[object] = set()  # scopes that open files for writing (kept alive)

    # --- what a whole-file read looks like -------------------------------------------------
    def _is_file(self, expr: cst.BaseExpression) -> bool:
        sem = self.ctx.semantic
        if sem.value_of(expr).kind == "file" or sem.qualified_name(expr) == "sys.stdin":
            return True
        return isinstance(expr, cst.Name) and self._file_parameter(expr.value)

    def _file_parameter(self, name: str) -> bool:
        """`def parse(f: TextIO)`: a parameter annotated as a file, never rebound."""
        scope = self.ctx.semantic.lookup(name)
        if scope is None or scope.kind != "function" or not scope.is_param(name) or (
            scope.b.counts.get(name) != 1
        ):
            return False
        params = scope.node.params
        for p in (*params.posonly_params, *params.params, *params.kwonly_params):
            if p.name.value == name and p.annotation is not None:
                ann = p.annotation.annotation
                if isinstance(ann, cst.Subscript):
                    ann = ann.value  # IO[str]
                return self.ctx.semantic.qualified_name(ann) in FILE_TYPES
        return False

    def _whole_read(self, expr) -> Optional[Tuple[str, cst.BaseExpression, str]]:
        """(description, file expression, fix) if `expr` reads a whole file into lines."""
        if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
            return None
        method, recv = expr.func.attr.value, expr.func.value
        if method == "readlines":
            if expr.args or not self._is_file(recv):
                return None  # readlines(hint) stops after about `hint` characters
            return named_call(recv, "readlines()"), recv, _iterate(recv)
        if method == "split":
            args = expr.args
            if len(args) != 1 or args[0].keyword is not None or not _is_newline(args[0].value):
                return None
        elif method != "splitlines" or has_star_args(expr):
            return None
        split = f".{method}({_source(expr.args[0].value) if expr.args else ''})"
        inner = recv
        if (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                and inner.func.attr.value in _STRIPS and not inner.args):
            split = f".{inner.func.attr.value}()" + split
            inner = inner.func.value
        if not isinstance(inner, cst.Call) or not isinstance(inner.func, cst.Attribute):
            return None
        reader, source = inner.func.attr.value, inner.func.value
        if reader == "read" and not inner.args and self._is_file(source):
            return named_call(source, f"read(){split}"), source, _iterate(source)
        if reader == "read_text" and self.ctx.semantic.value_of(source).kind == "path":
            return (named_call(source, f"read_text(){split}"), source,
                    "open the file and iterate the file object line by line")
        return None

    # --- the direct form: for line in f.readlines() ----------------------------------------
    def _iterable(self, it: cst.BaseExpression) -> cst.BaseExpression:
        """`enumerate(x)` iterates x once, like x itself."""
        if isinstance(it, cst.Call) and self.ctx.semantic.is_builtin(it.func, "enumerate"):
            args = positional(it)
            if len(args) == 1 and not has_star_args(it):
                return args[0].value
        return it

    def _check_direct(self, it: cst.BaseExpression, body: cst.CSTNode) -> None:
        it = self._iterable(it)
        found = self._whole_read(it)
        if found is None:
            return
        what, source, fix = found
        name = dotted(source)
        if name and mentions(body, {name.split(".")[0]}, skip=it):
            return  # the loop also reads the file object: iterating it would change that
        self.report(it, what=what, fix=fix)

    def visit_For(self, node: cst.For) -> None:
        self._check_direct(node.iter, node)
        self._record_iteration(node.iter, node, len(self.ctx.stack) - 1)

    def _visit_comp(self, node) -> None:
        for_in = node.for_in
        while for_in is not None:
            self._check_direct(for_in.iter, node)
            for_in = for_in.inner_for_in
        # Only the outermost iterable is evaluated once per evaluation of the comprehension.
        self._record_iteration(node.for_in.iter, node, len(self.ctx.stack) - 1)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comp

    # --- the named form: lines = f.readlines(); for line in lines -------------------------
    def _record_iteration(self, it, loop: cst.CSTNode, top: int) -> None:
        it = self._iterable(it)
        if isinstance(it, cst.Name):
            stack = self.ctx.stack
            withs = {id(n) for n in stack[:top] if isinstance(n, cst.With)}
            self._iterations[id(it)] = (loop_key(stack, top), withs, loop)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._candidate(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._candidate(node.target, node.value)

    def _candidate(self, target, value) -> None:
        if not isinstance(target, cst.Name):
            return
        found = self._whole_read(value)
        if found is None:
            return
        what, source, fix = found
        sem = self.ctx.semantic
        scope = sem.scope
        if sem.lookup(target.value) is not scope or scope.kind not in ("function", "module"):
            return
        stack = self.ctx.stack
        file_name = source.value if isinstance(source, cst.Name) else None
        binding_with = None
        if file_name is not None:  # the innermost open `with ... as <file_name>`
            for n in reversed(stack):
                if isinstance(n, cst.With) and any(
                    item.asname is not None and isinstance(item.asname.name, cst.Name)
                    and item.asname.name.value == file_name for item in n.items
                ):
                    binding_with = n
                    break
        self._candidates.append(_Candidate(
            scope, target.value, value, what, fix, loop_key(stack, len(stack) - 1),
            binding_with, file_name,
        ))

    def visit_Call(self, node: cst.Call) -> None:
        """Remember scopes that open files for writing (see `limits`)."""
        func = node.func
        sem = self.ctx.semantic
        scope = sem.scope
        while scope.kind not in ("function", "module") and scope.parent is not None:
            scope = scope.parent
        if isinstance(func, cst.Attribute) and func.attr.value in ("write_text", "write_bytes"):
            self._writes.add(scope)
            return
        if isinstance(func, cst.Attribute) and func.attr.value == "open" and (
            sem.value_of(func.value).kind == "path"
        ):
            mode_pos = 0  # Path.open(mode)
        elif sem.qualified_name(func) in FILE_OPENERS:
            mode_pos = 1
        else:
            return
        mode = keyword(node, "mode")
        args = positional(node)
        if mode is None and len(args) > mode_pos:
            mode = args[mode_pos]
        if mode is None:
            return
        text = _string(mode.value)
        if text is None or _WRITE_MODE & set(text):
            self._writes.add(scope)  # a write mode, or one memlint cannot read

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._settle(self.ctx.semantic.scope)

    def leave_Module(self, node: cst.Module) -> None:
        self._settle(self.ctx.semantic.scope)

    def _settle(self, scope) -> None:
        keep = []
        for c in self._candidates:
            if c.scope is scope:
                self._judge(c)
            else:
                keep.append(c)
        self._candidates = keep

    def _judge(self, c: _Candidate) -> None:
        scope = c.scope
        if scope.b.counts.get(c.name) != 1 or c.name in scope.b.globals | scope.b.nonlocals:
            return
        uses = [u for u in scope.uses.get(c.name, ()) if u.kind not in ("store", "del")]
        if len(uses) != 1 or id(uses[0].node) not in self._iterations:
            return
        key, withs, loop = self._iterations[id(uses[0].node)]
        if key is not c.key:
            return  # the list is iterated more often than it is read
        if c.binding_with is not None and id(c.binding_with) in withs:
            if c.file_name and mentions(loop, {c.file_name}, skip=uses[0].node):
                return
        elif scope in self._writes:
            return  # maybe read-then-rewrite: the file must be read before it is truncated
        self.report(c.read, what=c.what, fix=c.fix)


def _iterate(source: cst.BaseExpression) -> str:
    name = dotted(source)
    if name is None or len(name) > 40:
        return "iterate the file object instead"
    return f"iterate the file object instead (`for line in {name}:`)"


def _string(node: cst.BaseExpression) -> Optional[str]:
    """The value of a plain string literal, else None."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value  # literal_eval: may reject what the parser accepted
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def _is_newline(node: cst.BaseExpression) -> bool:
    return _string(node) in ("\n", "\r\n")


def _source(expr: cst.BaseExpression) -> str:
    return expr.value if isinstance(expr, cst.SimpleString) else "..."
