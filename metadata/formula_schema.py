"""The bridge from metadata to the formula language: field types as formula types.

:class:`RegistryResolver` answers the formula checker's questions (see
:class:`formula.SchemaResolver`) from a :class:`~metadata.registry.Registry`, so a formula in a
validation rule can say ``owner.department.name`` or ``$User.department`` and be type-checked
before anyone saves a record.

Its :meth:`~RegistryResolver.schema_version` is what :class:`formula.cache.FormulaCache` keys
checked formulas by: a digest of every answer the resolver can give (each object's field names
and formula types, and which globals resolve), so two registries that declare the same fields
share their checked formulas, and a changed field type misses the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from formula.types import (
    BOOLEAN,
    DATE,
    DATETIME,
    MULTIPICKLIST,
    PICKLIST,
    TEXT,
    TIME,
    FormulaType,
    currency,
    number,
    percent,
    reference,
)
from metadata.models import FieldDef
from metadata.merged import Registry

#: Formula types of the columns every object has (see ``SYSTEM_FIELD_NAMES``).
SYSTEM_FIELD_TYPES: dict[str, FormulaType] = {
    "id": TEXT,
    "owner": reference("user"),
    "created_by": reference("user"),
    "updated_by": reference("user"),
    "created_at": DATETIME,
    "updated_at": DATETIME,
    "deleted_at": DATETIME,
    "business_type": TEXT,
    "version": number(0),
}

_SIMPLE: dict[str, FormulaType] = {
    "text": TEXT,
    "textarea": TEXT,
    "long_text": TEXT,
    "rich_text": TEXT,
    "email": TEXT,
    "phone": TEXT,
    "url": TEXT,
    "auto_number": TEXT,
    "region": TEXT,
    "date": DATE,
    "datetime": DATETIME,
    "time": TIME,
    "checkbox": BOOLEAN,
    "picklist": PICKLIST,
    "multi_picklist": MULTIPICKLIST,
    "tags": MULTIPICKLIST,
}

#: Formula return types (as written in metadata) → formula types.
RETURN_TYPES: dict[str, FormulaType] = {
    "checkbox": BOOLEAN,
    "text": TEXT,
    "date": DATE,
    "datetime": DATETIME,
    "time": TIME,
}

#: Field types a formula cannot read (their values are not scalars).
NOT_IN_FORMULAS = frozenset({"geolocation", "file", "image"})

GLOBAL_OBJECTS = {"$user": "user"}


def formula_type_of(definition: FieldDef, registry: Registry | None = None) -> FormulaType | None:
    """The formula type of a field, or None for types formulas cannot read."""
    kind = definition.type
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "integer":
        return number(0)
    if kind == "number":
        return number(definition.scale)
    if kind == "currency":
        return currency(definition.scale)
    if kind == "percent":
        return percent(definition.scale)
    if kind in {"lookup", "master_detail", "user", "department"}:
        targets = definition.targets
        # A polymorphic reference can be compared and tested for blank, not followed.
        return reference(targets[0]) if len(targets) == 1 else TEXT
    if kind == "formula":
        return _return_type(definition.return_type, definition.scale)
    if kind == "rollup":
        return _rollup_type(definition, registry)
    return None


def _return_type(name: str, scale: int) -> FormulaType:
    if name == "number":
        return number(scale)
    if name == "currency":
        return currency(scale)
    if name == "percent":
        return percent(scale)
    return RETURN_TYPES[name]


def _rollup_type(definition, registry: Registry | None) -> FormulaType:
    if definition.function == "count":
        return number(0)
    if registry is not None and definition.child_object in registry.objects:
        summarized = registry.fields(definition.child_object).get(definition.summarized_field)
        if summarized is not None:
            found = formula_type_of(summarized, registry)
            if found is not None:
                return found
    return number(None)


class RegistryResolver:
    """A :class:`formula.SchemaResolver` over a metadata registry."""

    def __init__(self, registry: Registry):
        self.registry = registry
        # object name → (its definition, field name → field), built on first use: every field
        # reference of every formula asks, and objects have dozens of fields
        self._fields: dict[str, tuple[object, dict[str, FieldDef]]] = {}
        self._version: tuple[tuple, str] | None = None  # (the object definitions it was computed from, digest)

    def field_type(self, object_name: str, field_name: str) -> FormulaType | None:
        object_def = self.registry.objects.get(object_name)
        if object_def is None:
            return None
        cached = self._fields.get(object_name)
        if cached is None or cached[0] is not object_def:  # a registry edited in place is seen
            cached = self._fields[object_name] = (object_def, {item.api_name: item for item in object_def.fields})
        definition = cached[1].get(field_name)
        if definition is not None:
            return formula_type_of(definition, self.registry)
        return SYSTEM_FIELD_TYPES.get(field_name)

    def field_names(self, object_name: str) -> Iterable[str]:
        object_def = self.registry.objects.get(object_name)
        if object_def is None:
            return ()
        declared = [definition.api_name for definition in object_def.fields if definition.type not in NOT_IN_FORMULAS]
        return tuple(declared) + tuple(SYSTEM_FIELD_TYPES)

    def global_object(self, name: str) -> str | None:
        target = GLOBAL_OBJECTS.get(name.lower())
        return target if target in self.registry.objects else None

    def schema_version(self) -> str:
        """A digest of every answer this resolver gives: changes whenever a formula's types could.

        Recomputed when an object definition of the registry is replaced (as extensions and
        edits do: definitions are not changed in place); comparing the definitions costs one
        identity test per object.
        """
        objects = tuple(self.registry.objects.values())
        if self._version is None or self._version[0] != objects:
            self._version = (objects, _digest(self.registry))
        return self._version[1]


def _digest(registry: Registry) -> str:
    """Every object's fields with their formula types, and the globals: all the checker can learn."""
    digest = hashlib.blake2b(digest_size=16)
    for name in sorted(registry.objects):
        fields = [(item.api_name, repr(formula_type_of(item, registry))) for item in registry.objects[name].fields]
        digest.update(repr((name, fields)).encode())
    digest.update(repr((sorted(SYSTEM_FIELD_TYPES.items()), sorted(GLOBAL_OBJECTS.items()))).encode())
    return digest.hexdigest()
