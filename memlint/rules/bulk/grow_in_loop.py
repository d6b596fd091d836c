"""MEM601 grow-in-loop."""

from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import int_value, keyword, positional, short_name
from memlint.semantic import scale as S
from memlint.semantic.bindings import dotted, mentions, target_names
from memlint.semantic.syntax import child_fields

# Joining calls: qualified name -> keyword of the sequence argument.
JOINERS = {
    "numpy.concatenate": "arrays",
    "numpy.concat": "arrays",
    "numpy.vstack": "tup",
    "numpy.row_stack": "tup",
    "numpy.hstack": "tup",
    "numpy.column_stack": "tup",
    "numpy.dstack": "tup",
    "pandas.concat": "objs",
    "torch.cat": "tensors",
    "torch.concat": "tensors",
    "torch.concatenate": "tensors",
    "torch.vstack": "tensors",
    "torch.row_stack": "tensors",
    "torch.hstack": "tensors",
    "torch.column_stack": "tensors",
    "tensorflow.concat": "values",
    "jax.numpy.concatenate": "arrays",
    "jax.numpy.vstack": "tup",
    "jax.numpy.hstack": "tup",
    "scipy.sparse.vstack": "blocks",
    "scipy.sparse.hstack": "blocks",
}
# Appending calls whose first argument is the array grown: name -> its keyword, the fix.
APPENDERS = {
    "numpy.append": ("arr", "np.concatenate(parts)"),
    "jax.numpy.append": ("arr", "jnp.concatenate(parts)"),
}
# A loop with a constant trip count this small re-allocates too few times to matter.
SMALL_TRIP_COUNT = 10
# A loop known to run at least this many times is long enough to report by default.
MANY_TRIPS = 1_000
# An accumulator made empty with rows this wide (`np.empty((0, 768))`) gathers a matrix per
# row of whatever the loop runs over: worth reporting whatever the loop's length.
WIDE_ROW = 64


