"""Lifetimes of names: where each use sits among its scope's statements, whether the object can
escape, which statements are long-running and which loops never end.

A `Recorder` rides the engine's single traversal. It keeps a tree of statement `Frame`s, each
with a start and end tick of one counter that also stamps every recorded name use, so "is this
use inside that loop" and "does this loop start after that use" are comparisons of integers.
For each use of a function- or module-scope name (as recorded by the semantic model) it
classifies where the object flows: kept somewhere (`escape`), maybe returned by a local
function (`alias-if`), or only read (`use`); and which callee it was handed to.

One recorder is shared by all the rules of a file that need it (`Recorder.attach`): the first
rule to attach drives it, the others only read it after the traversal (at `leave_Module`).
Rules get its hooks by deriving from `LifetimeHooks`.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from memlint.semantic.syntax import int_value
from memlint.semantic import methods
from memlint.semantic.bindings import dotted

# --- how an object flows out of an expression -------------------------------------------------

# Attributes that are small metadata: reading them keeps nothing alive. Any other attribute
# may be the object itself, a view or a part of it (`df.values`, `a.T`, `bunch.data`).
META_ATTRS = frozenset(
    "shape dtype dtypes ndim size nbytes itemsize columns index name names device is_cuda "
    "requires_grad empty nnz format strides flags".split()
)
# Methods that return the object itself, a view, or something that refers to it.
VIEW_METHODS = frozenset(
    "view view_as reshape reshape_as ravel transpose permute squeeze unsqueeze expand "
    "expand_as detach numpy contiguous t narrow select split chunk unbind unfold swapaxes "
    "moveaxis as_strided flatten diagonal to cpu cuda float double half type get pop values "
    "items keys setdefault groupby rolling expanding resample ewm iterrows itertuples "
    "iteritems head tail xs tocsr tocsc tocoo asformat pipe __getitem__ __iter__".split()
)
ARRAY_KINDS = ("dataframe", "series", "ndarray", "tensor", "sparse")
# Methods of another object that store their argument in it.
KEEPER_METHODS = methods.with_effect(methods.STORES)
KEEPER_FUNCS = frozenset(
    "builtins.setattr functools.partial functools.partialmethod threading.Thread "
    "threading.Timer multiprocessing.Process weakref.finalize atexit.register types.MethodType "
    "signal.signal".split()
)
# Calls that build a new container of the argument's elements: they keep those elements (the
# rows of an array, the objects of a list) but not a string or bytes object itself.
ELEMENT_FUNCS = frozenset(
    "builtins.list builtins.tuple builtins.dict builtins.set builtins.frozenset builtins.sorted "
    "builtins.next".split()
)
# Calls that return their argument, a view of it, or a lazy object that refers to it.
ALIAS_FUNCS = ELEMENT_FUNCS | frozenset(
    "builtins.iter builtins.zip builtins.map builtins.filter builtins.enumerate "
    "builtins.reversed builtins.memoryview builtins.getattr builtins.vars builtins.super "
    "numpy.asarray numpy.asanyarray numpy.ascontiguousarray numpy.asfortranarray "
    "numpy.atleast_1d numpy.atleast_2d numpy.atleast_3d numpy.squeeze numpy.reshape "
    "numpy.ravel numpy.transpose numpy.frombuffer numpy.lib.stride_tricks.as_strided "
    "torch.from_numpy torch.as_tensor torch.asarray copy.copy contextlib.closing".split()
)
# Callees that only read a list they are given (for the unbounded-buffer rule).
READER_FUNCS_PREFIXES = ("builtins.", "numpy.", "statistics.", "math.", "random.", "torch.",
                         "itertools.", "json.dump", "pickle.dump", "copy.", "collections.Counter")
READER_METHODS = frozenset(
    "join write writelines writerow writerows info debug warning error exception critical log "
    "format add_scalar add_histogram".split()
)
# Methods of str, dict, list and set that cost next to nothing: a loop calling only these
# (and builtins) is not long-running work.
CHEAP_METHODS = frozenset(
    "join format split rsplit strip lstrip rstrip lower upper title replace startswith endswith "
    "encode decode get items keys values append extend add update pop setdefault copy count "
    "index find rfind partition rpartition splitlines zfill ljust rjust center isdigit "
    "isalpha isalnum isspace discard remove insert".split()
)
# Methods (and operators) that make a list longer or shorter.
GROW_METHODS = methods.with_effect(methods.GROWS)
SHRINK_METHODS = methods.with_effect(methods.SHRINKS)


class Flow:
    """Where the value of one occurrence of a name goes."""

    __slots__ = ("flow", "via", "passed", "elements")

    def __init__(self, flow: str, via: Optional[str] = None, passed: Optional[str] = None,
                 elements: bool = False):
        self.flow = flow  # "use" | "escape" | "alias-if"
        self.via = via  # for alias-if: the local function that may return its argument
        self.passed = passed  # a callee that is not known to only read it
        # it flows on only as the elements of a new container (`sorted(set(text))`)
        self.elements = elements

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Flow({self.flow}, via={self.via!r}, passed={self.passed!r})"


def is_copy_index(semantic, sub: cst.Subscript) -> bool:
    """`x[[...]]`, `x[mask]`, `x[idx_array]`: pandas and numpy copy for these indexers."""
    for el in sub.slice:
        index = el.slice
        if not type(index) is cst.Index:
            continue
        v = index.value
        if type(v) in (cst.List, cst.ListComp, cst.Comparison):
            return True
        if type(v) is cst.UnaryOperation and type(v.operator) is cst.BitInvert:
            return True
        if type(v) is cst.BinaryOperation and isinstance(
            v.operator, (cst.BitAnd, cst.BitOr, cst.BitXor)
        ):
            return True
        if semantic.value_of(v).kind in ("list", "ndarray", "tensor", "series"):
            return True
    return False


def _is_local_function(semantic, func) -> Optional[str]:
    if type(func) is cst.Name:
        owner = semantic.lookup(func.value)
        if owner is not None and func.value not in owner.b.imports:
            return func.value
    return None


def flow_of(semantic, stack, i: int, root_name: Optional[str] = None) -> Flow:
    """Follow the value of the expression `stack[i]` outwards until it is dropped or kept.

    `stack` is the list of open nodes (root first). Attribute, subscript and method steps that
    can return the object itself or a view of it keep following; anything that builds a new
    object stops as a plain use. Bound, returned, yielded, stored in a container or handed to
    something that keeps its arguments: an escape.
    """
    expr = stack[i]
    via: Optional[str] = None
    passed: Optional[str] = None
    elements = False
    root = expr if type(expr) is cst.Name else None

    def result(flow: str) -> Flow:
        if flow == "escape" and via is not None:
            return Flow("alias-if", via, passed, elements)
        return Flow(flow, via, passed, elements)

    while i > 0:
        parent = stack[i - 1]
        if type(parent) is cst.Attribute and parent.value is expr:
            attr = parent.attr.value
            grand = stack[i - 2] if i > 1 else None
            if type(grand) is cst.Call and grand.func is parent:
                if attr in VIEW_METHODS or (attr.endswith("_") and not attr.startswith("_")) or (
                    # a shallow copy of a container shares its items; an array's copy (also of
                    # a slice of it: `raw[:, :64].copy()`) owns its data
                    attr == "copy" and (root is None or semantic.value_of(root).kind not in ARRAY_KINDS)
                ):
                    expr, i = grand, i - 2
                    continue
                return result("use")  # a method building a new object, or an unknown one
            if attr in META_ATTRS:
                return result("use")
            expr, i = parent, i - 1
            continue
        if type(parent) is cst.Subscript:
            if parent.value is expr:
                if is_copy_index(semantic, parent):
                    return result("use")
                expr, i = parent, i - 1
                continue
            return result("use")
        if isinstance(parent, (cst.Element, cst.StarredElement, cst.DictElement,
                               cst.StarredDictElement)):
            expr, i = stack[i - 2], i - 2  # kept by the container, key or value
            continue
        if type(parent) in (cst.List, cst.Tuple, cst.Set, cst.Dict):
            expr, i = parent, i - 1
            continue
        if type(parent) in (cst.ListComp, cst.SetComp, cst.GeneratorExp):
            if parent.elt is expr:
                expr, i = parent, i - 1
                continue
            return result("use")
        if type(parent) is cst.DictComp:
            if parent.key is expr or parent.value is expr:
                expr, i = parent, i - 1
                continue
            return result("use")
        if type(parent) in (cst.CompFor, cst.CompIf):
            return result("use")
        if type(parent) is cst.IfExp:
            if parent.test is expr:
                return result("use")
            expr, i = parent, i - 1
            continue
        if type(parent) is cst.BooleanOperation:
            expr, i = parent, i - 1
            continue
        if type(parent) is cst.Arg:
            call = stack[i - 2] if i > 1 else None
            if not type(call) is cst.Call:
                return result("escape")  # class bases, decorators' odd forms
            func = call.func
            qn = semantic.qualified_name(func)
            name = qn or dotted(func) or ""
            last = name.rpartition(".")[2]
            if type(func) is cst.Attribute and func.attr.value in KEEPER_METHODS:
                return result("escape")
            if qn in KEEPER_FUNCS:
                return result("escape")
            if last[:1].isupper() and any(c.islower() for c in last):
                return result("escape")  # a constructor may keep what it is given
            if qn in ALIAS_FUNCS or (qn or "").startswith("itertools."):
                elements = elements or qn in ELEMENT_FUNCS
                expr, i = call, i - 2
                continue
            if not _is_reader(qn, func):
                passed = passed or name or "?"
            local = None if qn else _is_local_function(semantic, func)
            if local is not None:
                via = via or local
                expr, i = call, i - 2
                continue
            return result("use")
        if type(parent) is cst.Call:
            return result("use")  # called, or a `*args` that is not an Arg: a plain use
        if type(parent) in (cst.Assign, cst.AnnAssign):
            if parent.value is not expr:
                return result("use")  # a target: stores into the object
            targets = [t.target for t in parent.targets] if type(parent) is cst.Assign else [
                parent.target
            ]
            if root_name is not None and all(
                type(t) is cst.Name and t.value == root_name for t in targets
            ):
                return result("use")  # `x = x.view(...)`: a rebinding of the same name
            return result("escape")
        if type(parent) is cst.AssignTarget:
            return result("use")
        if type(parent) is cst.AugAssign:
            return result("escape" if parent.value is expr else "use")
        if isinstance(parent, (cst.NamedExpr, cst.Return, cst.Yield, cst.From, cst.Lambda,
                               cst.Decorator, cst.Param)):
            return result("escape")
        if type(parent) is cst.WithItem:
            return result("escape" if parent.asname is not None else "use")
        if type(parent) is cst.Index:
            # used as an index: `d[x] = v` keeps x as a key
            holder = stack[i - 4] if i > 3 else None
            sub = stack[i - 3] if i > 2 else None
            if isinstance(holder, (cst.AssignTarget,)) and holder.target is sub:
                return result("escape")
            return result("use")
        return result("use")
    return result("use")


def _is_reader(qn: Optional[str], func) -> bool:
    if qn:
        return qn.startswith(READER_FUNCS_PREFIXES) and qn != "builtins.setattr"
    if type(func) is cst.Attribute and func.attr.value in READER_METHODS:
        return True
    return False


def unpacked_target(stack, i: int) -> bool:
    """Is `stack[i]` an element of a tuple or list that is assigned to (`a, b = ...`,
    `for i, x in ...`, `with f() as (a, b)`)?"""
    j = i
    while j > 1 and type(stack[j - 1]) in (cst.Element, cst.StarredElement) and isinstance(
        stack[j - 2], (cst.Tuple, cst.List)
    ):
        j -= 2
    if j == i or j < 1:
        return False
    holder = stack[j - 1]
    top = stack[j]
    return (
        type(holder) in (cst.AssignTarget, cst.AsName)
        or type(holder) in (cst.For, cst.CompFor) and holder.target is top
    )


def access_of(stack, i: int) -> Tuple[str, str]:
    """What the expression `stack[i]` (a Name or `self.x`) undergoes: like the semantic model's
    use kinds (store, del, aug, method, item-store, load), for any expression."""
    expr = stack[i]
    parent = stack[i - 1] if i > 0 else None
    if unpacked_target(stack, i):
        return "store", ""
    if type(parent) is cst.AssignTarget and parent.target is expr:
        return "store", ""
    if type(parent) is cst.AnnAssign and parent.target is expr:
        return "store", ""
    if type(parent) is cst.AugAssign and parent.target is expr:
        return "aug", type(parent.operator).__name__
    if type(parent) is cst.Del:
        return "del", ""
    if type(parent) in (cst.For, cst.CompFor) and parent.target is expr:
        return "store", ""
    if type(parent) is cst.Attribute and parent.value is expr:
        grand = stack[i - 2] if i > 1 else None
        if type(grand) is cst.Call and grand.func is parent:
            return "method", parent.attr.value
        return "attr", parent.attr.value
    if type(parent) is cst.Subscript and parent.value is expr:
        j = i - 1
        while j > 0 and type(stack[j - 1]) in (cst.Subscript, cst.Attribute) and (
            stack[j - 1].value is stack[j]
        ):
            j -= 1
        holder = stack[j - 1] if j > 0 else None
        top = stack[j]
        if type(holder) in (cst.AssignTarget, cst.AugAssign) and holder.target is top or (
            type(holder) is cst.AnnAssign and holder.target is top
        ) or type(holder) is cst.Del:
            return "item-store", ""
        return "subscript", ""
    return "load", ""


# --- statement frames -------------------------------------------------------------------------

_ARMS = (cst.Else, cst.ExceptHandler, cst.MatchCase) + (
    (cst.ExceptStarHandler,) if hasattr(cst, "ExceptStarHandler") else ()
)
_COMPOUND = (cst.If, cst.For, cst.While, cst.Try, cst.With, cst.FunctionDef, cst.ClassDef,
             cst.Match, cst.Finally) + ((cst.TryStar,) if hasattr(cst, "TryStar") else ())
_SMALL = tuple(
    getattr(cst, n)
    for n in ("Assign AnnAssign AugAssign Expr Return Del Raise Assert Pass Break Continue "
              "Import ImportFrom Global Nonlocal TypeAlias").split()
    if hasattr(cst, n)
)
FRAME_NODES = _SMALL + _COMPOUND + _ARMS


class Frame:
    """One statement (or an `else`/`except`/`case` arm) of a scope's body."""

    __slots__ = ("node", "parent", "scope", "kind", "arm", "start", "end", "in_body", "calls",
                 "heavy_inside", "heavy", "work", "exits", "forever")

    def __init__(self, node, parent: Optional["Frame"], scope, kind: str, arm: bool, start: int):
        self.node = node
        self.parent = parent
        self.scope = scope  # the semantic Scope whose code this statement is
        self.kind = kind  # "loop" | "def" | "arm" | "stmt"
        self.arm = arm  # an alternative branch: else, except, case, elif
        self.start = start
        self.end = 1 << 62  # until left
        self.in_body = False  # loops: the traversal has reached the body
        self.calls = False  # loops: the body calls something other than a builtin
        self.heavy_inside = False  # loops: the body holds long-running work
        self.heavy = False  # long-running work itself
        self.work = ""  # how to name that work in a message
        self.exits = False  # loops: a break or return leaves it
        # loops: why it may never end by itself - ("const",) `while True`, ("count",)
        # `for i in itertools.count()`, ("event",) `while not stop.is_set()`, ("flag", name,
        # id(owner scope)) `while running`, ("attr", name) `while self.running`; else None
        self.forever: Optional[tuple] = None

    def contains(self, tick: int) -> bool:
        return self.start < tick < self.end

    def chain(self) -> List["Frame"]:
        """This frame and its ancestors within the same scope, innermost first."""
        out = []
        f = self
        while f is not None and f.scope is self.scope:
            out.append(f)
            f = f.parent
        return out

    def loop_parent(self) -> Optional["Frame"]:
        f = self.parent
        while f is not None and f.scope is self.scope:
            if f.kind == "loop":
                return f
            f = f.parent
        return None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Frame({type(self.node).__name__}, {self.start}-{self.end}, heavy={self.heavy})"


