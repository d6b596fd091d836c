"""MEM401 implicit-float64."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Option, Rule
from memlint.rules.helpers import human_bytes
from memlint.semantic.syntax import has_star_args, int_value, keyword, positional, shape_size

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
NO_DTYPE_HINT = "use numpy.random.default_rng() and pass dtype=np.float32 to its random()/standard_normal()"


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

        features = np.zeros((n_samples, 512))
    """
    use_instead = """
        import numpy as np

        features = np.zeros((n_samples, 512), dtype=np.float32)
    """
    limits = """
        Allocations whose constant shape is smaller than the `min-bytes` option are not
        flagged: a few float64 scalars cost nothing. `full` is flagged only with a float
        literal fill (an integer fill gives an integer array). `*_like` functions keep their
        input's dtype and are not flagged. The legacy `np.random` functions have no `dtype`
        parameter; the message points to the Generator API, which has one.
    """
    options = {
        "min-bytes": Option(1_000_000, "constant-shape allocations below this many bytes are not flagged"),
    }
    invalid = (
        "import numpy as np\nbuf = np.empty((4096, 4096))\n",
        "from numpy import ones\nw = ones(n)\n",
        "import numpy as np\nx = np.random.randn(n, 128)\n",
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
        count = self._element_count(qn, node, args)
        size = ""
        if count is not None:
            nbytes = count * 8
            if nbytes < self.option("min-bytes"):
                return
            size = f" and allocates {human_bytes(nbytes)} (float32: {human_bytes(nbytes // 2)})"
        hint = NO_DTYPE_HINT if dtype_pos is None else "pass dtype=np.float32 if that precision is enough"
        self.report(node, func=qn.replace("numpy.", "np.", 1), size=size, hint=hint)

    @staticmethod
    def _element_count(qn: str, node: cst.Call, args):
        func = qn.rpartition(".")[2]
        if func in ("zeros", "ones", "empty", "full"):
            shape = args[0].value if args else (keyword(node, "shape").value if keyword(node, "shape") else None)
            return shape_size(shape) if shape is not None else None
        if func == "identity" and args:
            n = int_value(args[0].value)
            return n * n if n is not None else None
        if func == "eye" and args:
            n = int_value(args[0].value)
            m = int_value(args[1].value) if len(args) > 1 else n
            if keyword(node, "M") is not None:
                m = int_value(keyword(node, "M").value)
            return n * m if n is not None and m is not None else None
        if func in ("linspace", "logspace"):
            num = args[2].value if len(args) > 2 else (keyword(node, "num").value if keyword(node, "num") else None)
            return 50 if num is None else int_value(num)
        if func in ("rand", "randn"):
            total = 1
            for a in args:
                v = int_value(a.value)
                if v is None:
                    return None
                total *= v
            return total
        if func in ("random", "random_sample", "ranf", "sample", "standard_normal", "normal", "uniform"):
            size_pos = 2 if func in ("normal", "uniform") else 0
            size = keyword(node, "size")
            if size is None and len(args) > size_pos:
                size = args[size_pos]
            if size is None or (isinstance(size.value, cst.Name) and size.value.value == "None"):
                return 1  # a single scalar
            return shape_size(size.value)
        return None
