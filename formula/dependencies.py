"""Dependency extraction: which fields, paths and globals a formula reads.

The record layer uses it to order recalculation (a formula field depends on the fields it
reads), to prefetch cross-object paths before evaluating, and to know which formulas are
volatile (they read the clock) or need the record's previous values.
"""

from __future__ import annotations

from dataclasses import dataclass

from formula.ast import TApply, TField, TGlobal, walk
from formula.checker import CheckedFormula

__all__ = ["Dependencies", "dependencies"]

_CLOCK_KEYS = frozenset({"TODAY", "NOW", "TIMENOW"})


@dataclass(frozen=True)
class Dependencies:
    """What a formula reads.

    ``paths``: every field path read, on the formula's object (``("amount",)``,
    ``("owner", "manager", "name")``). ``globals``: global keys (``"$User.id"``, ``"$Today"``).
    ``prior_fields``: fields whose previous value is read (ISCHANGED, PRIORVALUE).
    ``reads_clock``: TODAY/NOW/TIMENOW/$Today/$Now appear (the value changes with time).
    ``reads_save_context``: ISNEW/ISCHANGED/PRIORVALUE appear.
    """

    paths: frozenset[tuple[str, ...]]
    globals: frozenset[str]
    prior_fields: frozenset[str]
    reads_clock: bool
    reads_save_context: bool

    @property
    def fields(self) -> frozenset[str]:
        """Fields of the formula's own object that are read (first names of every path)."""
        return frozenset(path[0] for path in self.paths)

    @property
    def lookups(self) -> frozenset[tuple[str, ...]]:
        """Reference paths to follow when prefetching (every proper prefix of a longer path)."""
        return frozenset(path[:i] for path in self.paths for i in range(1, len(path)))

    @property
    def cross_object(self) -> bool:
        return any(len(path) > 1 for path in self.paths)


def dependencies(checked: CheckedFormula) -> Dependencies:
    """The :class:`Dependencies` of a checked formula."""
    paths: set[tuple[str, ...]] = set()
    globals_: set[str] = set()
    prior: set[str] = set()
    clock = False
    save_context = False
    for node in walk(checked.tree):
        if isinstance(node, TField):
            paths.add(node.path)
        elif isinstance(node, TGlobal):
            globals_.add(node.key)
            clock = clock or node.key in ("$Today", "$Now")
        elif isinstance(node, TApply):
            if node.key in _CLOCK_KEYS:
                clock = True
            elif node.key == "ISNEW":
                save_context = True
            elif node.key in ("ISCHANGED", "PRIORVALUE"):
                save_context = True
                field = node.args[0]
                if isinstance(field, TField):
                    prior.add(field.path[0])
    return Dependencies(frozenset(paths), frozenset(globals_), frozenset(prior), clock, save_context)
