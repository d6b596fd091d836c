"""MEM603 per-row-prediction."""

from __future__ import annotations

from typing import Dict, List, Tuple

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import keyword, positional
from memlint.semantic import rows as R
from memlint.semantic.bindings import dotted, mentions

METHODS = frozenset(
    "predict predict_proba predict_log_proba decision_function score_samples transform "
    "predict_on_batch".split()
)
_DATA_KINDS = frozenset(
    {"dataframe", "series", "ndarray", "tensor", "sparse", "list", "dict", "str"}
)
_COMPS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# Methods that only read a fitted model: calling them in the loop does not change it.
_READS = METHODS | {"score", "get_params", "kneighbors", "get_feature_names_out"}


class _Changes(cst.CSTVisitor):
    """Does a loop body rebind `name`, pass it to a function or call a method that may change
    it (`partial_fit`, `learn_one`, `update`)? Then each call sees a different model."""

    def __init__(self, name: str):
        self.name = name
        self.found = False

    def _is(self, node) -> bool:
        return isinstance(node, (cst.Name, cst.Attribute)) and dotted(node) == self.name

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and self._is(func.value) and func.attr.value not in _READS:
            self.found = True
        if any(self._is(a.value) for a in node.args):
            self.found = True

    def _target(self, target) -> None:
        if any(self._is(n) for n in _walk_names(target)):
            self.found = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target)


def _walk_names(target):
    if isinstance(target, (cst.Name, cst.Attribute)):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from _walk_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from _walk_names(target.value)