class UseInfo:
    """Where one recorded use of a name sits and what it does (`kind`: the semantic model's use
    kind, with tuple-unpacking targets corrected to "store")."""

    __slots__ = ("node", "kind", "frame", "tick", "flow", "aug_op")

    def __init__(self, node, kind, frame, tick, flow, aug_op=""):
        self.node = node
        self.kind = kind
        self.frame = frame
        self.tick = tick
        self.flow = flow
        self.aug_op = aug_op


class AttrUse:
    """One access to `self.<attr>` inside a method."""

    __slots__ = ("attr", "node", "kind", "detail", "flow", "frame", "tick", "method", "value")

    def __init__(self, attr, node, kind, detail, flow, frame, tick, method, value):
        self.attr = attr
        self.node = node
        self.kind = kind
        self.detail = detail
        self.flow = flow
        self.frame = frame
        self.tick = tick
        self.method = method  # the method's FunctionDef node
        self.value = value  # for a store: the assigned expression


# Training entry points: a call to one of these is long-running work.
FIT_KEYWORDS = frozenset("epochs max_epochs num_epochs n_epochs steps_per_epoch "
                         "train_dataloaders datamodule".split())
TRAIN_FUNCS = frozenset("xgboost.train xgboost.cv lightgbm.train lightgbm.cv".split())
OPENERS = frozenset("builtins.open io.open gzip.open bz2.open lzma.open codecs.open".split())
# Methods Python makes static or class methods without a decorator.
IMPLICIT_CLASS_METHODS = frozenset("__new__ __init_subclass__ __class_getitem__".split())
_EXITS = frozenset("sys.exit builtins.exit builtins.quit os._exit os.abort".split())
_DYNAMIC = frozenset("builtins.locals builtins.vars builtins.eval builtins.exec".split())


