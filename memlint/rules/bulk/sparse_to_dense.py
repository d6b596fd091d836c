"""MEM602 sparse-to-dense."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Option, Rule
from memlint.semantic import sklearn as SK
from memlint.semantic.syntax import named_call

DENSIFIERS = ("toarray", "todense")


class SparseToDense(Rule):
    code = "MEM602"
    name = "sparse-to-dense"
    pylint_id = "W7761"
    message = "{what} densifies a sparse matrix{origin}, storing every zero; {fix}"
    summary = "A matrix known to be sparse is converted to a dense array."
    what = """
        Flags `.toarray()` and `.todense()` on a value memlint knows is a scipy sparse matrix:
        built by a `scipy.sparse` constructor (`csr_matrix`, `coo_matrix`, `random`, `eye`,
        `diags`, `hstack`/`vstack`, `load_npz`...), returned by `sklearn.datasets.
        load_svmlight_file`, or returned by `fit_transform`/`transform` of a scikit-learn
        estimator whose output is sparse: `CountVectorizer`, `TfidfVectorizer`,
        `HashingVectorizer`, `TfidfTransformer`, `FeatureHasher`, `OneHotEncoder` and
        `DictVectorizer` (sparse by default) and `KBinsDiscretizer(encode="onehot")`; also
        through `train_test_split` of such a matrix. With the `dense-encoders` option it
        also flags encoders asked for dense one-hot output: `OneHotEncoder(sparse_output=
        False)` (or the older `sparse=False`), `DictVectorizer(sparse=False)` and
        `KBinsDiscretizer(encode="onehot-dense")`.
    """
    why = """
        A text or one-hot matrix is almost all zeros: a TF-IDF matrix of 100,000 documents
        over a 50,000-word vocabulary holds about 10 million non-zeros (about 120 MB as CSR),
        but `.toarray()` allocates 100,000 x 50,000 float64 cells, 40 GB. Most scikit-learn
        estimators (linear models, naive Bayes, SVMs, nearest neighbours, `TruncatedSVD`)
        accept sparse input directly; where dense input is unavoidable, densify one batch
        of rows at a time.
    """
    example = """
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(min_df=2)
        X = vectorizer.fit_transform(documents)
        features = X.toarray()
    """
    use_instead = """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = TfidfVectorizer(min_df=2)
        X = vectorizer.fit_transform(documents)
        model = LogisticRegression().fit(X, labels)  # sparse input, no densifying
    """
    limits = """
        A `.toarray()` on anything memlint cannot trace to a sparse source is never flagged:
        many libraries have a `toarray` method. Rows selected before densifying
        (`X[batch].toarray()`, `X[i:j].todense()`) are the batched fix and are not flagged,
        nor is the transform of samples written out in a literal list
        (`vec.transform([query]).toarray()`, `cv.fit_transform([s1, s2]).toarray()`).
        Neither is a scipy.sparse matrix built with a constant shape whose dense form is
        under 1 MB (`sp.eye(100)`, `sp.random(50, 50)`) or from a nested list literal.
        Estimators held in attributes or pipelines are not tracked. Otherwise the size is
        not known statically: a small matrix densified on purpose needs a `# noqa: MEM602`.
        `pd.get_dummies` is not flagged: its output is only large when a column has many
        distinct values, which code does not show.

        On by default for `.toarray()`/`.todense()`: the value is traced to a source that is
        sparse because it is wide (a vocabulary, a one-hot or hashed feature space), so the
        dense copy is where memory blows up. The `dense-encoders` part is off by default:
        `OneHotEncoder(sparse_output=False)` on a few low-cardinality columns is idiomatic
        (and required for pandas output), and code does not show the cardinality.
    """
    options = {
        "dense-encoders": Option(
            False,
            "also flag OneHotEncoder(sparse_output=False), DictVectorizer(sparse=False) and "
            'KBinsDiscretizer(encode="onehot-dense"); off by default because a dense one-hot '
            "encoding of a few low-cardinality columns is common and harmless",
        ),
    }
    invalid = (
        "from scipy import sparse\nm = sparse.load_npz('adj.npz')\ndense = m.todense()\n",
        "from sklearn.preprocessing import OneHotEncoder\n"
        "X = OneHotEncoder(handle_unknown='ignore').fit_transform(df[cols]).toarray()\n",
        "import sklearn.feature_extraction.text as text\nvec = text.CountVectorizer()\n"
        "vec.fit(train)\nXt = vec.transform(test).toarray()\n",
        "from sklearn.datasets import load_svmlight_file\nX, y = load_svmlight_file('a.svm')\n"
        "Xd = X.toarray()\n",
        "from sklearn.feature_extraction.text import TfidfVectorizer\n"
        "from sklearn.model_selection import train_test_split\n"
        "X = TfidfVectorizer().fit_transform(docs)\nX_tr, X_te, y_tr, y_te = train_test_split(X, y)\n"
        "model.fit(X_tr.toarray(), y_tr)\n",
    )
    valid = (
        "def f(m):\n    return m.toarray()\n",
        "from sklearn.feature_extraction.text import TfidfVectorizer\nvec = TfidfVectorizer()\n"
        "X = vec.fit_transform(docs)\nfor s in range(0, X.shape[0], 1000):\n    chunk = X[s:s + 1000].toarray()\n",
        "from sklearn.feature_extraction.text import TfidfVectorizer\nvec = TfidfVectorizer().fit(docs)\n"
        "q = vec.transform([query]).toarray()\n",
        "from sklearn.preprocessing import OneHotEncoder\n"
        "X = OneHotEncoder(sparse_output=False).fit_transform(df[['color']])\n",
        "from sklearn.preprocessing import StandardScaler\nX = StandardScaler().fit_transform(A).toarray()\n",
        "import pandas as pd\nX = pd.get_dummies(df['city']).to_numpy()\n",
        "class TfidfVectorizer:\n    pass\nX = TfidfVectorizer().fit_transform(d).toarray()\n",
        "import scipy.sparse as sp\nI = sp.eye(64).toarray()\nR = sp.random(30, 40, density=0.1)\n"
        "print(R.todense(), sp.csr_matrix([[1, 0], [0, 2]]).toarray())\n",
    )
    needs = frozenset({"uses"})
    triggers = r"\bto(?:array|dense)\b|OneHotEncoder|DictVectorizer|KBinsDiscretizer"

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self._pending = []

    def leave_Module(self, node: cst.Module) -> None:
        for call, name, owner, report in self._pending:
            if not _used_after(owner.uses.get(name, ()), call):
                self.report(call, **report)
        self._pending = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        sem = self.ctx.semantic
        if isinstance(func, cst.Attribute) and func.attr.value in DENSIFIERS:
            receiver = func.value
            if isinstance(receiver, cst.Subscript):
                return  # rows selected first: the batched form
            value = sem.value_of(receiver)
            if value.kind != "sparse" or not value.large or value.origin == "subscript":
                return
            what = named_call(receiver, f"{func.attr.value}()")
            report = dict(what=what, origin=_origin(value.origin),
                          fix="keep it sparse (most scikit-learn estimators accept it) "
                              "or densify one batch of rows at a time")
            if type(receiver) is cst.Name:
                # decided at the end: if the sparse matrix is used again, both forms are
                # needed and "keep it sparse" would not do
                owner = sem.lookup(receiver.value) or sem.scope
                self._pending.append((node, receiver.value, owner, report))
                return
            self.report(node, **report)
            return
        if self.option("dense-encoders"):
            qn = sem.qualified_name(func)
            request = SK.dense_request(qn, node)
            if request is not None:
                short = qn.rpartition(".")[2]
                self.report(node, message=f"{short}({request}) builds a dense one-hot matrix that "
                            "stores every zero; keep the default sparse output unless the "
                            "categories are few")


def _used_after(uses, call) -> bool:
    """Is the sparse matrix read again after the statement that densifies it (before it is
    rebound)?"""
    seen = False
    for use in uses:
        inside = any(p is call for p in use.parents)
        if inside:
            seen = True
            continue
        if not seen:
            continue
        if use.kind in ("store", "del"):
            return False
        return True
    return False


def _origin(origin: str) -> str:
    """' from TfidfVectorizer.fit_transform()' and the like; '' when the origin says nothing."""
    if origin.startswith("sklearn.datasets."):
        return f" from {origin[len('sklearn.datasets.'):]}()"
    if origin.startswith("scipy.") or "." in origin:
        return f" from {origin}()"
    return ""
