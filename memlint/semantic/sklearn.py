"""scikit-learn provenance: which estimators' transform() returns a scipy sparse matrix, and
what the tuple-returning helpers (`load_svmlight_file`, `train_test_split`) unpack into.

Estimator instances get the value kind "transformer:sparse" (see values.method_value):
`vec = TfidfVectorizer()` then `X = vec.fit_transform(docs)` makes X "sparse". Everything is
keyed by the qualified name imports resolve to, never by spelling.
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

import libcst as cst

from memlint.semantic.values import UNKNOWN, Value

_TEXT = "sklearn.feature_extraction.text."
_FE = "sklearn.feature_extraction."
_PRE = "sklearn.preprocessing."

# Estimators whose transform()/fit_transform() always return a sparse matrix.
ALWAYS_SPARSE = frozenset({
    _TEXT + "CountVectorizer",
    _TEXT + "TfidfVectorizer",
    _TEXT + "HashingVectorizer",
    _TEXT + "TfidfTransformer",
    _FE + "FeatureHasher",
})

# Estimators whose output is sparse or dense depending on one keyword:
# qualified name -> (keywords, in order of precedence; their value meaning sparse output;
#                    the default is sparse).
KEYWORD_SPARSE = {
    _PRE + "OneHotEncoder": (("sparse_output", "sparse"), True),
    _FE + "DictVectorizer": (("sparse",), True),
}
# KBinsDiscretizer: encode="onehot" (the default) is sparse, "onehot-dense" is the dense one-hot.
KBINS = _PRE + "KBinsDiscretizer"

# Encoders that can be asked for a dense one-hot output: name -> how the request is spelled.
DENSE_REQUESTS = {
    _PRE + "OneHotEncoder": "sparse_output=False",
    _FE + "DictVectorizer": "sparse=False",
    KBINS: 'encode="onehot-dense"',
}


def _keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _literal_bool(node: cst.BaseExpression) -> Optional[bool]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _literal_str(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # literal_eval may reject what the parser accepted
            return None
        return value if isinstance(value, str) else None
    return None


def sparse_output(qualified: Optional[str], call: cst.Call) -> Optional[bool]:
    """True when the estimator built by `call` transforms to sparse, False when to dense,
    None when it is not a known one-hot/vectorizing estimator or the choice is not literal."""
    if not qualified or not qualified.startswith("sklearn."):
        return None
    if any(arg.star for arg in call.args):
        return None  # **params may hold the switch
    if qualified in ALWAYS_SPARSE:
        return True
    spec = KEYWORD_SPARSE.get(qualified)
    if spec is not None:
        if any(arg.keyword is None for arg in call.args):
            return None  # very old positional signatures: cannot tell which one is the switch
        keywords, default = spec
        for name in keywords:
            arg = _keyword(call, name)
            if arg is not None:
                return _literal_bool(arg.value)
        return default
    if qualified == KBINS:
        arg = _keyword(call, "encode")
        if arg is None:
            return True
        encode = _literal_str(arg.value)
        if encode == "onehot":
            return True
        return False if encode is not None else None
    return None


def estimator_value(qualified: Optional[str], call: cst.Call) -> Optional[Value]:
    """The value of an estimator constructor call, when its transform output kind is known."""
    if sparse_output(qualified, call):
        return Value("transformer:sparse", True, False, qualified.rpartition(".")[2])
    return None


def dense_request(qualified: Optional[str], call: cst.Call) -> Optional[str]:
    """`OneHotEncoder(sparse_output=False)`: how the dense output was asked for, else None."""
    if qualified not in DENSE_REQUESTS or sparse_output(qualified, call) is not False:
        return None
    if qualified == KBINS:  # encode="ordinal" is dense but not one-hot
        arg = _keyword(call, "encode")
        if arg is None or _literal_str(arg.value) != "onehot-dense":
            return None
    return DENSE_REQUESTS[qualified]


SPLITTERS = frozenset({"sklearn.model_selection.train_test_split"})
LOADERS = {
    # X is a scipy CSR matrix, y a dense array (query_id=True adds a third item).
    "sklearn.datasets.load_svmlight_file": (
        Value("sparse", True, True, "sklearn.datasets.load_svmlight_file"),
        Value("ndarray", True, False, "sklearn.datasets.load_svmlight_file"),
        Value("ndarray", True, False, "sklearn.datasets.load_svmlight_file"),
    ),
}


def unpacked_values(
    qualified: Optional[str], call: cst.Call, value_of: Callable[[cst.CSTNode], Value], n: int
) -> Optional[Tuple[Value, ...]]:
    """The values of `a, b, ... = call` (n targets), or None when unknown."""
    if qualified in LOADERS:
        parts = LOADERS[qualified]
        return parts[:n] if n in (2, 3) else None
    if qualified in SPLITTERS:
        if any(arg.star for arg in call.args):
            return None
        arrays = [a.value for a in call.args if a.keyword is None]
        if not arrays or len(arrays) * 2 != n:
            return None
        out = []
        for expr in arrays:
            v = value_of(expr)
            # Each input comes back as a train part and a test part of the same kind.
            part = Value(v.kind, False, v.large, v.origin) if v.known else UNKNOWN
            out += [part, part]
        return tuple(out)
    return None
