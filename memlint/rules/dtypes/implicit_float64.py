"""MEM401 implicit-float64."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Option, Rule
from memlint.rules.helpers import human_bytes
from memlint.semantic import scale as S
from memlint.semantic.scale import Scale, reportable
from memlint.semantic.syntax import has_star_args, keyword, positional, short_name

# numpy function -> position of its dtype parameter when passed positionally (None: it has
# no dtype parameter, so only a different API can avoid float64).
DTYPE_POSITION = {
    "numpy.zeros": 1,
    "numpy.ones": 1,
    "numpy.empty": 1,
    "numpy.full": 2,
    "numpy.eye": 3,
    "numpy.identity": 1,
    "numpy.linspace": 5,
    "numpy.logspace": 6,
    "numpy.loadtxt": 1,
    "numpy.genfromtxt": 1,
    "numpy.random.rand": None,
    "numpy.random.randn": None,
    "numpy.random.random": None,
    "numpy.random.random_sample": None,
    "numpy.random.ranf": None,
    "numpy.random.sample": None,
    "numpy.random.standard_normal": None,
    "numpy.random.normal": None,
    "numpy.random.uniform": None,
}
# The legacy random functions have no dtype: what would make float32 directly. A Generator
# draws other numbers than the legacy seeded stream, so the hint says so.
_RNG_NOTE = " (a Generator draws other numbers than the legacy seed)"
RANDOM_HINTS = {
    "rand": "for float32, draw with rng.random(size, dtype=np.float32)" + _RNG_NOTE,
    "random": "for float32, draw with rng.random(size, dtype=np.float32)" + _RNG_NOTE,
    "random_sample": "for float32, draw with rng.random(size, dtype=np.float32)" + _RNG_NOTE,
    "ranf": "for float32, draw with rng.random(size, dtype=np.float32)" + _RNG_NOTE,
    "sample": "for float32, draw with rng.random(size, dtype=np.float32)" + _RNG_NOTE,
    "randn": "for float32, draw with rng.standard_normal(size, dtype=np.float32)" + _RNG_NOTE,
    "standard_normal": "for float32, draw with rng.standard_normal(size, dtype=np.float32)" + _RNG_NOTE,
    "normal": "for float32, draw loc + scale * rng.standard_normal(size, dtype=np.float32)" + _RNG_NOTE,
    "uniform": "for float32, draw low + (high - low) * rng.random(size, dtype=np.float32)" + _RNG_NOTE,
}
# Methods that cast the array (its float64 lives only for the statement) or only reshape it.
CASTS = frozenset("astype tolist item view".split())
# Calls that copy an array into their own dtype (float32 for torch.Tensor/FloatTensor):
# passing the float64 array straight in is a cast at once.
CONVERTERS = frozenset("torch.Tensor torch.FloatTensor torch.HalfTensor torch.LongTensor "
                       "torch.IntTensor torch.BoolTensor torch.ByteTensor".split())
# ... and calls that do so when given dtype=
DTYPE_CONVERTERS = frozenset("numpy.asarray numpy.array numpy.ascontiguousarray torch.tensor "
                             "torch.as_tensor tensorflow.constant tensorflow.convert_to_tensor "
                             "jax.numpy.asarray jax.numpy.array".split())
TENSOR_CASTS = frozenset("float half int long bfloat16 bool to type".split())
SHAPE_ONLY = frozenset("reshape T ravel flatten squeeze transpose".split())
# numpy functions that combine their array arguments into a new array of the promoted dtype:
# a float64 operand among float64 data changes nothing.
COMBINERS = frozenset(
    "numpy.concatenate numpy.column_stack numpy.hstack numpy.vstack numpy.row_stack "
    "numpy.dstack numpy.stack numpy.kron numpy.outer numpy.dot numpy.matmul numpy.where "
    "numpy.append numpy.add numpy.multiply numpy.subtract numpy.divide numpy.maximum "
    "numpy.minimum numpy.block numpy.tensordot numpy.einsum numpy.inner numpy.cross".split()
)


class ImplicitFloat64(Rule):
    code = "MEM401"
    name = "implicit-float64"
    pylint_id = "W7740"
    message = "{func}() defaults to float64{size}; {hint}"
    summary = "A numpy allocation silently defaults to float64."
    what = """
        Flags numpy calls that allocate floating-point arrays and silently choose float64
        because no `dtype` is given: `zeros`, `ones`, `empty`, `full` with a float fill,
        `eye`, `identity`, `linspace`, `logspace`, `loadtxt`, `genfromtxt`, and the legacy
        random functions (`random.rand`, `random.randn`, `random.random`, ...). When the
        shape is a constant the message gives the bytes allocated.
    """
    why = """
        float64 takes 8 bytes per element, twice float32, which is what most ML models
        train and infer in. An array that will be fed to float32 code costs double while it
        lives, and converting it later (`.astype(np.float32)`) briefly needs both copies.
        `np.zeros((10_000, 10_000))` is 800 MB; with `dtype=np.float32`, 400 MB.
    """
    example = """
        import numpy as np
        import pandas as pd

        X = pd.read_parquet("train.parquet")
        features = np.zeros((len(X), 512))
    """
    use_instead = """
        import numpy as np
        import pandas as pd

        X = pd.read_parquet("train.parquet")
        features = np.zeros((len(X), 512), dtype=np.float32)
    """
    limits = """
        Scale (docs/scale.md): by default only a shape memlint sees is data-sized (`len(X)`,
        `X.shape[0]` of something read or loaded) or a known size of at least `min-bytes`
        (16 MB) is flagged; a shape of function parameters or unknown calls is silent unless
        `report-unknown-scale` is on, and a known-small shape never is. Silent, whatever the
        size, when the array is empty, cast at once (`.astype(...)`), or mixed at once with
        other data so that the result is float64 anyway (an operand of `+`/`*`..., an
        argument of `np.concatenate`/`column_stack`/`kron`..., the value of `+=` or
        `a[i] = ...`). A later `acc = acc + x64` two statements on is not seen: the
        allocation is flagged although float64 data would promote it again. A float64 kept on
        purpose and said so only in a comment is flagged: write `dtype=np.float64`. `full` is
        flagged only with a float literal fill (an integer fill gives an integer array).
        `*_like` functions keep their input's dtype and are not flagged. The legacy
        `np.random` functions have no `dtype` parameter; the message names the Generator call
        that has one and warns that it draws different numbers.
    """
    options = {
        "min-bytes": Option(16_000_000, "allocations of a known size below this many bytes are not flagged"),
    }
    invalid = (
        "import numpy as np\nbuf = np.empty((4096, 4096))\n",
        "from numpy import ones\nimport pandas as pd\nX = pd.read_csv(p)\nw = ones((len(X), 64))\n",
        "import numpy as np\nimport torch\nX = torch.load('x.pt')\nnoise = np.random.randn(X.shape[0], 128)\n",
        "import numpy\ngrid = numpy.full((2048, 2048), 0.5)\n",
        "import numpy as np\ndata = np.loadtxt('points.txt')\n",
    )
    valid = (
        "import numpy as np\nbuf = np.empty((4096, 4096), dtype=np.float32)\n",
        "import numpy as np\nbuf = np.zeros((4096, 4096), np.float32)\n",
        "import numpy as np\nv = np.zeros(3)\n",
        "import numpy as np\nm = np.full((2048, 2048), 0)\n",
        "import torch\nt = torch.zeros(4096, 4096)\n",
        "import numpy as np\nz = np.zeros_like(x)\n",
        "import numpy as np\nx = np.zeros(n, **kw)\n",
        "import numpy as np\nx = np.zeros(n)\n",
        "import numpy as np\nd = 13\nm = np.zeros((d, d))\n",
        "import numpy as np\nimport pandas as pd\nX = pd.read_csv(p)\nidx = np.linspace(0, 1, len(X)).astype(int)\n",
        "import numpy as np\nimport pandas as pd\nX = pd.read_csv(p)\nempty = np.empty((0, len(X)))\n",
        "import numpy as np\nimport pandas as pd\nX = pd.read_csv(p).to_numpy()\n"
        "A = np.column_stack([np.ones(len(X)), X])\ny = X + np.random.randn(len(X), 1)\n",
    )
    triggers = r"\bnumpy\b"

    def visit_Call(self, node: cst.Call) -> None:
        qn = self.ctx.semantic.qualified_name(node.func)
        if qn not in DTYPE_POSITION or has_star_args(node):
            return
        args = positional(node)
        dtype_pos = DTYPE_POSITION[qn]
        if keyword(node, "dtype") is not None:
            return
        if dtype_pos is not None and len(args) > dtype_pos:
            return
        if qn == "numpy.full":
            fill = args[1].value if len(args) > 1 else None
            kw = keyword(node, "fill_value")
            fill = kw.value if kw is not None else fill
            if not isinstance(fill, cst.Float):
                return
        if self._float64_anyway(node):
            return
        sc = self._size(qn, node, args)
        threshold = max(1, self.option("min-bytes") // 8)
        if not reportable(sc, self.ctx, threshold):
            return
        estimate = S.estimated_elements(sc)
        if (estimate is not None and estimate < threshold and not sc.named
                and not (self.ctx.report_unknown_scale and not self.ctx.is_test)):
            return  # a vector or a narrow matrix per row: float32 saves little
        if not sc.data and sc.count is not None and sc.count >= threshold:
            nbytes = sc.count * 8
            size = f" and allocates {human_bytes(nbytes)} (float32: {human_bytes(nbytes // 2)})"
        elif sc.data and estimate is not None and not sc.named:
            rows = "rows" if sc.data_dims == 1 else "rows in each data-sized dimension"
            size = (f" on a data-sized shape ({sc.why}): {human_bytes(estimate * 8)} at "
                    f"{S.DATA_ROWS:,} {rows}, half that as float32")
        elif sc.data:
            size = f" on a data-sized shape ({sc.why})"
        else:
            size = " (its size is not known)"
        func = qn.rpartition(".")[2]
        hint = RANDOM_HINTS.get(func) if dtype_pos is None else None
        hint = hint or "pass dtype=np.float32 if that precision is enough"
        self.report(node, func=short_name(qn), size=size, hint=hint)

    def _float64_anyway(self, node: cst.Call) -> bool:
        """Is the array cast straight away (`.astype(int)`), or mixed at once with other data
        (`x + np.random.randn(n)`, `np.column_stack([np.ones(n), x])`, `img += noise`,
        `a[idx] = np.zeros(k)`), so that its own dtype decides nothing that lasts?"""
        stack = self.ctx.stack
        model = self.ctx.semantic
        child: cst.CSTNode = node
        i = len(stack) - 2
        while i >= 0:
            parent = stack[i]
            t = type(parent)
            if t is cst.Attribute and parent.value is child:
                attr = parent.attr.value
                call = stack[i - 1] if i >= 1 and type(stack[i - 1]) is cst.Call else None
                if attr in CASTS:
                    return True
                if attr in SHAPE_ONLY:
                    child = call if call is not None and call.func is parent else parent
                    i -= 2 if child is call else 1
                    continue
                return False
            if t is cst.BinaryOperation:
                other = parent.right if parent.left is child else parent.left
                if not _is_scalar(model, other):
                    return True
                child, i = parent, i - 1
                continue
            if t is cst.UnaryOperation:
                child, i = parent, i - 1
                continue
            if t in (cst.Element, cst.List, cst.Tuple):
                child, i = parent, i - 1
                continue
            if t is cst.Arg:
                call = stack[i - 1] if i >= 1 else None
                if type(call) is not cst.Call or parent.keyword is not None:
                    return False
                qn = model.qualified_name(call.func)
                if qn in COMBINERS or qn in CONVERTERS:
                    return True
                if qn in DTYPE_CONVERTERS and keyword(call, "dtype") is not None:
                    return True
                if qn == "torch.from_numpy":  # shares the buffer: the tensor's cast decides
                    up = stack[i - 2] if i >= 2 else None
                    return (type(up) is cst.Attribute and up.value is call
                            and up.attr.value in TENSOR_CASTS)
                return False
            if t is cst.AugAssign:
                return True
            if t is cst.Assign:
                return all(type(tg.target) is cst.Subscript for tg in parent.targets)
            return False
        return False

    def _size(self, qn: str, node: cst.Call, args) -> Scale:
        """The scale of the array the call makes (semantic/scale.py)."""
        model = self.ctx.semantic
        func = qn.rpartition(".")[2]
        if func in ("loadtxt", "genfromtxt"):
            return S.data(f"read from a file by `np.{func}`")
        if func in ("zeros", "ones", "empty", "full"):
            shape = args[0].value if args else (keyword(node, "shape").value if keyword(node, "shape") else None)
            return S.shape(model, shape) if shape is not None else S.UNKNOWN_SCALE
        if func in ("identity", "eye"):
            if not args:
                return S.UNKNOWN_SCALE
            n = args[0].value
            m = args[1].value if len(args) > 1 else (keyword(node, "M").value if keyword(node, "M") else n)
            return S.shape(model, cst.Tuple([cst.Element(n), cst.Element(m)]))
        if func in ("linspace", "logspace"):
            num = args[2].value if len(args) > 2 else (keyword(node, "num").value if keyword(node, "num") else None)
            return S.known(50) if num is None else S.of(model, num)
        if func in ("rand", "randn"):
            if not args:
                return S.known(1)
            return S.shape(model, cst.Tuple([cst.Element(a.value) for a in args]))
        size_pos = 2 if func in ("normal", "uniform") else 0
        size = keyword(node, "size")
        if size is None and len(args) > size_pos:
            size = args[size_pos]
        if size is None or (isinstance(size.value, cst.Name) and size.value.value == "None"):
            return S.known(1)  # a single scalar
        return S.shape(model, size.value)


def _is_scalar(model, node) -> bool:
    """A Python number (a literal, or a name known to hold one): mixing it with an array keeps
    the array's dtype."""
    if type(node) in (cst.Integer, cst.Float):
        return True
    if type(node) is cst.UnaryOperation:
        return _is_scalar(model, node.expression)
    sc = S.of(model, node)
    return sc.small and sc.count is not None and type(node) in (cst.Name, cst.BinaryOperation)
