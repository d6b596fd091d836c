"""What a method call does to its receiver, for the methods of Python's containers, numpy,
pandas, scipy.sparse, queues and torch modules: one table, read by every analysis that asks.

A method is looked up by name alone (memlint rarely knows the receiver's type), so a row is
the union over the types that define the method. Effects:

- MUTATES: changes the receiver in place (the copy rules: a copy that is mutated is needed);
- STORES: keeps a reference to its argument in the receiver (lifetimes: the argument lives
  on; MEM702: a loss stored this way keeps its graph);
- GROWS / SHRINKS: makes a list-like receiver longer or shorter (MEM503: a buffer that only
  grows in an endless loop).

Methods outside the table are unknown; each analysis decides what unknown means for it.
Any method ending in a single underscore (torch's `add_`), any dunder, and any call with a
non-False `inplace=` are mutators too: `semantic.mutation` checks those by form.
"""

from __future__ import annotations

from typing import Dict, FrozenSet

MUTATES = "mutates"
STORES = "stores"
GROWS = "grows"
SHRINKS = "shrinks"

_ADDS = (MUTATES, STORES, GROWS)

TABLE: Dict[str, FrozenSet[str]] = {name: frozenset(effects) for name, effects in {
    # list, collections.deque (a deque may have a maxlen: its additions are not growth)
    "append": _ADDS, "extend": _ADDS, "insert": _ADDS,
    "appendleft": (MUTATES, STORES), "extendleft": (MUTATES, STORES),
    "remove": (MUTATES, SHRINKS), "pop": (MUTATES, SHRINKS), "clear": (MUTATES, SHRINKS),
    "popleft": (MUTATES, SHRINKS),
    "sort": (MUTATES,), "reverse": (MUTATES,),
    # dict, set
    "update": (MUTATES, STORES), "setdefault": (MUTATES, STORES), "add": (MUTATES, STORES),
    "popitem": (MUTATES,), "discard": (MUTATES,), "intersection_update": (MUTATES,),
    "difference_update": (MUTATES,), "symmetric_difference_update": (MUTATES,),
    # numpy.ndarray (`put` is also queue.Queue's)
    "put": (MUTATES, STORES), "fill": (MUTATES,), "resize": (MUTATES,), "itemset": (MUTATES,),
    "setfield": (MUTATES,), "setflags": (MUTATES,), "partition": (MUTATES,),
    "byteswap": (MUTATES,),
    # pandas (the methods without an inplace= keyword)
    "set_value": (MUTATES,),
    # scipy.sparse
    "setdiag": (MUTATES,), "sort_indices": (MUTATES,), "sum_duplicates": (MUTATES,),
    "eliminate_zeros": (MUTATES,), "prune": (MUTATES,),
    # queues, heaps, torch.nn.Module, attribute setters
    "put_nowait": (STORES,), "push": (STORES,), "register_buffer": (STORES,),
    "register_parameter": (STORES,), "add_module": (STORES,), "set": (STORES,),
    "setattr": (STORES,), "__setitem__": (STORES,),
    # operators, as the lifetime analysis names them (`buf += more`, `del buf[0]`)
    "__iadd__": (GROWS,), "__delitem__": (SHRINKS,), "__isub__": (SHRINKS,),
    "__imul__": (SHRINKS,),
}.items()}


def with_effect(effect: str) -> FrozenSet[str]:
    """The names of the methods that have `effect`."""
    return frozenset(name for name, effects in TABLE.items() if effect in effects)