class Recorder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.semantic = ctx.semantic
        self.driver = None
        self.tick = 0
        self.frames: List[Frame] = []  # open frames, outermost first
        self.frame_of: Dict[int, Frame] = {}  # id(statement node) -> its frame
        # id(parent frame), or id(scope) at a scope's top level -> start ticks of the
        # `return` and `raise` statements in that block
        self.endings: Dict[int, List[int]] = {}
        self.uses: Dict[int, UseInfo] = {}  # id(Name node) -> where it is and where it flows
        self.work: Dict[int, List[Frame]] = {}  # id(scope) -> long-running frames
        self.files: Set[Tuple[int, str]] = set()  # (id(scope), name) bound to an open file
        self.trainers: Set[Tuple[int, str]] = set()  # (id(scope), name) bound to a *Trainer(...)
        self.bool_names: Set[Tuple[int, str]] = set()  # names assigned True/False
        self.dynamic: Set[int] = set()  # id(scope) calling locals()/vars()/eval()/exec()
        self.returns_param: Set[str] = set()  # functions that may return an argument
        self.foreign: Set[Tuple[int, str]] = set()  # names also used through `nonlocal`
        self.self_names: Dict[int, str] = {}  # id(method scope) -> its `self` parameter
        # id(class scope) -> attribute -> accesses through `self`
        self.attrs: Dict[int, Dict[str, List[AttrUse]]] = {}
        self.touched_attrs: Set[str] = set()  # attributes shrunk or rebound on other objects
        self._positions = None

    @classmethod
    def attach(cls, ctx, rule) -> "Recorder":
        rec = getattr(ctx, "lifetime_recorder", None)
        if rec is None:
            rec = cls(ctx)
            ctx.lifetime_recorder = rec
        if rec.driver is None:
            rec.driver = rule
        return rec

    # --- frames ----------------------------------------------------------------------------
    @property
    def current(self) -> Optional[Frame]:
        return self.frames[-1] if self.frames else None

    def enter(self, node) -> None:
        sem = self.semantic
        self.tick += 1
        scope = sem.scope
        arm = False
        if type(node) in (cst.FunctionDef, cst.ClassDef):
            kind = "def"
            scope = scope.parent  # the model has already entered the new scope
        elif type(node) in (cst.For, cst.While):
            kind = "loop"
        elif isinstance(node, _ARMS):
            kind, arm = "arm", True
        else:
            kind = "stmt"
            if type(node) is cst.If:
                parent = self.ctx.stack[-2] if len(self.ctx.stack) > 1 else None
                arm = type(parent) is cst.If and parent.orelse is node
        frame = Frame(node, self.current, scope, kind, arm, self.tick)
        self.frames.append(frame)
        self.frame_of[id(node)] = frame
        if type(node) is cst.FunctionDef:
            self._enter_function(node)
        elif type(node) in (cst.Return, cst.Raise):
            self.endings.setdefault(_block_key(frame), []).append(frame.start)
            if type(node) is cst.Raise:
                self._exit_loops()

    def leave(self, node) -> None:
        frame = self.frames.pop()
        self.tick += 1
        frame.end = self.tick
        if frame.kind == "loop":
            self._leave_loop(frame)

    def _leave_loop(self, frame: Frame) -> None:
        node = frame.node
        if type(node) is cst.For:
            small = _small_iterable(self.semantic, node.iter)
            frame.heavy = frame.heavy_inside or (frame.calls and not small)
        else:
            frame.heavy = frame.heavy_inside or frame.calls
        frame.work = "loop"
        frame.forever = _forever(self.semantic, node, self.self_names.get(id(frame.scope)))
        if frame.heavy:
            self.work.setdefault(id(frame.scope), []).append(frame)
        outer = frame.loop_parent()
        if outer is not None:
            outer.calls = outer.calls or frame.calls
            outer.heavy_inside = outer.heavy_inside or frame.heavy

    def suite(self, node) -> None:
        frame = self.current
        if frame is not None and frame.kind == "loop" and len(self.ctx.stack) > 1 and (
            self.ctx.stack[-2] is frame.node
        ):
            frame.in_body = True

    def _body_loop(self) -> Optional[Frame]:
        """The innermost loop whose body the traversal is in, within the current scope."""
        f = self.current
        scope = f.scope if f is not None else None
        while f is not None and f.scope is scope:
            if f.kind == "loop" and f.in_body:
                return f
            if f.kind == "def":
                return None
            f = f.parent
        return None

    def _enter_function(self, node: cst.FunctionDef) -> None:
        sem = self.semantic
        scope = sem.scope
        if scope.parent is None or scope.parent.kind != "class" or not scope.params:
            return
        if node.name.value in IMPLICIT_CLASS_METHODS:
            return
        for dec in node.decorators:
            qn = sem.qualified_name(dec.decorator)
            if qn in ("builtins.staticmethod", "builtins.classmethod"):
                return
        self.self_names[id(scope)] = scope.params[0]

    # --- expressions -----------------------------------------------------------------------
    def name(self, node: cst.Name) -> None:
        sem = self.semantic
        last = sem.last_use
        if last is None or last[1].node is not node:
            return
        owner, use = last
        if node.value in owner.b.nonlocals:
            # The semantic model resolves a `nonlocal` name to the inner scope; the variable
            # really belongs to an enclosing function, which loses sight of this use.
            outer = owner.parent
            while outer is not None and not (outer.kind == "function" and outer.binds(node.value)):
                outer = outer.parent
            if outer is not None:
                self.foreign.add((id(outer), node.value))
            return
        if owner.kind not in ("function", "module"):
            return
        if owner.b.counts.get(node.value, 0) <= 1 and node.value in owner.params:
            return  # only ever a parameter (`self` above all): never a large local or a buffer
        frame = self.current
        self.tick += 1
        stack = self.ctx.stack
        kind = use.kind
        if kind == "load" and unpacked_target(stack, len(stack) - 1):
            kind = "store"
        if kind == "capture" or (owner is not sem.scope and kind == "store"):
            if not self._comprehension_only(owner):
                self.uses[id(node)] = UseInfo(node, kind, frame, self.tick, Flow("escape"))
                return
        if kind in ("store", "del"):
            flow = Flow("use")
        else:
            flow = flow_of(sem, stack, len(stack) - 1, node.value)
        aug_op = ""
        if kind == "aug":
            aug_op = type(stack[-2].operator).__name__
        self.uses[id(node)] = UseInfo(node, kind, frame, self.tick, flow, aug_op)

    def _comprehension_only(self, owner) -> bool:
        """Is every scope between here and `owner` a comprehension run on the spot?"""
        scope = self.semantic.scope
        stack = self.ctx.stack
        while scope is not None and scope is not owner:
            if scope.kind != "comprehension":
                return False
            if type(scope.node) is cst.GeneratorExp:
                # lazy: only safe when handed straight to a call (sum(...), any(...))
                for j in range(len(stack) - 1, 0, -1):
                    if stack[j] is scope.node:
                        if not type(stack[j - 1]) is cst.Arg:
                            return False
                        break
            scope = scope.parent
        return scope is owner

    def attribute(self, node: cst.Attribute) -> None:
        sem = self.semantic
        stack = self.ctx.stack
        i = len(stack) - 1
        value = node.value
        attr = node.attr.value
        if type(value) is cst.Name:
            owner = sem.lookup(value.value)
            self_name = self.self_names.get(id(owner)) if owner is not None else None
            if self_name == value.value and owner is not sem.scope:
                # `self.x` inside a lambda, comprehension or nested function: it may run at any
                # time, so the attribute is out of sight
                self.tick += 1
                per_class = self.attrs.setdefault(id(owner.parent), {})
                per_class.setdefault(attr, []).append(
                    AttrUse(attr, node, "opaque", "", Flow("escape"), self.current, self.tick,
                            owner.node, None)
                )
                return
            if self_name == value.value:
                kind, detail = access_of(stack, i)
                flow = Flow("use") if kind in ("store", "del") else flow_of(sem, stack, i)
                stored = None
                if kind == "store":
                    parent = stack[i - 1]
                    holder = stack[i - 2] if type(parent) is cst.AssignTarget else parent
                    stored = getattr(holder, "value", None)
                self.tick += 1
                per_class = self.attrs.setdefault(id(owner.parent), {})
                per_class.setdefault(attr, []).append(
                    AttrUse(attr, node, kind, detail, flow, self.current, self.tick, owner.node, stored)
                )
                return
        kind, detail = access_of(stack, i)
        if kind in ("store", "del", "item-store") or (kind == "method" and detail in SHRINK_METHODS) or (
            kind == "aug" and detail != "AddAssign"
        ):
            self.touched_attrs.add(attr)

    def call(self, node: cst.Call) -> None:
        sem = self.semantic
        frame = self.current
        if frame is None:
            return
        qn = sem.qualified_name(node.func)
        if qn in _DYNAMIC and sem.scope is not None:
            self.dynamic.add(id(sem.scope))
        if qn in _EXITS:
            self._exit_loops()
        loop = self._body_loop()
        if loop is not None and not (qn or "").startswith("builtins.") and not (
            type(node.func) is cst.Attribute and node.func.attr.value in CHEAP_METHODS
        ):
            loop.calls = True
        work = self._training_call(node, qn)
        if not work or frame.scope is not sem.scope or frame.kind == "def":
            return
        if frame.kind == "loop":
            frame.heavy_inside = True  # in the loop's own header
        elif not frame.heavy:
            frame.heavy = True
            frame.work = work
            self.work.setdefault(id(frame.scope), []).append(frame)
            if loop is not None:
                loop.heavy_inside = True

    def _training_call(self, node: cst.Call, qn: Optional[str]) -> str:
        if qn in TRAIN_FUNCS:
            return f"{qn}() call"
        func = node.func
        if not type(func) is cst.Attribute:
            return ""
        method = func.attr.value
        receiver = func.value
        trainer = False
        if type(receiver) is cst.Name:
            owner = self.semantic.lookup(receiver.value)
            trainer = owner is not None and (id(owner), receiver.value) in self.trainers
        rname = (dotted(receiver) or "").rpartition(".")[2].lower()
        trainer = trainer or rname.endswith("trainer")
        if method in ("fit_generator", "learn", "train_model"):
            return f"{method}() call"
        if method == "fit":
            positional = [a for a in node.args if a.keyword is None and not a.star]
            if trainer or len(positional) >= 2 or any(
                a.keyword is not None and a.keyword.value in FIT_KEYWORDS for a in node.args
            ):
                return "fit() call"
        if method == "train" and trainer:
            return "train() call"
        return ""

    def assign(self, node) -> None:
        """Leaving an assignment: remember open files, trainers and boolean flags."""
        sem = self.semantic
        value = node.value
        if value is None:
            return
        targets = [t.target for t in node.targets] if type(node) is cst.Assign else [node.target]
        names = [t for t in targets if type(t) is cst.Name]
        if not names:
            return
        kind = None
        if type(value) is cst.Call:
            qn = sem.qualified_name(value.func)
            if qn in OPENERS:
                kind = "file"
            elif qn and qn.rpartition(".")[2].endswith("Trainer"):
                kind = "trainer"
        elif type(value) is cst.Name and value.value in ("True", "False"):
            kind = "bool"
        if kind is None:
            return
        for t in names:
            owner = sem.lookup(t.value) or sem.scope
            key = (id(owner), t.value)
            {"file": self.files, "trainer": self.trainers, "bool": self.bool_names}[kind].add(key)

    def with_item(self, node: cst.WithItem) -> None:
        sem = self.semantic
        if node.asname is None or not type(node.asname.name) is cst.Name:
            return
        item = node.item
        if type(item) is cst.Call and sem.qualified_name(item.func) in OPENERS:
            name = node.asname.name.value
            owner = sem.lookup(name) or sem.scope
            self.files.add((id(owner), name))

    def _exit_loops(self) -> None:
        """Something here can leave every loop around it (return, raise, sys.exit())."""
        f = self.current
        scope = f.scope if f is not None else None
        while f is not None and f.scope is scope:
            if f.kind == "loop":
                f.exits = True
            f = f.parent

    def returns(self, node: cst.Return) -> None:
        sem = self.semantic
        scope = sem.scope
        if type(node.value) is cst.Name and scope is not None and scope.kind == "function":
            # `return df` of a parameter (even if rebound on the way): a caller may get its
            # own argument back.
            if node.value.value in scope.params:
                self.returns_param.add(scope.node.name.value)
        self._exit_loops()

    def brk(self, node) -> None:
        f = self.current
        scope = f.scope if f is not None else None
        while f is not None and f.scope is scope:
            if f.kind == "loop":
                f.exits = True
                return
            f = f.parent

    # --- queries after the traversal --------------------------------------------------------
    def store_tick(self, info: UseInfo) -> int:
        """When a store takes effect: after its whole assignment statement."""
        f = info.frame
        if f is not None and type(f.node) in (cst.Assign, cst.AnnAssign, cst.AugAssign):
            return f.end
        return info.tick

    def lines(self, nodes) -> Dict[int, Tuple[int, int]]:
        """(start line, end line) of each node, from one code generation pass per file."""
        if self._positions is None:
            self._positions = _all_positions(self.ctx.stack[0] if self.ctx.stack else None)
        out = {}
        for n in nodes:
            rng = self._positions.get(n)
            if rng is not None:
                out[id(n)] = (rng.start.line, rng.end.line)
        return out