class PerRowPrediction(Rule):
    code = "MEM603"
    name = "per-row-prediction"
    pylint_id = "W7762"
    default = False
    message = "{call}() is called once per row inside a loop over the data; {fix}"
    summary = "A model's predict/transform is called once per row in a loop instead of on a batch."
    what = """
        Flags `predict`, `predict_proba`, `predict_log_proba`, `decision_function`,
        `score_samples`, `transform` and `predict_on_batch` called inside a loop (or
        comprehension, or `df.apply(..., axis=1)`) over the rows of the data with a batch of
        exactly one row built from the loop variable: `X[i:i+1]`, `X[[i]]`, `X.iloc[[i]]`,
        `X[i].reshape(1, -1)`, `x[None]`, `np.expand_dims(x, 0)`, `x.unsqueeze(0)`,
        `[x]`, `pd.DataFrame([row])`, `row.to_frame().T`, also through a name assigned in
        the loop. In `iterrows()`, `itertuples()` and `apply(axis=1)` loops, where each
        iteration is exactly one row of a table, any argument computed from the row counts.
    """
    why = """
        Every call pays the model's fixed costs again: input validation and conversion
        (scikit-learn copies and checks the array each time), a fresh output allocation,
        Python dispatch, and for deep-learning frameworks a whole graph execution and a
        host/device transfer; a batch of one also defeats the vectorised kernels. One call
        on the whole matrix, or on chunks of a few thousand rows when memory is tight, does
        the same work in a fraction of the time. `iterrows()` also builds a pandas Series
        per row before the model even runs.
    """
    example = """
        for i in range(len(X_test)):
            proba = clf.predict_proba(X_test[i:i + 1])
            scores.append(proba[0, 1])
    """
    use_instead = """
        scores = clf.predict_proba(X_test)[:, 1]

        # or, to bound memory, in chunks of rows:
        for start in range(0, len(X_test), 4096):
            scores.extend(clf.predict_proba(X_test[start:start + 4096])[:, 1])
    """
    limits = """
        Off by default: batching is a speed gain, while one big call raises the peak memory
        that the rest of memlint is trying to lower, and per-item calls are right for
        streams (requests, messages, lines of stdin) and for sequential models whose next
        input depends on the last output. Loops over calls memlint does not know (a data
        loader, a generator, `np.array_split`, a file) are treated as streams or batches and
        never flagged; so are `range()` loops with a step other than 1 (loops over chunks).
        A loop over a plain variable (`for text in texts`) is flagged only when the
        argument visibly wraps one element into a batch of one, since the element could be
        a batch itself. A row passed through a function first (`model.predict([f(x)])`) is
        not flagged outside `iterrows`/`itertuples`/`apply` loops: `f` may load data one
        item at a time. A loop that may change the model between calls (`partial_fit`,
        `learn_one`, any other method call on it, re-assigning it or passing it to a
        function) is not flagged: test-then-train evaluation and online learning must
        predict one row at a time. The receiver is not checked to be a model; calls on something
        derived from the loop variable (`for m in models: m.predict(...)`) or on a known
        pandas/numpy/torch value are not flagged.
    """
    invalid = (
        "for _, row in df.iterrows():\n    df.loc[_, 'p'] = model.predict(pd.DataFrame([row]))[0]\n",
        "preds = [clf.predict([text])[0] for text in texts]\n",
        "for x in X_test:\n    y = net.predict(x.reshape(1, -1))\n",
        "import numpy as np\nfor i in range(X.shape[0]):\n    xi = np.expand_dims(X[i], 0)\n"
        "    out.append(model.predict(xi))\n",
        "for row in df.itertuples():\n    label = model.predict(featurize(row))\n",
        "df['p'] = df.apply(lambda r: model.predict_proba([r[cols]])[0, 1], axis=1)\n",
        "from tqdm import tqdm\nfor i, x in enumerate(tqdm(samples)):\n    emb[i] = encoder.transform(x[None])\n",
    )
    valid = (
        "for batch in loader:\n    preds.append(model.predict(batch))\n",
        "import numpy as np\nfor chunk in np.array_split(X, 10):\n    out.append(model.predict(chunk))\n",
        "for start in range(0, n, batch_size):\n    model.predict(X[start:start + batch_size])\n",
        "for m in models:\n    scores.append(m.predict_proba(X_val[[0]]))\n",
        "for t in range(horizon):\n    y = model.predict(window[None])\n    window = shift(window, y)\n",
        "import sys\nfor line in sys.stdin:\n    print(clf.predict([line]))\n",
        "for path in paths:\n    img = load(path)\n    print(model.predict(img[None]))\n",
        "for col in cols:\n    out[col] = scaler.transform(df[col].values.reshape(-1, 1))\n",
        "for x in X:\n    y = model.predict(x)\n",
        "for i in range(len(X)):\n    model.predict(X[:, i:i + 1])\n",
        "for i in range(len(X)):\n    p = model.predict(X[i:i + 1])\n"
        "    model.partial_fit(X[i:i + 1], y[i:i + 1])\n",
    )
    triggers = r"\.(?:predict|decision_function|score_samples|transform)\w*\s*\("

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        # id(loop node) -> (loop node, its row variables, names assigned in its body -> class)
        self._loops: Dict[int, Tuple[cst.CSTNode, R.LoopVars, Dict[str, str]]] = {}
        self._open = 0  # row loops currently being traversed: none open, nothing to do

    def _leave_loop(self, node) -> None:
        if id(node) in self._loops:
            self._open -= 1

    leave_For = leave_Lambda = _leave_loop
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_loop

    # --- loops ----------------------------------------------------------------------------
    def visit_For(self, node: cst.For) -> None:
        lv = R.loop_vars(self.ctx.semantic, node.iter, node.target)
        if lv:
            self._loops[id(node)] = (node, lv, {})
            self._open += 1

    def _visit_comp(self, node) -> None:
        lv = R.LoopVars()
        for_in = node.for_in
        while for_in is not None:
            lv.merge(R.loop_vars(self.ctx.semantic, for_in.iter, for_in.target))
            for_in = for_in.inner_for_in
        if lv:
            self._loops[id(node)] = (node, lv, {})
            self._open += 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comp

    def visit_Lambda(self, node: cst.Lambda) -> None:
        """`df.apply(lambda row: ..., axis=1)`: the lambda runs once per row."""
        stack = self.ctx.stack
        if len(stack) < 3 or not isinstance(stack[-2], cst.Arg):
            return
        call = stack[-3]
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return
        if call.func.attr.value != "apply" or stack[-2].keyword is not None:
            return
        axis = keyword(call, "axis")
        value = axis.value if axis is not None else None
        if not (
            (isinstance(value, cst.Integer) and value.value == "1")
            or (isinstance(value, cst.SimpleString) and value.value[1:-1] == "columns")
        ):
            return
        params = node.params.params
        if len(params) == 1 and positional(call) and positional(call)[0].value is node:
            lv = R.LoopVars()
            lv.elems.add(params[0].name.value)
            lv.strong.add(params[0].name.value)
            self._loops[id(node)] = (node, lv, {})
            self._open += 1

    def _active(self) -> List[Tuple[cst.CSTNode, R.LoopVars, Dict[str, str]]]:
        """The row loops whose body holds the current node, innermost first."""
        stack = self.ctx.stack
        out = []
        for i in range(len(stack) - 2, -1, -1):
            node, child = stack[i], stack[i + 1]
            entry = self._loops.get(id(node))
            if entry is not None:
                if isinstance(node, cst.For) and child is node.body:
                    out.append(entry)
                elif isinstance(node, _COMPS) and not (
                    child is node.for_in and i + 2 < len(stack) and stack[i + 2] is node.for_in.iter
                ):
                    out.append(entry)
                elif isinstance(node, cst.Lambda) and child is node.body:
                    out.append(entry)
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
        return out

    # --- names derived from a row inside the loop ------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._open or len(node.targets) != 1:
            return
        if not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        for _, lv, derived in self._active():
            found = R.classify(self.ctx.semantic, node.value, lv, derived)
            if found is None:
                derived.pop(name, None)
            else:
                derived[name] = found

    # --- the call ---------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not self._open or not isinstance(func, cst.Attribute) or func.attr.value not in METHODS:
            return
        args = positional(node)
        arg = args[0].value if args else None
        if arg is None:
            kw = keyword(node, "X") or keyword(node, "x")
            arg = kw.value if kw is not None else None
        if arg is None:
            return
        sem = self.ctx.semantic
        for loop, lv, derived in self._active():
            found = R.classify(sem, arg, lv, derived)
            if found not in (R.BATCH1, R.STRONG):
                continue
            receiver = func.value
            if mentions(receiver, lv.names() | set(derived)):
                return  # for m in models: m.predict(...) - one call per model, not per row
            if sem.value_of(receiver).kind in _DATA_KINDS:
                return  # df.transform(...), a pandas/numpy method
            base = receiver
            while isinstance(base, (cst.Subscript, cst.Call)):
                base = base.func if isinstance(base, cst.Call) else base.value
            if dotted(base) is not None:
                changes = _Changes(dotted(base))
                (loop.body if isinstance(loop, (cst.For, cst.Lambda)) else loop).visit(changes)
                if changes.found:
                    return  # online learning / prequential evaluation: the model changes per row
            name = dotted(receiver)
            call = f"{name}.{func.attr.value}" if name and len(name) <= 40 else func.attr.value
            self.report(node, call=call,
                        fix="call it once on all the rows (or on chunks of rows) instead")
            return
