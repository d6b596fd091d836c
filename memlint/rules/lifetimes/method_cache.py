"""MEM502 method-cache."""

from __future__ import annotations

import libcst as cst

from memlint.rule import Rule
from memlint.semantic.syntax import int_value, is_none, keyword, positional
from memlint.semantic.lifetime import IMPLICIT_CLASS_METHODS

CACHES = {"functools.lru_cache": "lru_cache", "functools.cache": "cache"}
# Decorators that make the function something other than an instance method.
NOT_INSTANCE = frozenset("builtins.staticmethod builtins.classmethod".split())
# Classes whose instances live for the whole program anyway: enum members, and classes
# themselves (the instances of a metaclass).
ENUM_BASES = frozenset(
    "enum.Enum enum.IntEnum enum.StrEnum enum.Flag enum.IntFlag enum.ReprEnum".split()
)
META_BASES = frozenset("builtins.type abc.ABCMeta enum.EnumMeta enum.EnumType".split())
ENUM_METACLASSES = frozenset("enum.EnumMeta enum.EnumType".split())


class MethodCache(Rule):
    code = "MEM502"
    name = "method-cache"
    pylint_id = "W7751"
    message = (
        "functools.{func} on method {method}() keeps every instance it is called on alive "
        "({bound}); cache on the instance (functools.cached_property, a dict attribute) or in "
        "a module-level function of the arguments that matter"
    )
    summary = "functools.lru_cache or functools.cache on an instance method keeps every self alive."
    what = """
        Flags `functools.lru_cache` and `functools.cache`, under any import alias and in
        every decorator form (`@lru_cache`, `@lru_cache()`, `@lru_cache(maxsize=128)`,
        `@functools.cache`), applied to an instance method.
    """
    why = """
        The cache belongs to the function, which lives on the class for the whole program,
        and its keys include every argument - `self` too. Each instance the method is called
        on therefore stays referenced by the cache, with everything it holds (a model, a
        frame, a connection), long after the program dropped it: with `cache` or
        `maxsize=None` forever, with a bound until enough other calls push it out. In a
        service that makes a new object per request, this is a leak. The results are also
        shared across instances by key, not stored with the instance they belong to.
    """
    example = """
        from functools import lru_cache

        class FeatureStore:
            def __init__(self, table):
                self.table = table

            @lru_cache(maxsize=None)
            def embedding(self, user_id):
                return self.table.lookup(user_id)
    """
    use_instead = """
        class FeatureStore:
            def __init__(self, table):
                self.table = table
                self._embeddings = {}

            def embedding(self, user_id):
                if user_id not in self._embeddings:
                    self._embeddings[user_id] = self.table.lookup(user_id)
                return self._embeddings[user_id]
    """
    limits = """
        On by default: the decorator keeps instances alive whenever more than one is ever
        made, the same judgement flake8-bugbear (B019) and ruff make, and the fix never
        changes results. Static methods, class methods, module-level functions and functions nested inside a
        method are not flagged; neither is `functools.cached_property`, which stores the value
        on the instance. Neither are `__new__`, `__init_subclass__` and `__class_getitem__`, which Python makes
        static or class methods. Methods of enum classes (their members are singletons, also through an enum base
        class of the same file) and of
        metaclasses (their instances are classes) are not flagged. An object meant to live
        for the whole program (a singleton) does not leak: silence the finding there with
        `# noqa: MEM502`. `@lru_cache(maxsize=0)` caches nothing and is not flagged.
    """
    invalid = (
        "import functools\nclass A:\n    @functools.cache\n    def f(self, x):\n        return x\n",
        "import functools as ft\nclass A:\n    @ft.lru_cache(maxsize=None)\n    def f(self, x):\n        return x\n",
        "from functools import lru_cache as memo\nclass A:\n    @memo\n    def f(self):\n        return 1\n",
        "from functools import lru_cache\nclass A:\n    @lru_cache()\n    def f(self, x):\n        return x\n",
        "from functools import lru_cache\nclass A:\n    @property\n    @lru_cache(maxsize=32)\n    def f(self):\n        return 1\n",
        "from functools import cache\ndef make():\n    class Local:\n        @cache\n        def f(self):\n            return 1\n    return Local\n",
    )
    valid = (
        "import functools\n@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x\n",
        "import functools\nclass A:\n    @staticmethod\n    @functools.lru_cache\n    def f(x):\n        return x\n",
        "import functools\nclass A:\n    @classmethod\n    @functools.cache\n    def f(cls, x):\n        return x\n",
        "import functools\nclass A:\n    @functools.cached_property\n    def f(self):\n        return 1\n",
        "import functools\nclass A:\n    def f(self):\n        @functools.lru_cache\n        def g(x):\n            return x\n        return g\n",
        "import enum, functools\nclass Color(enum.Enum):\n    RED = 1\n    @functools.cache\n    def f(self):\n        return 1\n",
        "import enum, functools\nclass Base(enum.Enum):\n    pass\nclass Color(Base):\n"
        "    RED = 1\n    @functools.cache\n    def f(self):\n        return 1\n",
        "import functools\nclass Meta(type):\n    @functools.lru_cache\n    def f(cls):\n        return 1\n",
        "def lru_cache(f):\n    return f\nclass A:\n    @lru_cache\n    def f(self):\n        return 1\n",
        "import functools\nclass A:\n    @functools.lru_cache(maxsize=0)\n    def f(self):\n        return 1\n",
        "import functools\nclass A:\n    @functools.lru_cache\n    def __new__(cls, x):\n        return super().__new__(cls)\n",
    )
    triggers = r"\b(?:lru_cache|cache)\b"

    def __init__(self, ctx, settings=None):
        super().__init__(ctx, settings)
        self._singleton_names = set()  # classes of this file that are enums or metaclasses
        self._singleton_nodes = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self._singleton_class(node):
            self._singleton_names.add(node.name.value)
            self._singleton_nodes.add(id(node))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        sem = self.ctx.semantic
        scope = sem.scope  # the model has entered the function's own scope
        cls = scope.parent if scope is not None else None
        if cls is None or cls.kind != "class" or not scope.params:
            return
        if not node.params.posonly_params and not node.params.params:
            return  # no positional parameter to be `self`
        if node.name.value in IMPLICIT_CLASS_METHODS:
            return  # __new__ is a static method, __init_subclass__ a class method
        hits = []
        for dec in node.decorators:
            expr = dec.decorator
            call = expr if isinstance(expr, cst.Call) else None
            qn = sem.qualified_name(call.func if call is not None else expr)
            if qn in NOT_INSTANCE:
                return
            if qn in CACHES:
                hits.append((dec, CACHES[qn], call))
        if not hits or id(cls.node) in self._singleton_nodes:
            return
        dec, func, call = hits[0]
        bound = self._bound(func, call)
        if bound is None:
            return
        self.report(dec, func=func, method=node.name.value, bound=bound)

    def _bound(self, func: str, call):
        if func == "cache":
            return "the cache is unbounded"
        if call is None:
            return "up to 128 calls by default"
        size = keyword(call, "maxsize")
        if size is None:
            args = positional(call)
            size = args[0] if args else None
        if size is None:
            return "up to 128 calls by default"
        if is_none(size.value):
            return "the cache is unbounded"
        n = int_value(size.value)
        if n == 0:
            return None
        return f"up to maxsize={n} calls" if n is not None else "up to maxsize calls"

    def _singleton_class(self, node: cst.ClassDef) -> bool:
        sem = self.ctx.semantic
        for base in node.bases:
            qn = sem.qualified_name(base.value)
            if qn in ENUM_BASES or qn in META_BASES:
                return True
            if qn is None and isinstance(base.value, cst.Name) and (
                base.value.value in self._singleton_names
            ):
                return True  # derives from an enum or metaclass defined above
        for kw in node.keywords:
            if kw.keyword is not None and kw.keyword.value == "metaclass" and (
                sem.qualified_name(kw.value) in ENUM_METACLASSES
            ):
                return True
        return False
