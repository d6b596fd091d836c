"""MEM501 lingering-large-object."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from memlint.model import line_ref
from memlint.rule import Rule
from memlint.semantic.syntax import (int_value, is_false, is_none, is_true, keyword, positional,
                                     shape_size, short_name)
from memlint.semantic.lifetime import ARRAY_KINDS, OPENERS, LifetimeHooks, is_copy_index, lingering
from memlint.semantic.values import PANDAS_READERS

# Calls whose result is, in ML code, a whole data set or model in memory.
LOADERS = frozenset(
    "numpy.load numpy.loadtxt numpy.genfromtxt numpy.fromfile torch.load pickle.load "
    "pickle.loads joblib.load dill.load cloudpickle.load scipy.sparse.load_npz scipy.io.loadmat "
    "pandas.concat pandas.merge numpy.concatenate numpy.stack numpy.vstack numpy.hstack "
    "numpy.dstack torch.cat torch.stack".split()
)
ALLOCATORS = frozenset(
    "numpy.zeros numpy.ones numpy.empty numpy.full torch.zeros torch.ones torch.empty "
    "torch.full torch.rand torch.randn numpy.random.rand numpy.random.randn".split()
)
FILE_CONTENTS = "the whole contents of a file"
ORIGIN_LINE = "{origin-line}"  # in a description: the line of the call it names
LABELS = {"dataframe": "frame", "series": "series", "ndarray": "array", "tensor": "tensor",
          "sparse": "sparse matrix"}
SHAPE_FIRST = frozenset("numpy.zeros numpy.ones numpy.empty numpy.full torch.full".split())
LARGE_ELEMENTS = 10_000_000  # a constant-shape allocation from this many elements on
# Methods of a large frame or array whose result is small (summaries, a few rows).
SMALL_RESULTS = frozenset(
    "head tail describe corr cov nlargest nsmallest sample agg aggregate count nunique "
    "value_counts info memory_usage".split()
)


class LingeringLargeObject(LifetimeHooks, Rule):
    code = "MEM501"
    name = "lingering-large-object"
    pylint_id = "W7750"
    message = (
        "{name} ({what}) is not used after line {last} but stays alive during the {work} at "
        "line {work_line}; add `del {name}` after line {del_line}"
    )
    summary = "A large object stays bound to a name through long-running work after its last use."
    default = False
    what = """
        Flags a name bound to a large object - a pandas reader's frame, `np.load`,
        `torch.load`, `pickle.load` or `joblib.load` result, the whole contents of a file
        (`f.read()`), a large constant-shape allocation, or a new frame or array computed from
        one of these - when the object's last use is followed, in the same function or module,
        by long-running work while the name still holds it: a loop that calls something, or a
        training call (`model.fit(X, y)`, `trainer.train()`, `model.learn(...)`,
        `xgb.train(...)`). The finding is reported at the binding; the message says where
        `del name` frees the memory.
    """
    why = """
        CPython frees an object as soon as its last reference goes, but a local or global name
        is a reference until it is deleted, rebound or its function returns. A raw frame kept
        around after the feature matrix was built from it occupies memory for the whole
        training loop, and it is exactly then that the batches, activations and gradients need
        room: the peak is the sum of both. `del raw` (or rebinding the name) right after the
        last use gives that memory back before the long part starts.
    """
    example = """
        import numpy as np
        import pandas as pd

        raw = pd.read_csv("train.csv")
        X = raw[FEATURES].to_numpy(dtype=np.float32)
        y = raw["label"].to_numpy()
        for epoch in range(100):
            model.train_epoch(X, y)
    """
    use_instead = """
        import numpy as np
        import pandas as pd

        raw = pd.read_csv("train.csv")
        X = raw[FEATURES].to_numpy(dtype=np.float32)
        y = raw["label"].to_numpy()
        del raw
        for epoch in range(100):
            model.train_epoch(X, y)
    """
    limits = """
        Off by default: memlint sees neither the data's size nor how long the later work
        takes, and a script that keeps a small CSV around is not wrong. Select MEM501 for
        training scripts and pipelines where peak memory matters.

        Silent whenever something else may keep the object alive, since `del` would then
        free nothing: the name is returned, yielded, bound to another name, stored in an
        attribute or container, captured by a closure, a lambda or `nonlocal`, declared
        `global`, handed to a constructor (`TensorDataset(X)`, `pd.DataFrame(arr)`) or to
        something that stores it (`.append`, `functools.partial`), wrapped by something that
        shares its memory (`np.asarray`, `torch.from_numpy`), or kept through a view or a
        part of it (`.values`, a slice, `df["col"]`, `.reshape(...)`); or passed to a
        function of the same file that returns one of its parameters. The results of other
        calls, including other project functions and methods, are taken to be new objects.

        Silent too when the object is used inside the work, when the last use is inside a
        loop whose next iteration needs it, when the name is deleted or rebound first, when
        the work is in another branch than the last use or a `return` or `raise` comes
        first, and in scopes that call `locals()`, `vars()`, `eval()` or `exec()`.

        Long-running work is a loop that calls something other than builtins and cheap str,
        list and dict methods (a loop over a literal collection counts only with a training
        call inside), or a training call: `.fit()` with two positional arguments or an
        epochs keyword, `.fit_generator()`, `.learn()`, `.train_model()`, `xgboost.train`,
        `lightgbm.train`, and `.train()` or `.fit()` on an object made by a `...Trainer(...)`
        class or on a name ending in `trainer`. Not large: `np.load` of a `.npz` or with
        `mmap_mode`, `torch.load(mmap=True)`, readers given `chunksize`, `iterator` or
        `nrows`, and constant-shape allocations under 10 million elements.
    """
    invalid = (
        # np.load result lingers through an epoch loop inside a function
        "import numpy as np\n"
        "def train(model, path, epochs):\n"
        "    data = np.load(path)\n"
        "    X = data[:, 1:] / 255.0\n"
        "    for epoch in range(epochs):\n"
        "        model.step(X)\n",
        # a checkpoint dict kept during training
        "import torch\n"
        "def resume(model, opt, path, loader):\n"
        "    ckpt = torch.load(path)\n"
        "    model.load_state_dict(ckpt['model'])\n"
        "    opt.load_state_dict(ckpt['opt'])\n"
        "    for batch in loader:\n"
        "        opt.step(model(batch))\n",
        # whole file text kept while training (char-level language model)
        "import torch\n"
        "text = open('input.txt').read()\n"
        "data = torch.tensor(encode(text))\n"
        "for it in range(max_iters):\n"
        "    step(data)\n",
        # a training call
        "import pandas as pd\n"
        "def fit(model, path):\n"
        "    df = pd.read_parquet(path, columns=COLS)\n"
        "    X, y = featurize(df)\n"
        "    model.fit(X, y)\n"
        "    return model\n",
        # the last use inside a branch, the work after it
        # (a returning branch, by contrast, never reaches the work: see valid)
        "import pickle\n"
        "with open(p, 'rb') as f:\n"
        "    blob = pickle.load(f)\n"
        "if check:\n"
        "    validate(blob)\n"
        "while not done:\n"
        "    done = serve()\n",
    )
    valid = (
        # deleted before the loop
        "import numpy as np\n"
        "data = np.load(p)\nX = data / 255.0\ndel data\nfor e in range(n):\n    step(X)\n",
        # rebound before the loop
        "import numpy as np\n"
        "data = np.load(p)\nX = data / 255.0\ndata = None\nfor e in range(n):\n    step(X)\n",
        # used inside the loop
        "import numpy as np\n"
        "data = np.load(p)\nfor e in range(n):\n    step(data)\n",
        # returned after the work
        "import pandas as pd\n"
        "def f(p):\n    df = pd.read_csv(p)\n    X = prep(df)\n    for e in range(9):\n        fit(X)\n    return df\n",
        # a view of it survives
        "import numpy as np\n"
        "data = np.load(p)\nX = data[:, 1:]\nfor e in range(n):\n    step(X)\n",
        # handed to a constructor that keeps it
        "import torch\n"
        "t = torch.load(p)\nds = TensorDataset(t)\nfor b in DataLoader(ds):\n    step(b)\n",
        # captured by a closure
        "import pandas as pd\n"
        "def f(p):\n    df = pd.read_csv(p)\n    get = lambda: df\n    for e in range(n):\n        step(get)\n",
        # loop-carried: the next iteration uses it
        "import numpy as np\n"
        "base = np.load(p)\nfor e in range(n):\n    x = base + 1\n    for b in loader:\n        step(b)\n",
        # the loop does nothing long-running
        "import pandas as pd\n"
        "df = pd.read_csv(p)\nX = prep(df)\nfor name in ['a', 'b']:\n    print(name)\n",
        # lazy .npz archive and memory-mapped arrays are not held in memory
        "import numpy as np\n"
        "arc = np.load('data.npz')\nX = arc['x']\nfor e in range(n):\n    step(X)\n",
        # another branch
        "import numpy as np\n"
        "data = np.load(p)\nif quick:\n    report(data.mean())\nelse:\n    for e in range(n):\n        step()\n",
        # the branch holding the last use returns before the work
        "import pickle\n"
        "def load(f, cache):\n"
        "    data = pickle.load(f)\n"
        "    if cache:\n"
        "        use(data)\n"
        "        return\n"
        "    for x in xs:\n"
        "        step(x)\n",
        # passed to a local function that returns its argument
        "import pandas as pd\n"
        "def clean(df):\n    df['a'] = 1\n    return df\n"
        "raw = pd.read_csv(p)\nframe = clean(raw)\nfor e in range(n):\n    step(frame)\n",
    )
    triggers = (
        r"\b(?:read\w*|\w*load\w*|genfromtxt|fromfile|zeros|ones|empty|full|randn?|concat\w*|merge|\w*stack|cat|"
        r"toarray|todense)\b"
    )
    needs = frozenset({"uses"})

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self._candidates: List[tuple] = []
        # (scope id, name) -> the large object bound to it so far, as (what it is, the call
        # that made it, whether the name holds that call's result itself): a later object
        # computed from the name is described by it.
        self._held: Dict[Tuple[int, str], Tuple[str, cst.CSTNode, bool]] = {}

    def leave_Assign(self, node: cst.Assign) -> None:
        self._candidate(node, [t.target for t in node.targets])
        super().leave_Assign(node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._candidate(node, [node.target])
        super().leave_AnnAssign(node)

    def _candidate(self, node, targets) -> None:
        if len(targets) != 1 or not isinstance(targets[0], cst.Name):
            return
        sem = self.ctx.semantic
        scope = sem.scope
        name = targets[0].value
        if scope is None or scope.kind not in ("function", "module") or sem.lookup(name) is not scope:
            return
        if name in scope.b.globals or name in scope.b.nonlocals:
            return
        found = self._large(node.value)
        if found is None:
            self._held.pop((id(scope), name), None)
            return
        what, origin, source = found
        if source is not None:
            self._held[(id(scope), name)] = source
        frame = self.lifetime.frame_of.get(id(node))
        if frame is not None:
            self._candidates.append((scope, name, targets[0], frame, what, origin))

    def _large(self, expr) -> Optional[Tuple[str, Optional[cst.CSTNode], Optional[tuple]]]:
        """What large object `expr` evaluates to, or None: (its description, the node whose
        line the description's ORIGIN_LINE stands for, what a name bound to it holds)."""
        sem = self.ctx.semantic
        if isinstance(expr, cst.Call):
            qn = sem.qualified_name(expr.func)
            if qn:
                module, _, func = qn.rpartition(".")
                if module == "pandas" and func in PANDAS_READERS:
                    if any(keyword(expr, k) is not None and not is_none(keyword(expr, k).value)
                           and not is_false(keyword(expr, k).value)
                           for k in ("chunksize", "iterator", "nrows")):
                        return None
                    return _source(f"the frame read by `{short_name(qn)}()`", expr)
                if qn in LOADERS:
                    what = self._loader(qn, expr)
                    return _source(what, expr) if what else None
                if qn in ALLOCATORS:
                    what = self._allocation(qn, expr)
                    return _source(what, expr) if what else None
                return None
            func = expr.func
            if isinstance(func, cst.Attribute):
                method = func.attr.value
                if method in ("read", "read_bytes", "read_text") and self._whole_file(expr):
                    return FILE_CONTENTS, None, None
                if method == "readlines" and self._whole_file(expr):
                    return "every line of a file", None, None
                if method in SMALL_RESULTS:
                    return None
        if isinstance(expr, cst.Subscript) and not is_copy_index(sem, expr):
            return None  # a view, or one column
        if isinstance(expr, (cst.Call, cst.BinaryOperation, cst.Subscript)):
            v = sem.value_of(expr)
            if v.large and (v.fresh or isinstance(expr, cst.Subscript)) and v.kind in ARRAY_KINDS:
                return self._computed(expr, LABELS[v.kind])
        return None

    def _computed(self, expr, label: str):
        """A new frame or array computed from a large one, described by where that one comes
        from: "a copy of the frame read by `pd.read_csv()`", "an array computed from `raw`,
        the frame read by `pd.read_csv()` at line 3"."""
        sem = self.ctx.semantic
        if (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                and expr.func.attr.value == "copy"):
            how = "a copy of"
        else:
            how = f"{'an' if label[0] in 'aeiou' else 'a'} {label} computed from"
        node = expr
        while True:
            if isinstance(node, cst.Call):
                qn = sem.qualified_name(node.func)
                if qn is not None and qn.rpartition(".")[0] == "pandas" and (
                        qn.rpartition(".")[2] in PANDAS_READERS):
                    what = f"the frame read by `{short_name(qn)}()`"
                    return f"{how} {what}", None, (what, node, False)
                if qn in LOADERS:
                    what = f"the result of `{short_name(qn)}()`"
                    return f"{how} {what}", None, (what, node, False)
                if isinstance(node.func, cst.Attribute):
                    node = node.func.value  # a method of the large object
                    continue
                large = [a.value for a in positional(node) if sem.value_of(a.value).large]
                if not large:
                    break
                node = large[0]  # np.log1p(X): computed from its argument
            elif isinstance(node, cst.Subscript):
                node = node.value
            elif isinstance(node, cst.BinaryOperation):
                node = node.left if sem.value_of(node.left).large else node.right
            elif isinstance(node, cst.Name):
                scope = sem.lookup(node.value)
                held = self._held.get((id(scope), node.value)) if scope is not None else None
                if held is None:
                    return f"{how} `{node.value}`", None, None
                what, origin, itself = held
                via = what if itself else f"computed from {what}"
                return (f"{how} `{node.value}`, {via} at line {ORIGIN_LINE}", origin,
                        (what, origin, False))
            else:
                break
        return f"{how} a large one", None, None

    def _loader(self, qn: str, call: cst.Call) -> Optional[str]:
        if qn == "numpy.load" or qn == "joblib.load":
            mm = keyword(call, "mmap_mode")
            if mm is not None and not is_none(mm.value):
                return None
            args = positional(call)
            if len(args) > 1:
                return None  # mmap_mode given positionally
            src = args[0].value if args else None
            if isinstance(src, cst.SimpleString) and src.evaluated_value.endswith(".npz"):
                return None  # a lazy NpzFile: arrays are read when indexed
        if qn == "torch.load":
            mm = keyword(call, "mmap")
            if mm is not None and is_true(mm.value):
                return None
        return f"the result of `{short_name(qn)}()`"

    def _allocation(self, qn: str, call: cst.Call) -> Optional[str]:
        args = positional(call)
        if not args:
            return None
        if len(args) == 1 or qn in SHAPE_FIRST:
            count = shape_size(args[0].value)
        else:
            count = 1
            for a in args:
                v = int_value(a.value)
                if v is None:
                    return None
                count *= v
        if count is None or count < LARGE_ELEMENTS:
            return None
        return f"the `{short_name(qn)}()` allocation of {count:,} elements"

    def _whole_file(self, call: cst.Call) -> bool:
        sem = self.ctx.semantic
        if call.args and not (len(call.args) == 1 and (
            is_none(call.args[0].value) or int_value(call.args[0].value) == -1
        )):
            return False  # read(n): a bounded chunk
        receiver = call.func.value
        method = call.func.attr.value
        if isinstance(receiver, cst.Call):
            qn = sem.qualified_name(receiver.func)
            if method in ("read_bytes", "read_text"):
                return qn == "pathlib.Path"
            return qn in OPENERS
        if isinstance(receiver, cst.Name) and method in ("read", "readlines"):
            owner = sem.lookup(receiver.value)
            return owner is not None and (id(owner), receiver.value) in self.lifetime.files
        return False

    def leave_Module(self, node: cst.Module) -> None:
        found = []
        for scope, name, target, frame, what, origin in self._candidates:
            hit = lingering(self.lifetime, scope, name, frame, flat=what == FILE_CONTENTS)
            if hit is not None:
                found.append((name, target, what, origin, hit))
        if not found:
            return
        nodes = []
        for _, _, _, origin, hit in found:
            nodes += [hit.last, hit.work.node, hit.del_after.node]
            if origin is not None:
                nodes.append(origin)
        lines = self.lifetime.lines(nodes)
        for name, target, what, origin, hit in found:
            try:
                last = lines[id(hit.last)][0]
                work_line = lines[id(hit.work.node)][0]
                del_line = lines[id(hit.del_after.node)][1]
                if origin is not None:
                    what = what.replace(ORIGIN_LINE, line_ref(lines[id(origin)][0]))
            except KeyError:
                continue
            self.report(target, name=name, what=what, last=line_ref(last), work=hit.work.work,
                        work_line=line_ref(work_line), del_line=line_ref(del_line))


def _source(what: str, call: cst.CSTNode):
    """A large object made by `call` itself: a name bound to it holds it."""
    return what, None, (what, call, True)
