"""Line and column of reported nodes, without generating code for the whole file.

libcst nodes carry no positions: they come from code generation, which libcst's
PositionProvider runs over the whole module. On a large file that one pass costs about as much
as parsing it, and memlint only needs the positions of the few nodes it reports.

libcst reproduces the source exactly, so the text generated for any node is the very text
that stands at its place in the source. For a reported node, memlint takes the innermost
node open when it was reported (then the next one out, and so on) and generates its text,
with the indentation of the blocks around it, recording positions relative to its start. If
that text occurs exactly once in the source, its offset anchors the relative positions;
otherwise the next enclosing node is tried. The module itself, the last resort, is the full
pass. Most findings are anchored by their own statement, or a smaller node, at a fraction
of the cost.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata.position_provider import PositionProvidingCodegenState

from memlint.engine.traversal import IS_NODE, child_fields, node_type

Position = Tuple[Tuple[int, int], Tuple[int, int]]  # ((line, column), (end_line, end_column))


class _Recorder:
    """Stands in for PositionProvider: the codegen state stores each node's range here."""

    __slots__ = ("_computed",)

    def __init__(self) -> None:
        self._computed: dict = {}


def _codegen(node: cst.CSTNode, module: cst.Module, indents: List[str]):
    recorder = _Recorder()
    state = PositionProvidingCodegenState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=recorder,
    )
    state.indent_tokens = list(indents)
    node._codegen(state)
    return "".join(state.tokens), recorder._computed


def _context_free(node: cst.CSTNode, parent: Optional[cst.CSTNode]) -> bool:
    """Does `node` render the same text alone as inside its parent (given the indentation)?

    Expressions and statements do, except the few whose rendering depends on a flag their
    parent passes: a starred element's default comma, an `elif` (an If rendered as `if`
    alone). Commas, parameters, annotations and small statements are never anchors.
    """
    if isinstance(node, cst.BaseExpression):
        return not isinstance(node, cst.StarredElement)
    if isinstance(node, cst.If):
        return not (isinstance(parent, cst.If) and parent.orelse is node)
    return isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))


def _unique_offset(source: str, text: str) -> int:
    """The offset of `text` in `source` if it occurs exactly once (overlaps counted), else -1."""
    if not text:
        return -1
    first = source.find(text)
    if first < 0 or source.find(text, first + 1) >= 0:
        return -1
    return first


def _line_col(source: str, offset: int) -> Tuple[int, int]:
    """1-based line and 0-based column of `offset`, counting newlines as libcst does."""
    prefix = source[:offset]
    crlf = prefix.count("\r\n")
    line = 1 + prefix.count("\n") + prefix.count("\r") - crlf
    start = max(prefix.rfind("\n"), prefix.rfind("\r")) + 1
    return line, offset - start


def full_positions(module: cst.Module, wanted: Iterable[int]) -> Dict[int, Position]:
    """Positions of the nodes whose ids are in `wanted`, from one pass over the whole module."""
    _, computed = _codegen(module, module, [])
    wanted = set(wanted)
    out = {}
    for node, rng in computed.items():
        if id(node) in wanted:
            out[id(node)] = ((rng.start.line, rng.start.column), (rng.end.line, rng.end.column))
    return out


def locate(
    module: cst.Module,
    source: str,
    requests: Sequence[Tuple[cst.CSTNode, Sequence[cst.CSTNode]]],
    search: bool = True,
) -> Dict[int, Position]:
    """Positions of reported nodes, keyed by id(node).

    Each request is a node and the stack of nodes that were open when it was reported (root
    first); the node is normally inside the innermost of them. A node outside its stack is
    found by a walk over the tree; one no enclosing node can anchor is located by one code
    generation pass over the whole module.
    """
    out: Dict[int, Position] = {}
    # id(anchor) -> (absolute start of its text or None when not unique, its recorded ranges)
    anchors: Dict[int, Tuple[Optional[Tuple[int, int]], dict]] = {}
    leftover: List[int] = []
    lost: set = set()  # leftovers inside none of the nodes of their stack
    default_indent = module.default_indent
    for node, stack in requests:
        key = id(node)
        if key in out:
            continue
        found = inside = False
        # Indentation pushed by the blocks enclosing each stack entry.
        indents: List[str] = []
        levels: List[List[str]] = []
        for n in stack:
            levels.append(list(indents))
            if isinstance(n, cst.IndentedBlock):
                indents.append(default_indent if n.indent is None else n.indent)
        for i in range(len(stack) - 1, 0, -1):  # stack[0] is the module: the fallback
            anchor = stack[i]
            if not _context_free(anchor, stack[i - 1]):
                continue
            entry = anchors.get(id(anchor))
            if entry is None:
                try:
                    text, computed = _codegen(anchor, module, levels[i])
                except Exception:  # some nodes render only inside their parent (Annotation)
                    text, computed = "", {}
                offset = _unique_offset(source, text)
                entry = (_line_col(source, offset) if offset >= 0 else None, computed)
                anchors[id(anchor)] = entry
            origin, computed = entry
            rng = computed.get(node)
            if rng is None:
                continue  # the node is not inside this one: try the next enclosing node
            inside = True
            if origin is None:
                continue  # text not unique in the file: a larger node will be
            line0, col0 = origin
            s, e = rng.start, rng.end
            out[key] = (
                (line0 + s.line - 1, col0 + s.column if s.line == 1 else s.column),
                (line0 + e.line - 1, col0 + e.column if e.line == 1 else e.column),
            )
            found = True
            break
        if not found:
            leftover.append(key)
            if not inside:
                lost.add(key)
    if leftover:
        wanted = lost
        if search and wanted:
            # Reported with no enclosing node open (from a rule's leave_Module, say): find where
            # the nodes are with one walk over the tree, far cheaper than generating its code.
            stacks = _find_stacks(module, wanted)
            retry = {}
            for node, _ in requests:
                if id(node) in wanted and id(node) in stacks:
                    retry[id(node)] = (node, stacks[id(node)])
            if retry:
                out.update(locate(module, source, list(retry.values()), search=False))
        missing = [k for k in leftover if k not in out]
        if missing:
            out.update(full_positions(module, missing))
    return out


def _find_stacks(module: cst.Module, wanted: set) -> Dict[int, tuple]:
    """For each node whose id is in `wanted`: the nodes from the module down to it."""
    found: Dict[int, tuple] = {}
    stack: List[cst.CSTNode] = []
    todo: list = [module]
    leave = object()
    while todo and len(found) < len(wanted):
        node = todo.pop()
        if node is leave:
            stack.pop()
            continue
        stack.append(node)
        if id(node) in wanted:
            found[id(node)] = tuple(stack)
        todo.append(leave)
        for name in reversed(child_fields(type(node))):
            value = getattr(node, name)
            kind = type(value)
            if kind is list or kind is tuple:
                for v in reversed(value):
                    if IS_NODE.get(type(v)) or (type(v) not in IS_NODE and node_type(type(v))):
                        todo.append(v)
            elif IS_NODE.get(kind) or (kind not in IS_NODE and node_type(kind)):
                todo.append(value)
    return found
