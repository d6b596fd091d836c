"""What an expression evaluates to, as far as memlint can tell without running anything.

A `Value` is deliberately coarse: a kind ("dataframe", "ndarray", "tensor", "sparse", "list",
...), whether the object is fresh (newly made, referenced by nothing else) and whether it is
typically large. Everything memlint cannot vouch for is UNKNOWN, and rules stay silent on it.

Besides data kinds there are "file" (an open file object: `open(...)`, `gzip.open(...)`,
`Path.open()`, also bound by `with ... as f`), "path" (a `pathlib.Path`) and
"transformer:<kind>" (a fitted estimator whose `transform()` returns <kind>; see sklearn.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import libcst as cst

from memlint.semantic.syntax import int_value


@dataclass(frozen=True)
class Value:
    kind: str = "unknown"
    fresh: bool = False
    large: bool = False
    origin: str = ""  # the qualified call or method it came from, for messages
    scale: Optional[object] = None  # its semantic.scale.Scale when known (None: unknown)

    @property
    def known(self) -> bool:
        return self.kind != "unknown"


UNKNOWN = Value()

# --- library calls that return a new object -------------------------------------------------

PANDAS_READERS = frozenset(
    "read_csv read_table read_fwf read_excel read_json read_parquet read_feather read_orc "
    "read_pickle read_hdf read_sql read_sql_query read_sql_table read_stata read_sas read_spss "
    "read_xml read_html".split()
)
NUMPY_ALLOCATORS = frozenset(
    "zeros ones empty full zeros_like ones_like empty_like full_like eye identity arange "
    "linspace logspace geomspace array fromfile loadtxt genfromtxt "
    "concatenate stack vstack hstack dstack tile repeat meshgrid copy load".split()
)
NUMPY_RANDOM = frozenset(
    "rand randn random random_sample normal uniform randint standard_normal choice "
    "permutation".split()
)
TORCH_CONSTRUCTORS = frozenset(
    "tensor zeros ones empty full rand randn randint arange linspace eye zeros_like "
    "ones_like empty_like rand_like randn_like full_like cat stack load".split()
)
# Calls that return their input, or an object sharing its memory: the kind is known, the
# object is not new.
SHARING_CALLS = {
    "numpy.asarray": "ndarray",
    "numpy.asanyarray": "ndarray",
    "numpy.frombuffer": "ndarray",
    "torch.from_numpy": "tensor",
    "torch.as_tensor": "tensor",
}
SCIPY_SPARSE = frozenset(
    "csr_matrix csc_matrix coo_matrix lil_matrix dok_matrix bsr_matrix dia_matrix csr_array "
    "csc_array coo_array lil_array dok_array bsr_array dia_array random rand eye identity "
    "diags hstack vstack kron load_npz".split()
)

_EXACT: Dict[str, Value] = {
    "pickle.load": Value("object", True, True, "pickle.load"),
    "pickle.loads": Value("object", True, True, "pickle.loads"),
    "joblib.load": Value("object", True, True, "joblib.load"),
    "io.StringIO": Value("buffer", True, False, "io.StringIO"),
    "io.BytesIO": Value("buffer", True, False, "io.BytesIO"),
    "copy.copy": Value("object", True, False, "copy.copy"),
    "copy.deepcopy": Value("object", True, False, "copy.deepcopy"),
    "builtins.list": Value("list", True, False, "list"),
    "builtins.dict": Value("dict", True, False, "dict"),
    "builtins.set": Value("set", True, False, "set"),
    "builtins.sorted": Value("list", True, False, "sorted"),
    "pandas.DataFrame": Value("dataframe", True, False, "pandas.DataFrame"),
    "pandas.Series": Value("series", True, False, "pandas.Series"),
    "pandas.concat": Value("dataframe", True, True, "pandas.concat"),
    "pandas.merge": Value("dataframe", True, True, "pandas.merge"),
    "pandas.get_dummies": Value("dataframe", True, True, "pandas.get_dummies"),
}
# Calls that open a file and return its file object (text or binary; iterable by line).
FILE_OPENERS = frozenset(
    "builtins.open io.open codecs.open gzip.open bz2.open lzma.open os.fdopen".split()
)
PATH_CLASSES = frozenset("pathlib.Path pathlib.PosixPath pathlib.WindowsPath".split())
# Kinds whose `__enter__` returns the object itself, so `with X as name` binds X's value.
ENTER_RETURNS_SELF = frozenset({"file"})


# scipy.sparse functions taking the shape as separate arguments: (first, second) names;
# a None second means square.
_SPARSE_SHAPE_ARGS = {"eye": ("m", "n"), "identity": ("n", None), "random": ("m", "n"),
                      "rand": ("m", "n")}
SMALL_DENSE_BYTES = 1_000_000


def _sparse_is_small(func: str, call: Optional[cst.Call]) -> bool:
    """A scipy.sparse constructor whose constant shape makes even its dense form small, or
    one built from a literal nested list (`csr_matrix([[1, 0], [0, 1]])`)."""
    if call is None or any(a.star for a in call.args):
        return False
    args = [a.value for a in call.args if a.keyword is None]
    kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    m = n = None
    if func in _SPARSE_SHAPE_ARGS:
        first, second = _SPARSE_SHAPE_ARGS[func]
        m = int_value(args[0] if args else kw.get(first))
        if second is None:
            n = m
        else:
            raw = args[1] if len(args) > 1 else kw.get(second)
            n = m if raw is None and func == "eye" else int_value(raw)
    elif func.endswith(("_matrix", "_array")):
        shape = kw.get("shape")
        if shape is None and args and isinstance(args[0], cst.Tuple) and all(
            int_value(el.value) is not None for el in args[0].elements
        ):
            shape = args[0]  # csr_matrix((M, N)): an empty matrix of that shape
        if shape is None and args and isinstance(args[0], cst.List):
            return True  # dense values written out in the source
        if isinstance(shape, (cst.Tuple, cst.List)) and len(shape.elements) == 2:
            m, n = (int_value(el.value) for el in shape.elements)
    return m is not None and n is not None and m * n * 8 < SMALL_DENSE_BYTES


def call_value(qualified: Optional[str], call: Optional[cst.Call] = None) -> Value:
    """The value returned by a call to the library function `qualified`; `call` (the libcst
    Call) refines a few answers."""
    if not qualified:
        return UNKNOWN
    hit = _EXACT.get(qualified)
    if hit is not None:
        return hit
    if qualified in SHARING_CALLS:
        return Value(SHARING_CALLS[qualified], False, True, qualified)
    if qualified in FILE_OPENERS:
        return Value("file", True, False, qualified)
    if qualified in PATH_CLASSES:
        return Value("path", True, False, qualified)
    module, _, func = qualified.rpartition(".")
    if module == "pandas" and func in PANDAS_READERS:
        return Value("dataframe", True, True, qualified)
    if module == "numpy" and func in NUMPY_ALLOCATORS:
        return Value("ndarray", True, True, qualified)
    if module == "numpy.random" and func in NUMPY_RANDOM:
        return Value("ndarray", True, True, qualified)
    if module == "torch" and func in TORCH_CONSTRUCTORS:
        return Value("tensor" if func != "load" else "object", True, True, qualified)
    if module == "scipy.sparse" and func in SCIPY_SPARSE:
        return Value("sparse", True, not _sparse_is_small(func, call), qualified)
    return UNKNOWN


# --- methods: which return a new object, by receiver kind ----------------------------------

# pandas methods that always build and return a new object (with no inplace=True).
PANDAS_FRESH_METHODS = frozenset(
    "copy merge join assign drop drop_duplicates dropna fillna astype sort_values sort_index "
    "reset_index set_index rename replace apply applymap map transform pivot pivot_table melt "
    "explode groupby_agg agg aggregate query round clip abs cumsum cumprod diff pct_change shift "
    "interpolate where mask isna notna isnull notnull describe corr cov "
    "nlargest nsmallest sample filter reindex "
    # also documented to return a new object
    "ffill bfill rank value_counts add_prefix add_suffix".split()
)
NUMPY_FRESH_METHODS = frozenset(
    "copy astype flatten round clip cumsum cumprod dot tolist repeat take compress".split()
)
TORCH_FRESH_METHODS = frozenset("clone float double half long int to numpy cpu".split())
# Methods returning a view or the same object: never fresh.
VIEW_METHODS = frozenset("view reshape ravel transpose T squeeze unsqueeze detach".split())

# pandas methods whose result may share memory with the receiver: kind known, not fresh.
PANDAS_SHARING_METHODS = frozenset("head tail to_numpy to_frame".split())

METHOD_KIND = {"to_numpy": "ndarray", "tolist": "list", "numpy": "ndarray", "value_counts": "series"}
# pathlib methods returning another path.
PATH_METHODS = frozenset(
    "joinpath with_name with_suffix with_stem resolve absolute expanduser".split()
)
# Fitted-transformer kinds are spelled "transformer:<kind of what transform() returns>"
# (see semantic/sklearn.py). fit() and partial_fit() return the estimator itself.
TRANSFORMER = "transformer:"


def _literal_samples(call: Optional[cst.Call]) -> bool:
    """`est.transform([doc])`, `cv.fit_transform([s1, s2])`: samples written out in a literal
    list or tuple are few, so the result is small."""
    if call is None:
        return False
    args = [a for a in call.args if a.keyword is None]
    if not args or args[0].star:
        return False
    first = args[0].value
    return isinstance(first, (cst.List, cst.Tuple)) and all(
        isinstance(el, cst.Element) for el in first.elements
    )


def method_value(receiver: Value, method: str, call: Optional[cst.Call] = None) -> Value:
    """What `receiver.method(...)` returns; `call` (the libcst Call) refines a few answers."""
    kind = receiver.kind
    if kind.startswith(TRANSFORMER):
        if method in ("transform", "fit_transform"):
            out = kind[len(TRANSFORMER):]
            return Value(out, True, not _literal_samples(call), f"{receiver.origin}.{method}")
        if method in ("fit", "partial_fit"):
            return receiver
        return UNKNOWN
    if kind == "path":
        if method == "open":
            return Value("file", True, False, "pathlib.Path.open")
        if method == "read_text":
            return Value("str", True, True, "pathlib.Path.read_text")
        if method in PATH_METHODS:
            return Value("path", True, False, receiver.origin)
        return UNKNOWN
    if kind in ("dataframe", "series"):
        if method in PANDAS_FRESH_METHODS:
            return Value(METHOD_KIND.get(method, kind), True, receiver.large, method)
        if method in PANDAS_SHARING_METHODS:
            return Value(METHOD_KIND.get(method, kind), False, receiver.large, method)
        return UNKNOWN
    if kind == "ndarray":
        if method in NUMPY_FRESH_METHODS:
            return Value(METHOD_KIND.get(method, kind), True, receiver.large, method)
        return UNKNOWN
    if kind == "tensor":
        if method == "clone":
            return Value("tensor", True, receiver.large, method)
        return UNKNOWN
    if kind == "sparse":
        if method in ("toarray", "todense"):
            return Value("ndarray", True, True, method)
        if method == "copy":
            return Value("sparse", True, receiver.large, method)
        if method in ("tocsr", "tocsc", "tocoo"):  # the receiver itself when already that format
            return Value("sparse", False, receiver.large, method)
        return UNKNOWN
    if kind in ("list", "dict", "set") and method == "copy":
        return Value(kind, True, False, method)
    return UNKNOWN