def _block_key(frame: Frame) -> int:
    parent = frame.parent
    if parent is not None and parent.scope is frame.scope:
        return id(parent)
    return id(frame.scope)


def _forever(semantic, node, self_name: Optional[str]) -> Optional[tuple]:
    """Why the loop `node` has no end of its own, judged from its header alone."""
    if type(node) is cst.For:
        it = node.iter
        if not type(it) is cst.Call:
            return None
        qn = semantic.qualified_name(it.func)
        if qn in ("itertools.count", "itertools.cycle"):
            return ("count",)
        if qn == "itertools.repeat" and len(it.args) == 1 and it.args[0].keyword is None:
            return ("count",)
        return None
    test = node.test
    negated = False
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        test, negated = test.expression, True
    if type(test) is cst.Name:
        if test.value == "True" and not negated:
            return ("const",)
        if test.value in ("True", "False", "None"):
            return None
        owner = semantic.lookup(test.value)
        return ("flag", test.value, id(owner)) if owner is not None else None
    if type(test) is cst.Integer and not negated:
        return ("const",) if int_value(test) else None
    if type(test) is cst.Attribute and type(test.value) is cst.Name and (
        self_name is not None and test.value.value == self_name
    ):
        return ("attr", test.attr.value)
    if negated and type(test) is cst.Call and type(test.func) is cst.Attribute and (
        test.func.attr.value == "is_set" and not test.args
    ):
        return ("event",)
    return None


