"""MEM402 explicit-float64."""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import keyword, positional
from memlint.semantic.torch_context import torch_visible

# numpy/pandas spellings of float64 (`np.dtype("float")` and `np.dtype("d")` are float64 too).
FLOAT64_STRINGS = frozenset("float64 Float64 f8 <f8 >f8 =f8 float double d float_".split())
NUMPY_FLOAT64 = frozenset(("numpy.float64", "numpy.double", "numpy.float_"))
TORCH_FLOAT64 = frozenset(("torch.float64", "torch.double"))
TORCH_DOUBLE_TYPES = frozenset(("torch.DoubleTensor", "torch.cuda.DoubleTensor"))
# Reductions where `dtype=torch.float64` is the usual way to accumulate without overflow or
# rounding, and whose result is small.
REDUCTIONS = frozenset("sum nansum mean nanmean prod std var norm dot trace".split())
# Values whose `.double()` cannot be torch's.
NOT_TENSOR = frozenset(("dataframe", "series", "ndarray", "sparse", "list", "dict", "set", "str"))
_DEFINES_DOUBLE = re.compile(r"\bdef\s+double\s*\(")

ASTYPE_EFFECT = "8 bytes per element, twice float32"
ASTYPE_HINT = "use np.float32 if that precision is enough"
TORCH_EFFECT = "twice the memory of float32, and far slower on most GPUs"
TORCH_HINT = "keep float32 unless the computation needs the precision"


def _string(node) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - malformed literal
            return None
        return value if isinstance(value, str) else None
    return None