class GrowInLoop(Rule):
    code = "MEM601"
    name = "grow-in-loop"
    pylint_id = "W7760"
    message = ("{func}() re-allocates `{name}` on every iteration, copying everything gathered "
               "so far; {fix}")
    summary = "An array, tensor or DataFrame is grown by re-allocation on every loop iteration."
    what = """
        Flags an accumulator re-assigned inside a `for` or `while` body from a call that
        copies it together with something new: `acc = np.append(acc, x)`,
        `acc = np.concatenate([acc, x])` (also `vstack`, `hstack`, `row_stack`,
        `column_stack`, `dstack`), `df = pd.concat([df, row])`, `t = torch.cat([t, x])`
        (and `torch.vstack`/`hstack`), `tf.concat`, the `jax.numpy` equivalents,
        `scipy.sparse.vstack`/`hstack`, and `df = df.append(row)` on a value known to be a
        pandas DataFrame or Series. Also when the call is one branch of a conditional
        expression (`acc = x if acc is None else np.vstack([acc, x])`).
    """
    why = """
        numpy arrays, tensors and DataFrames cannot grow in place: each of these calls
        allocates a new object and copies the old contents into it. Over n iterations that
        is 1 + 2 + ... + n parts copied, quadratic in the loop length, and at every step the
        old and the new accumulator are alive together, so the peak is about twice the
        result. When the final size is known (rows of a dataset, batches of a loader with a
        length), allocate the result once and fill it: the peak is the result itself. When it
        is not, append the parts to a list and join them once after the loop: each part is
        copied once instead of n times, though the join still holds the parts and the result
        together, so the peak is about the same as growing.
    """
    example = """
        import numpy as np

        embeddings = np.empty((0, 768), dtype=np.float32)
        for batch in loader:
            embeddings = np.concatenate([embeddings, encode(batch)])
    """
    use_instead = """
        import numpy as np

        embeddings = np.empty((len(dataset), 768), dtype=np.float32)
        start = 0
        for batch in loader:
            out = encode(batch)
            embeddings[start:start + len(out)] = out
            start += len(out)
    """
    limits = """
        Only a loop body counts (not its `else:` clause, and a function defined inside the
        loop starts afresh). Loops over a literal list/tuple/set or over `range(k)` with a
        constant k of at most 10 are not flagged: a few re-allocations cost little. Doubling
        (`x = np.concatenate([x, x])`) grows geometrically, not quadratically, and is not
        flagged. `torch.stack`/`np.stack` add a dimension on each call, so they cannot grow
        an accumulator and are not flagged. `df.append(...)` is flagged only when memlint
        knows `df` is a pandas object (from `pd.DataFrame(...)`, a reader, `pd.concat`...);
        another library's `append` method is never flagged. The accumulator must be a plain
        name or dotted attribute (`self.buffer`) that appears itself in the joined
        sequence; `acc = np.concatenate([acc[-k:], x])` keeps a bounded window and is clean.
        Silent when the loop reads the accumulator other than by its own growth (the next
        step's input in autoregressive decoding, a set of points measured against): collecting
        the parts would break it; when it is the loop variable or rebuilt from scratch each
        iteration; and when the loop is known to be short (docs/scale.md: a small iterable,
        `range(k)` with a known small `k`, a named count such as `n_folds`).

        On by default: re-assigning the accumulator from a copy of itself inside a loop has
        no benign reading beyond the short loops excluded above, and collecting parts in a
        list is never worse.
    """
    invalid = (
        "import numpy as np\nimport pandas as pd\nX = pd.read_csv(p)\nscores = np.array([])\n"
        "for i in range(len(X)):\n    scores = np.append(scores, f(X.iloc[i]))\n",
        "import pandas as pd\ndf = pd.DataFrame()\nfor path in paths:\n"
        "    df = pd.concat([df, pd.read_parquet(path)], ignore_index=True)\n",
        "import torch\nloader = torch.utils.data.DataLoader(ds)\nout = None\nfor x, y in loader:\n"
        "    out = x if out is None else torch.cat((out, x), dim=0)\n",
        "import pandas as pd\ndef rows(path):\n    df = pd.DataFrame(columns=['a'])\n"
        "    for it in pd.read_csv(path).itertuples():\n        df = df.append({'a': it.a}, ignore_index=True)\n    return df\n",
        "import numpy as np\nclass Buf:\n    def feed(self, chunks):\n        self.data = np.empty((0, 256))\n"
        "        for c in chunks:\n            self.data = np.vstack([self.data, c])\n",
        "import tensorflow as tf\nacc = tf.zeros((0, 128))\nfor b in ds:\n    acc = tf.concat([acc, b], axis=0)\n",
    )
    valid = (
        "import numpy as np\nparts = []\nfor x in xs:\n    parts.append(f(x))\nacc = np.concatenate(parts)\n",
        "import numpy as np\nacc = np.concatenate([acc, x])\n",
        "import numpy as np\nscores = np.array([])\nfor x in xs:\n    scores = np.append(scores, f(x))\n",
        "import torch\nmeans = torch.tensor([0.0])\nfor xb in test_loader:\n"
        "    means = torch.cat([means, model(xb).mean])\n",
        "import numpy as np\nfor x in xs:\n    out = np.concatenate([acc, x])\n",
        "import numpy as np\nfor k in range(3):\n    feats = np.hstack([feats, feats ** k])\n",
        "import pandas as pd\nfor col in ['a', 'b']:\n    df = pd.concat([df, dummies(col)], axis=1)\n",
        "import numpy as np\nwhile len(x) < n:\n    x = np.concatenate([x, x])\n",
        "import numpy as np\nfor x in xs:\n    window = np.concatenate([window[-100:], x])\n",
        "for r in rows:\n    acc = acc.append(r)\n",
        "import numpy as np\nys = [np.concatenate([y, z]) for y in ys]\n",
        "import torch\nfor x in xs:\n    seq = torch.stack([seq, x])\n",
        "import numpy as np\nfor x in xs:\n    pass\nelse:\n    acc = np.append(acc, 1)\n",
    )
    # Every call it flags resolves through an import of one of these libraries (a DataFrame's
    # append() needs pandas to make the DataFrame), so a file naming none of them is skipped.
    triggers = r"\b(?:numpy|pandas|torch|tensorflow|jax|scipy)\b"

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not type(node.value) in (cst.Call, cst.IfExp):
            return
        target = dotted(node.targets[0].target)
        if target is None:
            return
        value = node.value
        calls = [value.body, value.orelse] if type(value) is cst.IfExp else [value]
        for call in calls:
            found = self._grows(call, target) if type(call) is cst.Call else None
            if found is not None and self._in_long_loop() and self._accumulates(node, target):
                func, fix, parts = found
                if not self._worth_it(parts, target):
                    return
                self.report(call, func=func, name=target,
                            fix=f"append the parts to a list and call {fix} once after the loop")
                return

    def _grows(self, call: cst.Call, target: str) -> Optional[Tuple[str, str]]:
        """(call name, joining fix) if `call` builds a new object from `target` plus more."""
        sem = self.ctx.semantic
        qn = sem.qualified_name(call.func)
        if qn in JOINERS:
            seq = keyword(call, JOINERS[qn])
            args = positional(call)
            seq = seq.value if seq is not None else (args[0].value if args else None)
            if not type(seq) in (cst.List, cst.Tuple):
                return None
            names = [dotted(el.value) if type(el) is cst.Element else None
                     for el in seq.elements]
            if target in names and any(n != target for n in names):
                args = "(parts, axis)" if qn == "tensorflow.concat" else "(parts)"
                parts = [el.value for el, n in zip(seq.elements, names) if n != target]
                return short_name(qn), short_name(qn) + args, parts
            return None
        if qn in APPENDERS:
            kw, fix = APPENDERS[qn]
            arr = keyword(call, kw)
            args = positional(call)
            arr = arr.value if arr is not None else (args[0].value if args else None)
            if arr is not None and dotted(arr) == target:
                rest = [a.value for a in args[1:2]] or [a.value for a in call.args if a.keyword is not None
                                                         and a.keyword.value in ("values", "other", "b")]
                return short_name(qn), fix, rest
            return None
        func = call.func
        if (type(func) is cst.Attribute and func.attr.value == "append"
                and dotted(func.value) == target
                and sem.value_of(func.value).kind in ("dataframe", "series")):
            return f"{target}.append", "pd.concat(parts)", [a.value for a in call.args[:1]]
        return None

    def _worth_it(self, parts, target: str) -> bool:
        """The scale policy (docs/scale.md): the copying is quadratic in the number of
        iterations, so it matters when the loop runs once per row of data (not once per
        batch of a DataLoader), at least MANY_TRIPS times, or when each part is itself data
        (frames read in a loop, the batches themselves); otherwise only with
        `report-unknown-scale`."""
        model = self.ctx.semantic
        for part in parts:
            if S.of(model, part).data:
                return True
        stack = self.ctx.stack
        for i in range(len(stack) - 2, -1, -1):
            node, child = stack[i], stack[i + 1]
            if type(node) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
                break
            if type(node) is cst.For and child is node.body:
                sc = S.of(model, node.iter)
                if sc.data and not sc.batches and not sc.named:
                    return True
                if sc.small and sc.count is not None and sc.count >= MANY_TRIPS:
                    return True
            if type(node) in (cst.For, cst.While) and child is node.body and i > 0:
                width = self._initial_width(stack[i - 1], node, target)
                if width is not None and width >= WIDE_ROW:
                    return True
        return self.ctx.report_unknown_scale and not self.ctx.is_test

    def _initial_width(self, block, loop, target: str) -> Optional[int]:
        """The row width the accumulator starts with, when it is made empty before the loop
        with a known width: `emb = np.empty((0, 768))` gives 768."""
        body = getattr(block, "body", None)
        if not isinstance(body, (list, tuple)) or loop not in body:
            return None
        for stmt in reversed(body[: body.index(loop)]):
            if type(stmt) is not cst.SimpleStatementLine:
                continue
            for small in stmt.body:
                if (type(small) is cst.Assign and len(small.targets) == 1
                        and dotted(small.targets[0].target) == target):
                    call = small.value
                    if type(call) is not cst.Call or not call.args:
                        return None
                    shape = call.args[0].value
                    if type(shape) not in (cst.Tuple, cst.List) or len(shape.elements) < 2:
                        return None
                    dims = [S.of(self.ctx.semantic, el.value) for el in shape.elements]
                    if not (dims[0].small and dims[0].count == 0):
                        return None
                    width = 1
                    for d in dims[1:]:
                        if not d.small or d.count is None:
                            return None
                        width *= d.count
                    return width
        return None

    def _in_long_loop(self) -> bool:
        """Is the current statement in the body of a loop that may run many times?"""
        stack = self.ctx.stack
        for i in range(len(stack) - 2, -1, -1):
            node, child = stack[i], stack[i + 1]
            if type(node) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
                return False
            if type(node) is cst.While and child is node.body:
                return True
            if type(node) is cst.For and child is node.body and not self._few(node.iter):
                return True  # a short loop nested in a long one still repeats: keep looking
        return False

    def _accumulates(self, stmt: cst.Assign, target: str) -> bool:
        """Does the accumulator carry over from one iteration of its innermost loop to the
        next, with nothing but its own growth reading it? Not when it is the loop variable
        (rebound every iteration), when the loop body rebuilds it from scratch before
        growing it, or when the body reads it otherwise (`seq = torch.cat([seq, tok])` with
        `model(seq)`: the next step needs the whole, so collecting parts would break it)."""
        stack = self.ctx.stack
        loop = None
        for i in range(len(stack) - 2, -1, -1):
            if type(stack[i]) in (cst.For, cst.While) and stack[i + 1] is stack[i].body:
                loop = stack[i]
                break
        if loop is None:
            return True
        if type(loop) is cst.For and target in set(target_names(loop.target)):
            return False
        for small in loop.body.body:
            if _resets(small, target, stmt):
                return False
        return not _read_elsewhere(loop.body, target, stmt)

    def _few(self, it: cst.BaseExpression) -> bool:
        """A literal collection, range() of constants with a small trip count, or an
        iterable the scale model knows to be small (`range(n_classes)`, `df.columns`)."""
        sc = S.of(self.ctx.semantic, it)
        if sc.small and (sc.count is None or sc.count <= SMALL_TRIP_COUNT):
            return True
        if type(it) in (cst.List, cst.Tuple, cst.Set):
            return not any(type(el) is cst.StarredElement for el in it.elements)
        if type(it) is cst.Call and self.ctx.semantic.is_builtin(it.func, "range"):
            args = it.args
            if not 1 <= len(args) <= 3 or any(a.keyword is not None or a.star for a in args):
                return False
            values = [int_value(a.value) for a in args]
            if any(v is None for v in values) or (len(values) == 3 and values[2] == 0):
                return False
            return len(range(*values)) <= SMALL_TRIP_COUNT
        return False


