"""The runtime view of an object: every field (declared and system) with its coercer and kind.

An :class:`ObjectModel` is computed once per object and metadata version from the registry and
shared by the record pipeline and the query layer. It is the allow-list of names that may reach
SQL: a name that is not a key of :attr:`ObjectModel.fields` never becomes a column.
"""

from __future__ import annotations

import functools

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from metadata.models import ObjectDef, RollupField
from metadata.registry import Registry
from runtime.records import coercion as c
from runtime.records.json_schema import object_schema

#: How a field's values behave in filters, sorting and output.
TEXT, INTEGER, DECIMAL, DATE, DATETIME, TIME, BOOLEAN = "text", "integer", "decimal", "date", "datetime", "time", "boolean"
CHOICE, CHOICES, REFERENCE, JSON_LIST, GEOLOCATION, ID = "choice", "choices", "reference", "json_list", "geolocation", "id"

_TEXT_TYPES = {"text", "textarea", "long_text", "rich_text", "email", "phone", "url", "auto_number"}
_DECIMAL_TYPES = {"number", "currency", "percent"}
_FORMULA_KINDS = {
    "checkbox": BOOLEAN,
    "number": DECIMAL,
    "currency": DECIMAL,
    "percent": DECIMAL,
    "text": TEXT,
    "date": DATE,
    "datetime": DATETIME,
    "time": TIME,
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of an object as the runtime sees it."""

    name: str
    type: str
    kind: str
    definition: Any = None  # the metadata FieldDef; None for system fields
    system: bool = False
    stored: bool = True
    writable: bool = False
    coerce: c.Coercer | None = None
    targets: tuple[str, ...] = ()
    choices: frozenset[str] | None = None
    scale: int | None = None

    @property
    def label(self) -> str:
        return self.definition.label.en if self.definition is not None else self.name


@dataclass(frozen=True)
class RollupSource:
    """A roll-up on ``parent`` that summarises this object through ``relation_field``."""

    parent: str
    rollup: RollupField


@dataclass
class ObjectModel:
    """Everything the runtime needs to know about one object, computed from metadata once."""

    name: str
    definition: ObjectDef
    fields: dict[str, FieldSpec]
    #: fields users may set, in declaration sequence
    inputs: dict[str, FieldSpec]
    tracked: tuple[str, ...]
    business_types: dict[str, Any]
    default_business_type: str | None
    #: roll-ups declared on this object
    rollups: tuple[RollupField, ...]
    #: roll-ups on other objects that summarise this one
    rollup_sources: tuple[RollupSource, ...]
    formulas: tuple[str, ...]
    auto_numbers: tuple[str, ...]
    #: (child object, child field, kind, on_delete) of references pointing here
    children: tuple[tuple[str, str, str, str], ...] = ()
    value_labels: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def features(self):
        return self.definition.features

    @functools.cached_property
    def required_fields(self) -> frozenset[str]:
        """Fields required whatever the business type: declared ``required``, and master-detail."""
        return frozenset(
            name
            for name, spec in self.fields.items()
            if getattr(spec.definition, "required", False) or spec.type == "master_detail"
        )

    @functools.cached_property
    def required_stored(self) -> tuple[str, ...]:
        """The stored fields a record must fill whatever its business type, in field sequence
        (auto numbers, roll-ups and checkboxes are never blank)."""
        return tuple(
            name
            for name, spec in self.fields.items()
            if name in self.required_fields and spec.stored and spec.type not in ("auto_number", "rollup", "checkbox")
        )

    @functools.cached_property
    def static_defaults(self) -> tuple[tuple[str, FieldSpec], ...]:
        """Fields a new record takes a declared default for (a value, not a formula) when not given."""
        return tuple(
            (name, spec)
            for name, spec in self.fields.items()
            if not spec.system and spec.stored and spec.type not in ("auto_number", "formula", "rollup")
            and not getattr(spec.definition, "default_formula", None)
        )

    @functools.cached_property
    def formula_defaults(self) -> tuple[str, ...]:
        """Fields a new record takes a default formula's value for when not given, in field sequence."""
        return tuple(name for name, spec in self.fields.items() if getattr(spec.definition, "default_formula", None))

    @functools.cached_property
    def formula_inputs(self) -> frozenset[str]:
        """The fields formulas read from a record (geolocations and JSON lists are not formula values)."""
        return frozenset(name for name, spec in self.fields.items() if spec.kind not in (GEOLOCATION, JSON_LIST))

    @property
    def name_field(self) -> str:
        return self.definition.name_field

    def label(self, language: str = "en") -> str:
        return self.definition.label.text(language)


class ObjectModels:
    """The models of every object of one registry, built on first use (cached per metadata version)."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self._models: dict[str, ObjectModel] = {}
        self._value_sets: dict[str, frozenset[str]] = {}
        self._schemas: dict[str, dict] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.registry.objects

    def get(self, name: str) -> ObjectModel:
        """The model of object ``name`` (KeyError for an unknown object)."""
        model = self._models.get(name)
        if model is None:
            if name not in self.registry.objects:
                raise KeyError(name)
            model = self._models[name] = self._build(self.registry.objects[name])
        return model

    def json_schema(self, name: str) -> dict:
        """The JSON Schema of ``name``'s input (see :mod:`runtime.records.json_schema`), built once."""
        if name not in self._schemas:
            self._schemas[name] = object_schema(self.get(name))
        return self._schemas[name]

    # -- building ---------------------------------------------------------------------------

    def _choices(self, object_name: str, definition) -> frozenset[str]:
        return frozenset(value.api_name for value in self.registry.picklist_values(object_name, definition.api_name))

    def _region_values(self, value_set: str, levels: int) -> frozenset[str]:
        key = f"{value_set}:{levels}"
        if key not in self._value_sets:
            values = self.registry.value_sets[value_set].values or [] if value_set in self.registry.value_sets else []
            parents = {value.api_name: value.parent for value in values}

            def depth(name: str) -> int:
                level = 1
                while parents.get(name):
                    name = parents[name]
                    level += 1
                return level

            self._value_sets[key] = frozenset(name for name in parents if depth(name) <= levels)
        return self._value_sets[key]

    def _spec(self, object_name: str, definition) -> FieldSpec:
        kind_of = definition.type
        writable = not definition.read_only
        common: dict[str, Any] = {"name": definition.api_name, "type": kind_of, "definition": definition, "writable": writable}
        if kind_of in _TEXT_TYPES:
            if kind_of == "auto_number":
                return FieldSpec(kind=TEXT, **{**common, "writable": False})
            if kind_of == "email":
                coerce = c.email_coercer(definition.max_length)
            elif kind_of == "url":
                coerce = c.url_coercer(definition.max_length)
            else:
                coerce = c.text_coercer(definition.max_length)
            return FieldSpec(kind=TEXT, coerce=coerce, **common)
        if kind_of == "integer":
            return FieldSpec(kind=INTEGER, coerce=c.integer_coercer(definition.min_value, definition.max_value), scale=0, **common)
        if kind_of in _DECIMAL_TYPES:
            coerce = c.decimal_coercer(definition.precision, definition.scale, definition.min_value, definition.max_value)
            return FieldSpec(kind=DECIMAL, coerce=coerce, scale=definition.scale, **common)
        if kind_of == "date":
            return FieldSpec(kind=DATE, coerce=c.coerce_date, **common)
        if kind_of == "datetime":
            return FieldSpec(kind=DATETIME, coerce=c.coerce_datetime, **common)
        if kind_of == "time":
            return FieldSpec(kind=TIME, coerce=c.coerce_time, **common)
        if kind_of == "checkbox":
            return FieldSpec(kind=BOOLEAN, coerce=c.coerce_checkbox, **common)
        if kind_of == "picklist":
            choices = self._choices(object_name, definition)
            return FieldSpec(kind=CHOICE, coerce=c.choice_coercer(choices), choices=choices, **common)
        if kind_of == "multi_picklist":
            choices = self._choices(object_name, definition)
            coerce = c.multi_choice_coercer(choices, definition.max_selections)
            return FieldSpec(kind=CHOICES, coerce=coerce, choices=choices, **common)
        if kind_of in ("lookup", "master_detail", "user", "department"):
            return FieldSpec(kind=REFERENCE, coerce=c.coerce_reference, targets=definition.targets, **common)
        if kind_of == "region":
            choices = self._region_values(definition.value_set, definition.levels)
            return FieldSpec(kind=CHOICE, coerce=c.choice_coercer(choices), choices=choices, **common)
        if kind_of == "geolocation":
            return FieldSpec(kind=GEOLOCATION, coerce=c.geolocation_coercer(definition.scale), scale=definition.scale, **common)
        if kind_of in ("file", "image"):
            coerce = c.attachment_coercer(definition.multiple, definition.max_size_mb, definition.accept)
            return FieldSpec(kind=JSON_LIST, coerce=coerce, **common)
        if kind_of == "tags":
            return FieldSpec(kind=CHOICES, coerce=c.tags_coercer(definition.max_tags), **common)
        if kind_of == "formula":
            scale = definition.scale if definition.return_type in ("number", "currency", "percent") else None
            return FieldSpec(kind=_FORMULA_KINDS[definition.return_type], stored=False, scale=scale, **{**common, "writable": False})
        if kind_of == "rollup":
            kind, scale = self._rollup_kind(definition)
            return FieldSpec(kind=kind, scale=scale, **{**common, "writable": False})
        raise ValueError(f"field type {kind_of!r} has no runtime mapping")  # pragma: no cover - FIELD_TYPES is closed

    def _rollup_kind(self, definition: RollupField) -> tuple[str, int | None]:
        # Mirrors the roll-up column types of runtime.types: COUNT and SUM are decimals.
        if definition.function == "count":
            return DECIMAL, 0
        summarised = self.registry.field(definition.child_object, definition.summarized_field)
        if summarised.type in _DECIMAL_TYPES or (summarised.type == "formula" and summarised.return_type in _DECIMAL_TYPES):
            return DECIMAL, summarised.scale
        if definition.function == "sum":
            return DECIMAL, 0
        if summarised.type == "formula":
            return _FORMULA_KINDS[summarised.return_type], None
        return {"integer": INTEGER, "date": DATE, "datetime": DATETIME, "time": TIME}.get(summarised.type, TEXT), None

    def _system_fields(self, object_def: ObjectDef, business_types: Iterable[str]) -> dict[str, FieldSpec]:
        user_target = ("user",)
        specs = {
            "id": FieldSpec("id", "id", ID, system=True),
            "created_by": FieldSpec("created_by", "user", REFERENCE, system=True, targets=user_target),
            "updated_by": FieldSpec("updated_by", "user", REFERENCE, system=True, targets=user_target),
            "created_at": FieldSpec("created_at", "datetime", DATETIME, system=True),
            "updated_at": FieldSpec("updated_at", "datetime", DATETIME, system=True),
            "business_type": FieldSpec(
                "business_type", "picklist", CHOICE, system=True, writable=True,
                coerce=c.choice_coercer(frozenset(business_types)), choices=frozenset(business_types),
            ),
            "version": FieldSpec("version", "integer", INTEGER, system=True, scale=0),
            "deleted_at": FieldSpec("deleted_at", "datetime", DATETIME, system=True),
        }
        if object_def.features.owner:
            specs["owner"] = FieldSpec(
                "owner", "user", REFERENCE, system=True, writable=True, coerce=c.coerce_reference, targets=user_target
            )
        return specs

    def _build(self, object_def: ObjectDef) -> ObjectModel:
        name = object_def.api_name
        business_types = {bt.api_name: bt for bt in object_def.business_types}
        default_bt = next((bt.api_name for bt in object_def.business_types if bt.default and bt.active), None)
        fields = self._system_fields(object_def, business_types)
        for definition in object_def.fields:
            fields[definition.api_name] = self._spec(name, definition)
        inputs = {key: spec for key, spec in fields.items() if spec.writable and spec.coerce is not None}
        tracked = tuple(
            definition.api_name
            for definition in object_def.fields
            if object_def.features.history and definition.track_history and fields[definition.api_name].stored
        )
        rollup_sources = tuple(
            RollupSource(parent.api_name, definition)
            for parent in self.registry.objects.values()
            for definition in parent.fields
            if definition.type == "rollup" and definition.child_object == name
        )
        children = []
        for child in self.registry.objects.values():
            for definition in child.fields:
                if name in getattr(definition, "targets", ()):
                    children.append((child.api_name, definition.api_name, definition.type, getattr(definition, "on_delete", "cascade")))
        labels = {}
        for definition in object_def.fields:
            if definition.type in ("picklist", "multi_picklist"):
                labels[definition.api_name] = {
                    value.api_name: value for value in self.registry.picklist_values(name, definition.api_name)
                }
        return ObjectModel(
            name=name,
            definition=object_def,
            fields=fields,
            inputs=inputs,
            tracked=tracked,
            business_types=business_types,
            default_business_type=default_bt,
            rollups=tuple(definition for definition in object_def.fields if definition.type == "rollup"),
            rollup_sources=rollup_sources,
            formulas=tuple(definition.api_name for definition in object_def.fields if definition.type == "formula"),
            auto_numbers=tuple(definition.api_name for definition in object_def.fields if definition.type == "auto_number"),
            children=tuple(children),
            value_labels=labels,
        )


def zero_for(spec: FieldSpec) -> Any:
    """The zero of a numeric field (used by roll-ups over no children)."""
    if spec.kind == INTEGER:
        return 0
    return Decimal(0).quantize(Decimal(1).scaleb(-(spec.scale or 0)))


def formula_output(spec: FieldSpec, value: Any) -> Any:
    """A formula field's value as records carry it: numbers rounded (half up) to the field's scale."""
    if value is None or spec.kind != DECIMAL or spec.scale is None:
        return value
    from decimal import ROUND_HALF_UP

    return Decimal(value).quantize(Decimal(1).scaleb(-spec.scale), rounding=ROUND_HALF_UP)
