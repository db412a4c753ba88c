"""How the formula engine learns about objects and fields: the :class:`SchemaResolver` protocol.

``formula/`` knows nothing of objects. The checker asks a resolver three questions:

* ``field_type(object_name, field_name)`` — the :class:`~formula.types.FormulaType` of one field
  of one object, or ``None`` when the object has no such field. A reference field (lookup,
  master-detail, user, department…) answers ``reference(target_object)``; the checker follows
  paths such as ``owner.department.name`` by asking again on the target object.
* ``field_names(object_name)`` — every field name of the object, only used to suggest
  "did you mean …" when a name is unknown.
* ``global_object(name)`` — which object a global such as ``$User`` stands for (e.g. ``"user"``),
  or ``None`` when the resolver knows no such global. ``$User.department`` is then checked as
  the path ``department`` on that object. ``$Today`` (date) and ``$Now`` (datetime) are built in
  and never reach the resolver.

Field names are api names, compared exactly (case-sensitive). Global names are given as written
(``$User``, ``$user``…); resolvers should compare them case-insensitively.

The metadata layer maps its field types onto formula types like this (the mapping lives there):

====================================================  ============================
field type                                            formula type
====================================================  ============================
text, textarea, long_text, rich_text, email, phone,   ``TEXT``
url, auto_number
integer                                               ``number(0)``
number(scale)                                         ``number(scale)``
currency                                              ``currency(scale)``
percent                                               ``percent(scale)``
date / datetime / time                                ``DATE`` / ``DATETIME`` / ``TIME``
checkbox                                              ``BOOLEAN``
picklist / multi_picklist                             ``PICKLIST`` / ``MULTIPICKLIST``
lookup, master_detail, user, department               ``reference(target object)``
formula(return type)                                  the return type
rollup(number / currency / date)                      ``NUMBER`` / ``CURRENCY`` / ``DATE``
====================================================  ============================

A resolver may also offer ``schema_version()`` (or a ``schema_version`` attribute): a hashable
value that changes whenever any of its answers could. :class:`formula.cache.FormulaCache` keys
checked formulas by it; a resolver without one is never cached.

:class:`DictResolver` is a small in-memory implementation for tests and for the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from formula.types import FormulaType, parse_type

__all__ = ["DictResolver", "SchemaResolver"]


@runtime_checkable
class SchemaResolver(Protocol):
    """What the formula checker needs to know about objects. See the module docstring."""

    def field_type(self, object_name: str, field_name: str) -> FormulaType | None:
        """The formula type of ``object_name.field_name``, or None if there is no such field.

        References answer ``formula.types.reference(target_object)``.
        """
        ...

    def field_names(self, object_name: str) -> Iterable[str]:
        """All field names of ``object_name`` (empty for an unknown object); used for hints."""
        ...

    def global_object(self, name: str) -> str | None:
        """The object a global such as ``$User`` stands for, or None if there is no such global."""
        ...


class DictResolver:
    """A :class:`SchemaResolver` over plain dicts, for tests and for the command line.

    ``objects`` maps object name → field name → type (a :class:`FormulaType` or its printed form
    such as ``"currency"``, ``"number(2)"``, ``"reference(user)"``); ``globals`` maps a global
    name such as ``"$User"`` to an object name.
    """

    def __init__(
        self,
        objects: Mapping[str, Mapping[str, FormulaType | str]],
        globals: Mapping[str, str] | None = None,
    ) -> None:
        self._objects = {
            name: {field: parse_type(t) if isinstance(t, str) else t for field, t in fields.items()}
            for name, fields in objects.items()
        }
        self._globals = {key.lower(): value for key, value in (globals or {}).items()}
        # Its answers never change (the mappings were copied above): one version per resolver,
        # an object so a cache key holding it cannot be confused with a later resolver's.
        self.schema_version = object()

    def field_type(self, object_name: str, field_name: str) -> FormulaType | None:
        fields = self._objects.get(object_name)
        return None if fields is None else fields.get(field_name)

    def field_names(self, object_name: str) -> Iterable[str]:
        return tuple(self._objects.get(object_name, {}))

    def global_object(self, name: str) -> str | None:
        return self._globals.get(name.lower())

    def __repr__(self) -> str:
        return f"DictResolver(objects={sorted(self._objects)!r})"