def _resets(stmt, target: str, growth) -> bool:
    """Is `stmt` (a statement directly in the loop body) an unconditional rebinding of the
    accumulator to something that does not contain it (`colors = np.array([])`)?"""
    if type(stmt) is not cst.SimpleStatementLine:
        return False
    for small in stmt.body:
        if small is growth or type(small) is not cst.Assign:
            continue
        if any(dotted(t.target) == target for t in small.targets) and not mentions(
                small.value, {target}):
            return True
    return False


# Reads of the accumulator that look at its bookkeeping, not its contents.
_METADATA = frozenset("shape size ndim dtype device".split())


def _read_elsewhere(body: cst.CSTNode, target: str, growth: cst.CSTNode) -> bool:
    """Does `body`, outside the growth statement, read the accumulator's contents? A test
    against None, `len(acc)`, `acc.shape` and rebinding it do not count."""
    todo = [(body, None, None)]
    while todo:
        node, parent, grand = todo.pop()
        if node is growth:
            continue
        kind = type(node)
        if kind in (cst.Name, cst.Attribute) and dotted(node) == target:
            if type(parent) is cst.AssignTarget:
                continue
            if type(parent) is cst.Comparison or type(parent) is cst.ComparisonTarget:
                continue  # `acc is None`
            if type(parent) is cst.Attribute and parent.value is node and parent.attr.value in _METADATA:
                continue
            if type(parent) is cst.Arg and type(grand) is cst.Call and type(grand.func) is cst.Name \
                    and grand.func.value == "len":
                continue
            return True
        for field in child_fields(kind):
            v = getattr(node, field)
            if type(v) is tuple or type(v) is list:
                todo.extend((x, node, parent) for x in v if isinstance(x, cst.CSTNode))
            elif isinstance(v, cst.CSTNode):
                todo.append((v, node, parent))
    return False
