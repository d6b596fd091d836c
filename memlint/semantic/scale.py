"""How big a value is, as far as the code shows: memlint's scale model.

Memory advice matters only where data is large. memlint cannot know sizes, but code carries
strong signs of scale. Every expression gets one of three levels:

- **small**: a number memlint can compute (`13`, `d * d` after `d = 13`, `len([1, 2, 3])`),
  and collections built from such: literals, `range(k)` with a known `k`, shapes whose numbers
  are known. Also what is small by nature: `df.columns`, `df.dtypes`, `model.parameters()`,
  `sys.argv`, and counts named as such (`n_classes`, `n_folds`, `n_jobs`, `num_layers`...).
  A known number carries its value (`count`), so a rule can weigh it against its threshold:
  `np.zeros((d, d))` with `d = 13` is small, with `d = 100_000` it is not.
- **data**: what comes from reading data: pandas readers, `np.load`/`np.loadtxt`,
  `torch.load`, `pickle`/`joblib` loads, scikit-learn `fetch_*`, `datasets.load_dataset`,
  torchvision datasets, `DataLoader`s, open files; the rows, columns, slices and derived
  frames of such values; dimensions derived from them (`len(X)`, `X.shape[0]`,
  `n_samples = X.shape[0]`); loop variables over them; counts named after samples or
  observations (`n_samples`, `nobs`) when their value is not known.
- **unknown**: everything else (a function's parameters, most attributes, calls memlint does
  not know).

The semantic model stores a name's scale with its value (`Value.scale`) as it walks the
assignments, so `X = pd.read_csv(p)` then `n = len(X)` makes `n` data-sized, with the
evidence `X` comes from `pandas.read_csv`. Rules read the scale with `of()` and `shape()` and
state their policy: what they need to report by default (see `docs/scale.md`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import libcst as cst

from memlint.semantic.syntax import int_value, short_name

SMALL = "small"
DATA = "data"
UNKNOWN = "unknown"

# A number beyond this is not tracked (nor multiplied further): it is large whatever it is.
_LIMIT = 10 ** 15


@dataclass(frozen=True)
class Scale:
    level: str = UNKNOWN
    count: Optional[int] = None  # the number itself, or the number of elements, when known
    why: str = ""  # evidence for a data scale, for messages: "`X` comes from `pandas.read_csv`"
    # data-sized only by name (`model.nobs`): the count of rows is weak evidence that it is
    # large, so rules ask the array's other dimensions to be wide as well
    named: bool = False
    # data that comes in batches (a `DataLoader`, a `tf.data` pipeline): a loop over it runs
    # once a batch, not once a row
    batches: bool = False
    # in an array shape: how many of its dimensions are data-sized (`(len(X), 512)`: 1;
    # `(n, n)` with `n = len(X)`: 2); 0 when not a shape
    data_dims: int = 0

    @property
    def data(self) -> bool:
        return self.level == DATA

    @property
    def small(self) -> bool:
        return self.level == SMALL


UNKNOWN_SCALE = Scale()
SMALL_SCALE = Scale(SMALL)


def known(n: int) -> Scale:
    return Scale(SMALL, min(n, _LIMIT))


def data(why: str, batches: bool = False) -> Scale:
    return Scale(DATA, None, why, batches=batches)


# When a rule weighs the bytes of an array with a data-sized dimension, it takes that
# dimension to be this long: a vector per row (`np.zeros(len(X))`, 800 KB as float64) is not
# worth a dtype; a matrix per row (`np.zeros((len(X), 512))`, 410 MB) or a pairwise one is.
DATA_ROWS = 100_000


def estimated_elements(scale: Scale) -> Optional[int]:
    """The element count of an array shape with data-sized dimensions, each taken to be
    DATA_ROWS long and unknown ones taken as 1; None when `scale` is not such a shape."""
    if not scale.data or not scale.data_dims:
        return None
    return min((scale.count or 1) * DATA_ROWS ** scale.data_dims, _LIMIT)


# --- what is data, what is small, by what it is called -----------------------------------

# Qualified names (or prefixes ending in ".") of calls that read or load data.
DATA_SOURCES = (
    "pandas.read_", "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile",
    "numpy.memmap", "scipy.io.loadmat", "scipy.sparse.load_npz", "torch.load",
    "pickle.load", "joblib.load", "h5py.File", "datasets.load_dataset", "datasets.load_from_disk",
    "sklearn.datasets.fetch_", "sklearn.datasets.load_svmlight_file", "sklearn.datasets.load_files",
    "sklearn.datasets.fetch_openml", "torch.utils.data.DataLoader", "torchvision.datasets.",
    "torchtext.datasets.", "tensorflow.data.", "polars.read_", "polars.scan_", "pyarrow.parquet.read_table",
    "xarray.open_dataset", "PIL.Image.open", "cv2.imread", "imageio.imread",
    "builtins.open", "io.open", "gzip.open", "bz2.open", "lzma.open",
)
# Sources that yield batches: a loop over one runs once a batch.
BATCH_SOURCES = ("torch.utils.data.DataLoader", "tensorflow.data.")
# Calls that are known to return little: scikit-learn's bundled toy datasets.
SMALL_SOURCES = frozenset(
    "sklearn.datasets.load_iris sklearn.datasets.load_wine sklearn.datasets.load_digits "
    "sklearn.datasets.load_breast_cancer sklearn.datasets.load_diabetes "
    "sklearn.datasets.load_linnerud sys.argv".split()
)
# Attributes and methods whose result is small whatever the receiver: labels, types,
# parameters of a model (a handful of tensors per layer, counted by layers).
SMALL_ATTRIBUTES = frozenset("columns dtypes dtype ndim names feature_names target_names "
                             "classes_ n_features_in_ feature_names_in_".split())
SMALL_METHODS = frozenset("parameters named_parameters children modules named_modules "
                          "state_dict keys".split())
# Attributes and methods that keep the receiver's scale: slices, views and derived frames.
KEEP_ATTRIBUTES = frozenset("values T shape index loc iloc at iat str dt cat data".split())
SHAPE_ATTRIBUTES = frozenset({"shape", "size"})

# Counts that are small by what they count (`n_classes`, `num_folds`, `n_jobs`, `k_folds`).
_SMALL_COUNT = re.compile(
    r"^(?:n|num|number_of|k|n_?)_?(?:class(?:es)?|label(?:s)?|level(?:s)?|job(?:s)?|fold(?:s)?|"
    r"split(?:s)?|cluster(?:s)?|component(?:s)?|layer(?:s)?|head(?:s)?|worker(?:s)?|"
    r"gpu(?:s)?|device(?:s)?|epoch(?:s)?|categor(?:y|ies)|group(?:s)?|col(?:s)?|plot(?:s)?|"
    r"subplot(?:s)?|row_?plots?|panel(?:s)?|digit(?:s)?|outputs?|targets?|states?|chains?)$"
)
# Collections of labels, small by what they list (`target_names`, `class_names`).
_SMALL_COLLECTION = re.compile(r"^(?:target|class|label|category|categories)_?names$|^classes$")
# Counts of observations or samples: data-sized when their value is not known.
_DATA_COUNT = re.compile(
    r"^(?:n|num|number_of)_?(?:samples?|obs|observations?|rows?|records?|examples?|points?|"
    r"instances?|items?|docs?|documents?|sequences?|tokens?|pixels?)$|^nobs$|^nrows$|^nsamples?$"
)


def _qualified_is(qn: str, table) -> bool:
    return any(qn == p or (p.endswith((".", "_")) and qn.startswith(p)) for p in table)


def named_scale(name: str, attribute: bool = False) -> Optional[Scale]:
    """The scale a count's name tells, when its value is not known: `n_classes` small; an
    object's `nobs` or `n_samples` attribute (a fitted model's, a dataset's) data-sized. A
    bare name such as a parameter `n_samples` stays unknown: callers pass 100 as often as
    a million."""
    low = name.lower()
    if _SMALL_COUNT.match(low) or _SMALL_COLLECTION.match(low):
        return SMALL_SCALE
    if attribute and _DATA_COUNT.match(low):
        return Scale(DATA, None, f"`.{name}` counts the rows or observations of the data", True)
    return None


def source_scale(qn: Optional[str]) -> Optional[Scale]:
    """The scale of what a call to `qn` returns, when its name says: a reader, a toy dataset."""
    if not qn:
        return None
    if qn in SMALL_SOURCES:
        return SMALL_SCALE
    if _qualified_is(qn, DATA_SOURCES):
        return data(f"comes from `{short_name(qn)}`", _qualified_is(qn, BATCH_SOURCES))
    return None


# --- evaluating an expression -------------------------------------------------------------

def _combine(a: Scale, b: Scale, op=None) -> Scale:
    if a.data:
        return a
    if b.data:
        return b
    if a.small and b.small:
        if op is not None and a.count is not None and b.count is not None:
            try:
                n = op(a.count, b.count)
            except (ArithmeticError, ValueError, OverflowError):
                return SMALL_SCALE
            if isinstance(n, float):
                n = int(n)
            if isinstance(n, int) and -_LIMIT <= n <= _LIMIT:
                return known(max(n, 0)) if n >= 0 else SMALL_SCALE
            return UNKNOWN_SCALE if not isinstance(n, int) else known(_LIMIT)
        return SMALL_SCALE
    return UNKNOWN_SCALE


def _pow(a, b):
    if b > 64 or a > 10 ** 6:
        raise OverflowError
    return a ** b


_OPS = {
    cst.Add: lambda a, b: a + b,
    cst.Subtract: lambda a, b: a - b,
    cst.Multiply: lambda a, b: a * b,
    cst.FloorDivide: lambda a, b: a // b,
    cst.Divide: lambda a, b: a // b,
    cst.Modulo: lambda a, b: a % b,
    cst.Power: _pow,
    cst.LeftShift: lambda a, b: a << b if b < 64 else _pow(2, 65),
}

_WRAPPERS = frozenset("builtins.int builtins.round builtins.abs builtins.float math.ceil "
                      "math.floor builtins.list builtins.tuple builtins.sorted builtins.reversed "
                      "builtins.set builtins.frozenset builtins.enumerate builtins.iter "
                      "numpy.asarray numpy.array numpy.arange tqdm.tqdm tqdm.auto.tqdm tqdm.notebook.tqdm "
                      "tqdm.std.tqdm tqdm.trange".split())


def of(model, node: cst.BaseExpression, depth: int = 0) -> Scale:
    """The scale of `node` as a number, a collection or an array (see the module docstring)."""
    if depth > 12:
        return UNKNOWN_SCALE
    t = type(node)
    d = depth + 1
    if t is cst.Integer:
        n = int_value(node)
        return known(n) if n is not None else SMALL_SCALE
    if t is cst.Float:
        try:
            return known(int(float(node.value.replace("_", ""))))
        except (ValueError, OverflowError):
            return SMALL_SCALE
    if t is cst.Name:
        value = model.value_of(node)
        if value.scale is not None:
            return value.scale
        if node.value in ("True", "False", "None"):
            return SMALL_SCALE
        qn = model.qualified_name(node)
        if qn in SMALL_SOURCES:
            return SMALL_SCALE
        return named_scale(node.value) or UNKNOWN_SCALE
    if t in (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString):
        return SMALL_SCALE
    if t in (cst.List, cst.Tuple, cst.Set):
        out = known(len(node.elements))
        for el in node.elements:
            if type(el) is cst.StarredElement:
                inner = of(model, el.value, d)
                if inner.data:
                    return inner
                if not inner.small:
                    return UNKNOWN_SCALE
                out = SMALL_SCALE
        return out
    if t is cst.Dict:
        return known(len(node.elements))
    if t in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
        return iteration(model, node.for_in, d)
    if t is cst.UnaryOperation:
        inner = of(model, node.expression, d)
        return inner if not inner.small else SMALL_SCALE
    if t is cst.BinaryOperation:
        return _combine(of(model, node.left, d), of(model, node.right, d), _OPS.get(type(node.operator)))
    if t is cst.IfExp:
        a, b = of(model, node.body, d), of(model, node.orelse, d)
        if a.data or b.data:
            return a if a.data else b
        if a.small and b.small:
            return known(max(a.count, b.count)) if a.count is not None and b.count is not None else SMALL_SCALE
        return UNKNOWN_SCALE
    if t is cst.Attribute:
        attr = node.attr.value
        qn = model.qualified_name(node)
        if qn is not None:
            src = source_scale(qn)
            return src if src is not None and src.small else UNKNOWN_SCALE
        if attr in SMALL_ATTRIBUTES:
            return SMALL_SCALE
        base = of(model, node.value, d)
        if base.data:
            return base  # a column, a view, the shape of data
        if base.small and attr in KEEP_ATTRIBUTES | SHAPE_ATTRIBUTES:
            return SMALL_SCALE
        return named_scale(attr, True) or UNKNOWN_SCALE
    if t is cst.Subscript:
        rows = _slice_count(node)
        if rows is not None:
            return known(rows)  # `X[:5]`, `idx[:k]` with k known: that many items at most
        base = of(model, node.value, d)
        if base.data:
            return base
        if base.small:
            return SMALL_SCALE
        return UNKNOWN_SCALE
    if t is cst.Call:
        return _call(model, node, d)
    return UNKNOWN_SCALE


def _slice_count(node: cst.Subscript) -> Optional[int]:
    """How many items `node` keeps when it is one slice with constant bounds (`x[:5]`,
    `x[2:10]`, `x.iloc[:100]`); None otherwise (negative or open-ended bounds included)."""
    if len(node.slice) != 1 or type(node.slice[0].slice) is not cst.Slice:
        return None
    sl = node.slice[0].slice
    if sl.upper is None or sl.step is not None:
        return None
    upper = int_value(sl.upper)
    lower = 0 if sl.lower is None else int_value(sl.lower)
    if upper is None or lower is None or upper < 0 or lower < 0:
        return None
    return max(upper - lower, 0)


# DataFrame/Series methods that keep the first or last `n` rows (5 by default for head/tail).
# `sample` counts only as `n=` or on a known frame: a distribution's `.sample(shape)` is not.
_ROW_LIMITERS = {"head": 5, "tail": 5, "nlargest": None, "nsmallest": None, "sample": None}


def _row_limit(model, node: cst.Call, d: int) -> Optional[int]:
    """`df.head(10)`, `s.nlargest(3)`, `df.sample(n=100)`: the known number of rows kept."""
    method = node.func.attr.value
    default = _ROW_LIMITERS[method]
    if method == "sample" and model.value_of(node.func.value).kind not in ("dataframe", "series"):
        if not any(a.keyword is not None and a.keyword.value == "n" for a in node.args):
            return None
    arg = None
    for a in node.args:
        if a.star:
            return None
        if a.keyword is None and arg is None:
            arg = a.value
        elif a.keyword is not None and a.keyword.value == "n":
            arg = a.value
        elif a.keyword is not None and a.keyword.value == "frac":
            return None
    if arg is None:
        return default
    s = of(model, arg, d)
    return s.count if s.small else None


def _call(model, node: cst.Call, d: int) -> Scale:
    func = node.func
    qn = model.qualified_name(func)
    args = [a.value for a in node.args if a.keyword is None and not a.star]
    src = source_scale(qn)
    if src is not None:
        return src
    if qn == "builtins.len" and args:
        inner = of(model, args[0], d)
        if inner.data:
            return inner
        if inner.small:
            return known(inner.count) if inner.count is not None else SMALL_SCALE
        return UNKNOWN_SCALE
    if qn == "builtins.range" and args:
        scales = [of(model, a, d) for a in args]
        for s in scales:
            if s.data:
                return s
        if all(s.small for s in scales):
            counts = [s.count for s in scales]
            if None in counts:
                return SMALL_SCALE
            try:
                return known(len(range(*counts)))
            except (ValueError, OverflowError):
                return SMALL_SCALE
        return UNKNOWN_SCALE
    if qn in ("builtins.min", "builtins.max") and len(args) > 1:
        scales = [of(model, a, d) for a in args]
        counts = [s.count for s in scales if s.small and s.count is not None]
        if qn == "builtins.min" and counts:
            return known(min(counts))  # bounded by a known number
        if any(s.data for s in scales):
            return next(s for s in scales if s.data)
        if len(counts) == len(scales):
            return known(max(counts))
        return UNKNOWN_SCALE
    if qn in ("builtins.zip", "itertools.product", "itertools.chain") and args:
        scales = [of(model, a, d) for a in args]
        for s in scales:
            if s.data:
                return s
        return SMALL_SCALE if all(s.small for s in scales) else UNKNOWN_SCALE
    if qn in _WRAPPERS and args:
        return of(model, args[0], d)
    if qn is not None and qn.startswith(("numpy.", "torch.", "jax.numpy.")):
        # an allocation: as big as its shape (the first argument); a function of arrays: as
        # big as the largest of them
        shape_arg = args[0] if args else None
        for a in node.args:
            if a.keyword is not None and a.keyword.value in ("shape", "size"):
                shape_arg = a.value
        if shape_arg is not None:
            s = shape(model, shape_arg, d)
            if s.level != UNKNOWN:
                return s
        return UNKNOWN_SCALE
    if type(func) is cst.Attribute:
        method = func.attr.value
        if method in SMALL_METHODS:
            return SMALL_SCALE
        if method in _ROW_LIMITERS:
            rows = _row_limit(model, node, d)
            if rows is not None:
                return known(rows)
        base = of(model, func.value, d)
        if base.data:
            return base
        if base.small and method in ("items", "values", "keys", "copy", "split", "splitlines"):
            return SMALL_SCALE
    return UNKNOWN_SCALE


def iteration(model, for_in, d: int = 0) -> Scale:
    """The scale of a comprehension's iterations: its outermost `for`'s iterable, and data if
    any nested `for` is over data."""
    out = None
    while for_in is not None:
        s = of(model, for_in.iter, d)
        if s.data:
            return s
        if out is None:
            out = s
        elif not s.small:
            out = UNKNOWN_SCALE if not out.data else out
        elif out.small and out.count is not None and s.count is not None:
            out = known(out.count * s.count)
        for_in = for_in.inner_for_in
    return out or UNKNOWN_SCALE


def shape(model, node: cst.BaseExpression, d: int = 0) -> Scale:
    """The scale of an array of shape `node` (a number or a tuple of numbers): its element
    count when every dimension is known; data when one dimension is data-sized; unknown
    otherwise. A known zero dimension makes the whole array empty."""
    t = type(node)
    if t in (cst.Tuple, cst.List):
        if any(type(el) is cst.StarredElement for el in node.elements):
            inner = of(model, node, d)
            return inner if inner.data else UNKNOWN_SCALE
        total = 1
        found_data = None
        dims = 0
        unknown = False
        for el in node.elements:
            s = of(model, el.value, d + 1)
            if s.small and s.count is not None:
                if s.count == 0:
                    return known(0)
                total = min(total * s.count, _LIMIT)
            elif s.data:
                found_data = found_data or s
                dims += 1
            else:
                unknown = True
        if found_data is not None:
            return Scale(DATA, total, found_data.why, found_data.named, data_dims=dims)
        if unknown:
            return Scale(UNKNOWN, total)
        return known(total)
    s = of(model, node, d)
    if s.data:
        return Scale(DATA, 1, s.why, s.named, data_dims=1)
    return s


def is_test_path(path: str) -> bool:
    """Is `path` a test module (`test_*.py`, `*_test.py`, `conftest.py`, or under `tests/`)?"""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    if name.startswith("test_") or name.endswith(("_test.py", "_tests.py")) or name == "conftest.py":
        return True
    return any(p in ("tests", "test", "testing") for p in parts[:-1])


# A dimension data-sized only by its name counts when the rest of the shape has at least
# this many elements (`np.zeros((niter, mod.nobs, k))` with niter = 11_000).
NAMED_MIN_OTHER = 1_000


def reportable(scale: Scale, ctx, threshold_count: Optional[int] = None) -> bool:
    """The common default policy: report data-sized values, and known sizes at or above
    `threshold_count` elements; unknown only when the user asked (`report-unknown-scale`),
    never in a test file, where data is built inline."""
    if scale.data and not scale.named:
        return True
    if scale.data and scale.count is not None and scale.count >= NAMED_MIN_OTHER:
        return True
    if scale.small:
        return scale.count is not None and threshold_count is not None and scale.count >= threshold_count
    if scale.count is not None and threshold_count is not None and scale.count >= threshold_count:
        return True  # the known dimensions alone are large
    return bool(getattr(ctx, "report_unknown_scale", False)) and not getattr(ctx, "is_test", False)