class ExplicitFloat64(Rule):
    code = "MEM402"
    name = "explicit-float64"
    pylint_id = "W7741"
    message = "{what} makes float64 data ({effect}); {hint}"
    summary = "Data is explicitly converted to, or created as, float64."
    default = False
    what = """
        Flags explicit conversions to float64: `.astype(float)`, `.astype("float64")`,
        `.astype(np.float64)` and the other spellings (`"f8"`, `"double"`, `"float"`,
        `np.double`, `np.float_`, a pandas `astype({"col": float})`); in torch code,
        `tensor.double()` / `module.double()`, `.to(torch.float64)`, `.type(torch.float64)`,
        `dtype=torch.float64` (or `torch.double`) in any call, `torch.DoubleTensor(...)` and
        `torch.set_default_dtype(torch.float64)`.
    """
    why = """
        float64 takes 8 bytes per element, twice float32, which is what ML models train and
        infer in. The conversion copies the data, so for a moment both copies are alive, and
        everything computed from the result is float64 too. In torch the cost is sharper:
        float32 is the default, a float64 tensor or model doubles the memory of its
        parameters and activations, and most GPUs run float64 many times slower.
    """
    example = """
        import numpy as np

        X = raw_counts.astype(np.float64)
    """
    use_instead = """
        import numpy as np

        X = raw_counts.astype(np.float32)
    """
    limits = """
        Off by default: an explicit float64 is a decision the author made, and it is often
        right (pandas `.astype(float)` to turn text or nullable integers into numbers,
        statistics that need the precision, float64 reference computations in tests).
        Select it (`extend-select = ["MEM402"]`) in code that should stay in float32, such
        as training and feature pipelines. `float` is recognised only as the real builtin
        and `np`/`torch` only through imports; a dtype held in a variable is not followed.
        `.double()` is flagged only in files that import torch, on receivers not known to be
        something else, and not in files that define their own `double` method. numpy
        `dtype=np.float64` arguments are not flagged (float64 is numpy's default; MEM401
        covers the silent case), nor torch reductions such as `x.sum(dtype=torch.float64)`,
        the usual way to accumulate without rounding.
    """
    invalid = (
        "df['price'] = df['price'].astype(float)\n",
        "import numpy as np\nm = mask.astype('float64')\n",
        "from numpy import double\ny = x.astype(dtype=double)\n",
        "import torch\nx = batch.double()\n",
        "import torch\nt = torch.zeros(n, 128, dtype=torch.float64)\n",
        "import torch\nx = x.to(device, torch.double)\n",
        "import torch\ntorch.set_default_dtype(torch.float64)\n",
        "frame = frame.astype({'amount': 'f8', 'qty': 'int32'})\n",
    )
    valid = (
        "import numpy as np\nX = raw.astype(np.float32)\n",
        "labels = y.astype(int)\n",
        "def cast(x, float=None):\n    return x.astype(float)\n",
        "x = batch.double()\n",
        "import torch\nclass Vec:\n    def double(self):\n        return 2\nv = Vec().double()\n",
        "import torch\ntotal = x.sum(dtype=torch.float64)\n",
        "import numpy as np\nz = np.zeros(n, dtype=np.float64)\n",
        "import torch\ny = x.to(device, torch.float16)\n",
        "x = x.astype(self.dtype)\n",
        "import torch\nx = x.to(dtype=torch.float32)\n",
    )
    triggers = r"astype|[Dd]ouble|float64"

    def visit_Module(self, node: cst.Module) -> None:
        self._own_double = bool(_DEFINES_DOUBLE.search(self.ctx.source))

    def _is_f64(self, expr: cst.BaseExpression, torch_ok: bool) -> bool:
        sem = self.ctx.semantic
        text = _string(expr)
        if text is not None:
            return text in FLOAT64_STRINGS
        qn = sem.qualified_name(expr)
        if qn == "builtins.float" or qn in NUMPY_FLOAT64:
            return True
        if torch_ok and qn in TORCH_FLOAT64:
            return True
        if isinstance(expr, cst.Call) and sem.qualified_name(expr.func) == "numpy.dtype":
            args = positional(expr)
            return bool(args) and self._is_f64(args[0].value, False)
        return False

    def _dtype_arg(self, call: cst.Call):
        kw = keyword(call, "dtype")
        if kw is not None:
            return kw.value
        args = positional(call)
        return args[0].value if args else None

    def visit_Call(self, node: cst.Call) -> None:
        sem = self.ctx.semantic
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "astype":
                self._astype(node, func)
                return
            if method == "double" and not positional(node) and not self._own_double:
                receiver = sem.value_of(func.value)
                if receiver.kind not in NOT_TENSOR and torch_visible(sem):
                    self.report(node, what=".double()", effect=TORCH_EFFECT, hint=TORCH_HINT)
                return
            if method in ("to", "type"):
                for arg in node.args:
                    if arg.keyword is not None and arg.keyword.value != "dtype":
                        continue
                    qn = sem.qualified_name(arg.value)
                    if qn in TORCH_FLOAT64 or (method == "type" and (
                        qn in TORCH_DOUBLE_TYPES or _string(arg.value) in TORCH_DOUBLE_TYPES
                    )):
                        self.report(node, what=f".{method}({qn or _string(arg.value)})",
                                    effect=TORCH_EFFECT, hint=TORCH_HINT)
                        return
                return
        qn = sem.qualified_name(func)
        if qn in ("torch.set_default_dtype", "torch.set_default_tensor_type"):
            args = positional(node)
            if args:
                value = args[0].value
                if sem.qualified_name(value) in TORCH_FLOAT64 | TORCH_DOUBLE_TYPES or (
                    _string(value) in TORCH_DOUBLE_TYPES
                ):
                    spelled = sem.qualified_name(value) or repr(_string(value))
                    self.report(node, what=f"{qn}({spelled})",
                                effect="every new floating-point tensor, twice the memory of float32",
                                hint="keep the float32 default and cast only what needs the precision")
            return
        if qn in TORCH_DOUBLE_TYPES:
            self.report(node, what=f"{qn}(...)", effect=TORCH_EFFECT, hint=TORCH_HINT)
            return
        kw = keyword(node, "dtype")
        if kw is None or sem.qualified_name(kw.value) not in TORCH_FLOAT64:
            return
        name = qn or (func.attr.value if isinstance(func, cst.Attribute) else "")
        if name.rpartition(".")[2] in REDUCTIONS:
            return
        self.report(node, what="dtype=torch.float64", effect=TORCH_EFFECT, hint=TORCH_HINT)

    def _astype(self, node: cst.Call, func: cst.Attribute) -> None:
        sem = self.ctx.semantic
        receiver = sem.value_of(func.value)
        if receiver.kind in ("list", "dict", "set", "str", "tensor"):
            return
        dtype = self._dtype_arg(node)
        if dtype is None:
            return
        if isinstance(dtype, cst.Dict):  # pandas: astype({"col": dtype, ...})
            hits = [el.value for el in dtype.elements
                    if isinstance(el, cst.DictElement) and self._is_f64(el.value, False)]
            if not hits:
                return
            dtype = hits[0]
        elif not self._is_f64(dtype, False):
            return
        spelled = _string(dtype)
        spelled = repr(spelled) if spelled is not None else (
            "float" if sem.is_builtin(dtype, "float") else (sem.qualified_name(dtype) or "float64")
            .replace("numpy.", "np.", 1)
        )
        self.report(node, what=f".astype({spelled})", effect=ASTYPE_EFFECT, hint=ASTYPE_HINT)