def _small_iterable(semantic, it) -> bool:
    """A `for` over a literal collection: an explicit handful of items (splits, columns)."""
    while type(it) is cst.Call and it.args and semantic.qualified_name(it.func) in (
        "builtins.enumerate", "builtins.reversed", "builtins.sorted"
    ):
        it = it.args[0].value
    return isinstance(it, (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.SimpleString,
                           cst.ConcatenatedString))


class _Recorded:
    __slots__ = ("_computed",)

    def __init__(self):
        self._computed = {}


def _all_positions(module) -> dict:
    if not type(module) is cst.Module:
        return {}
    from libcst.metadata.position_provider import PositionProvidingCodegenState

    recorder = _Recorded()
    state = PositionProvidingCodegenState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=recorder,
    )
    module._codegen(state)
    return recorder._computed


# --- the hooks a rule inherits ------------------------------------------------------------------


class LifetimeHooks:
    """Mix into a Rule (before `Rule`) to drive or share the file's `Recorder`."""

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self.lifetime = Recorder.attach(ctx, self)

    def visit_Name(self, node: cst.Name) -> None:
        if self.lifetime.driver is self:
            self.lifetime.name(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.lifetime.driver is self:
            self.lifetime.attribute(node)

    def visit_Call(self, node: cst.Call) -> None:
        if self.lifetime.driver is self:
            self.lifetime.call(node)

    def visit_IndentedBlock(self, node) -> None:
        if self.lifetime.driver is self:
            self.lifetime.suite(node)

    visit_SimpleStatementSuite = visit_IndentedBlock

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if self.lifetime.driver is self:
            self.lifetime.with_item(node)

    def visit_Break(self, node) -> None:
        if self.lifetime.driver is self:
            self.lifetime.enter(node)
            self.lifetime.brk(node)

    def visit_Return(self, node) -> None:
        if self.lifetime.driver is self:
            self.lifetime.enter(node)
            self.lifetime.returns(node)

    def leave_Assign(self, node) -> None:
        if self.lifetime.driver is self:
            self.lifetime.assign(node)
            self.lifetime.leave(node)

    leave_AnnAssign = leave_Assign


def _enter(self, node) -> None:
    if self.lifetime.driver is self:
        self.lifetime.enter(node)


def _leave(self, node) -> None:
    if self.lifetime.driver is self:
        self.lifetime.leave(node)


for _cls in FRAME_NODES:
    _n = _cls.__name__
    if not hasattr(LifetimeHooks, "visit_" + _n):
        setattr(LifetimeHooks, "visit_" + _n, _enter)
    if not hasattr(LifetimeHooks, "leave_" + _n):
        setattr(LifetimeHooks, "leave_" + _n, _leave)
del _cls, _n


# --- analyses ------------------------------------------------------------------------------------


class Lingering:
    """A binding whose object outlives its last use across long-running work."""

    __slots__ = ("last", "work", "del_after")

    def __init__(self, last, work, del_after):
        self.last = last  # the Name node of the last use
        self.work = work  # the long-running Frame
        self.del_after = del_after  # the Frame after which `del` belongs


def escapes(rec: Recorder, scope, name: str, flat: bool = False) -> Optional[bool]:
    """Can the object named `name` in `scope` be kept alive by something other than the name?

    `flat`: the object is a str or bytes, whose elements do not keep it alive. None when
    memlint cannot place every use of the name (stay silent)."""
    if (id(scope), name) in rec.foreign:
        return True
    for u in scope.uses.get(name, ()):
        info = rec.uses.get(id(u.node))
        if info is None:
            return None
        flow = info.flow
        if flat and flow.elements:
            continue
        if flow.flow == "escape" or (flow.flow == "alias-if" and flow.via in rec.returns_param):
            return True
    return False


def lingering(rec: Recorder, scope, name: str, bind: Frame, flat: bool = False) -> Optional[Lingering]:
    """The first long-running work that runs, in `scope`, after the last use of the object
    bound by the statement `bind`, while the name still holds it. `flat` as for `escapes`."""
    if id(scope) in rec.dynamic or escapes(rec, scope, name, flat) is not False:
        return None
    infos = [(u, rec.uses[id(u.node)]) for u in scope.uses.get(name, ())]
    kill = None
    window = []
    for u, info in infos:
        if info.kind in ("store", "del"):
            pos = rec.store_tick(info) if info.kind == "store" else info.tick
            if pos > bind.end and (kill is None or pos < kill):
                kill = pos
        elif info.tick > bind.end:
            window.append(info)
    if kill is not None:
        window = [i for i in window if i.tick < kill]
    if not window:
        return None
    last = max(window, key=lambda i: i.tick)
    if last.frame is None or last.frame.scope is not scope:
        return None
    ticks = [info.tick for _, info in infos]
    for work in sorted(rec.work.get(id(scope), ()), key=lambda f: f.start):
        if work.start < last.tick:
            continue
        if kill is not None and work.end > kill:
            return None  # rebound or deleted before (or while) the work runs
        chain_w = work.chain()
        # Inside a loop that uses the name: the next iteration needs it.
        if any(f.kind == "loop" and any(f.contains(t) for t in ticks) for f in chain_w[1:]):
            continue
        chain_l = last.frame.chain()
        on_w = {id(f) for f in chain_w}
        lca = next((f for f in chain_l if id(f) in on_w), None)
        below_l = chain_l[: chain_l.index(lca)] if lca is not None else chain_l
        below_w = chain_w[: chain_w.index(lca)] if lca is not None else chain_w
        if any(f.arm and f.parent is lca for f in below_w):
            continue  # another branch of the statement that holds the last use
        if not below_l:
            continue  # the last use is in the header of a statement around the work
        if any(
            f.end < t < work.start for f in below_l for t in rec.endings.get(_block_key(f), ())
        ):
            return None  # a `return` or `raise` after the last use: the work is not reached
        return Lingering(last.node, work, below_l[-1])
    return None



def endless(rec: Recorder, loop: Frame, class_attrs: Optional[Dict[str, List[AttrUse]]] = None) -> bool:
    """Does `loop` run until something outside it stops the program or the thread?

    `while True` / `itertools.count()` with no `break` or `return` inside; `while running`,
    `while not done` or `while self.running` on a flag assigned True/False somewhere and never
    inside the loop; `while not event.is_set()`.
    """
    if loop.exits or loop.forever is None:
        return False
    kind = loop.forever[0]
    if kind in ("const", "count", "event"):
        return True
    if kind == "flag":
        _, name, owner_id = loop.forever
        if (owner_id, name) not in rec.bool_names:
            return False
        scope = _scope_by_id(loop.scope, owner_id)
        if scope is None:
            return False
        for u in scope.uses.get(name, ()):
            info = rec.uses.get(id(u.node))
            kind = info.kind if info is not None else u.kind
            if kind in ("store", "del", "aug") and (info is None or loop.contains(info.tick)):
                return False
        return True
    if kind == "attr" and class_attrs is not None:
        accesses = class_attrs.get(loop.forever[1], ())
        flags = [a for a in accesses if a.kind == "store"]
        if not any(type(a.value) is cst.Name and a.value.value in ("True", "False") for a in flags):
            return False
        return not any(
            a.kind in ("store", "del", "aug", "opaque") and loop.contains(a.tick) for a in accesses
        )
    return False


def _scope_by_id(scope, owner_id: int):
    while scope is not None:
        if id(scope) == owner_id:
            return scope
        scope = scope.parent
    return None


def enclosing_endless(rec: Recorder, frame: Optional[Frame], after: int,
                      class_attrs=None) -> Optional[Frame]:
    """The innermost endless loop around `frame` (in its scope) that starts after tick `after`."""
    f = frame
    scope = frame.scope if frame is not None else None
    while f is not None and f.scope is scope:
        if f.kind == "loop" and f.start > after and endless(rec, f, class_attrs):
            return f
        f = f.parent
    return None
