"""Checked and compiled formulas, kept by text and schema version so the same work is done once.

A formula is parsed and type-checked when metadata is loaded, when a record of its object is
first saved, and every time setup shows it; the text rarely changes between those moments, nor
does the schema it was checked against. :class:`FormulaCache` keeps the :class:`CheckedFormula`
(and, when asked for, its Python closure) under a key made of the text, the options it was
checked with and the resolver's **schema version**: a value the resolver changes whenever an
answer it gives the checker could change (a field added, removed or retyped, a reference
retargeted). Resolvers without a ``schema_version`` attribute are not cached: the checker cannot
know when their answers change.

Failures are not kept: a formula that does not check is checked again, so its errors are always
fresh (and an exception object is never raised twice). The cache is bounded (least recently
used entries go first) and safe to share between threads.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Hashable

from formula.checker import CheckedFormula, check
from formula.evaluator import CompiledFormula, compile_python
from formula.schema import SchemaResolver
from formula.types import FormulaType

__all__ = ["DEFAULT_SIZE", "FormulaCache", "schema_version", "shared_cache"]

#: Entries kept by default: a few times the formulas of a large site (the shipped packages have
#: under 200; a generated 200-object package 800).
DEFAULT_SIZE = 4096


def schema_version(resolver: SchemaResolver | None) -> Hashable | None:
    """The resolver's schema version, or None when it has none (its answers are not cacheable).

    No resolver at all is a schema that never changes.
    """
    if resolver is None:
        return ()
    version = getattr(resolver, "schema_version", None)
    if callable(version):
        version = version()
    return version


class FormulaCache:
    """A bounded, thread-safe LRU of checked formulas and their Python closures."""

    def __init__(self, maxsize: int = DEFAULT_SIZE) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple, list] = OrderedDict()  # key → [checked, closure or None]
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def check(
        self,
        text: str,
        resolver: SchemaResolver | None = None,
        *,
        object_name: str | None = None,
        context: str | None = None,
        expected_type: FormulaType | None = None,
        blank_as: str = "blank",
    ) -> CheckedFormula:
        """:func:`formula.check`, answered from the cache when the same question was asked before."""
        return self._entry(text, resolver, object_name, context, expected_type, blank_as)[0]

    def compiled(
        self,
        text: str,
        resolver: SchemaResolver | None = None,
        *,
        object_name: str | None = None,
        context: str | None = None,
        expected_type: FormulaType | None = None,
        blank_as: str = "blank",
    ) -> tuple[CheckedFormula, CompiledFormula]:
        """The checked formula and its Python closure (:func:`formula.compile_python`), cached together."""
        entry = self._entry(text, resolver, object_name, context, expected_type, blank_as)
        if entry[1] is None:
            entry[1] = compile_python(entry[0])  # a race compiles twice; both closures are equal
        return entry[0], entry[1]

    def _entry(self, text, resolver, object_name, context, expected_type, blank_as) -> list:
        version = schema_version(resolver)
        if version is None or not isinstance(text, str):
            return [check(text, resolver, object_name=object_name, context=context, expected_type=expected_type, blank_as=blank_as), None]
        key = (text, object_name, context, expected_type, blank_as, version)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
            self.misses += 1
        # checked outside the lock: a slow formula does not hold up the others
        entry = [check(text, resolver, object_name=object_name, context=context, expected_type=expected_type, blank_as=blank_as), None]
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return entry


@functools.lru_cache(maxsize=1)
def shared_cache() -> FormulaCache:
    """The process's cache, for callers that have no place of their own to keep one.

    It holds no registry or database, only checked formulas under their schema versions, and is
    bounded: sharing it is what lets a reloaded registry with the same fields skip the work.
    """
    return FormulaCache()
