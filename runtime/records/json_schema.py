"""The JSON Schema of an object's input: what a create or update request body may hold.

The schema is the published contract (API documentation, OpenAPI, form hints). The pipeline
enforces it through the compiled coercers of :mod:`runtime.records.coercion` — the same facts
(types, lengths, bounds, values, patterns), checked without walking a schema per record, which
would cost ten times a row insert. A test feeds generated inputs to both and checks they agree.
Native Python values (``Decimal``, ``date``…) are accepted by the coercers as well; the schema
describes their JSON form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import jsonschema

from runtime.records import coercion as c

_TEXT_LIKE = {"text", "textarea", "long_text", "rich_text", "phone", "email", "url"}


class ObjectInputs(Protocol):
    """What the schema reads of a :class:`runtime.records.model.ObjectModel`.

    Named structurally: the model module builds and caches these schemas, so importing it here
    would make the two modules a circle.
    """

    name: str
    inputs: Mapping[str, Any]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kinds = schema["type"]
    schema["type"] = [*kinds, "null"] if isinstance(kinds, list) else [kinds, "null"]
    return schema


def field_schema(spec) -> dict[str, Any]:
    """The JSON Schema of one input field."""
    definition = spec.definition
    kind = spec.type
    description = definition.label.en if definition is not None else spec.name
    if kind in _TEXT_LIKE:
        schema: dict[str, Any] = {"type": "string", "maxLength": definition.max_length}
        if kind == "email":
            schema.update(format="email", pattern=f"{c.EMAIL_PATTERN}|^$")
        elif kind == "url":
            schema.update(format="uri", pattern=f"{c.URL_PATTERN}|^$")
    elif kind == "integer":
        schema = {"type": ["integer", "string"], "pattern": c.INTEGER_PATTERN}
        # the column's range bounds a field without bounds of its own
        schema["minimum"] = definition.min_value if definition.min_value is not None else c.INTEGER_MIN
        schema["maximum"] = definition.max_value if definition.max_value is not None else c.INTEGER_MAX
    elif kind in ("number", "currency", "percent"):
        # Money travels as text as well as as a JSON number; bounds apply to JSON numbers only
        # here, the coercer applies them to both.
        schema = {"type": ["number", "string"], "pattern": c.DECIMAL_PATTERN}
        whole = 10 ** (definition.precision - definition.scale)
        schema["exclusiveMinimum"] = -whole
        schema["exclusiveMaximum"] = whole
        if definition.min_value is not None:
            schema["minimum"] = float(definition.min_value)
        if definition.max_value is not None:
            schema["maximum"] = float(definition.max_value)
    elif kind == "date":
        schema = {"type": "string", "format": "date", "pattern": c.DATE_PATTERN}
    elif kind == "datetime":
        schema = {"type": "string", "format": "date-time", "pattern": c.DATETIME_PATTERN}
    elif kind == "time":
        schema = {"type": "string", "format": "time", "pattern": c.TIME_PATTERN}
    elif kind == "checkbox":
        schema = {"type": "boolean"}
    elif kind in ("picklist", "region") and spec.choices is not None:
        schema = {"type": "string", "enum": sorted(spec.choices) + ["", None]}
    elif kind == "multi_picklist":
        schema = {"type": "array", "items": {"type": "string", "enum": sorted(spec.choices or ())}, "uniqueItems": True}
        if definition.max_selections is not None:
            schema["maxItems"] = definition.max_selections
    elif kind == "tags":
        schema = {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": c.TAG_MAX_LENGTH},
            "uniqueItems": True,
            "maxItems": definition.max_tags,
        }
    elif kind in ("lookup", "master_detail", "user", "department"):
        schema = {"type": "string", "pattern": f"{c.ID_PATTERN}|^$"}
    elif kind == "geolocation":
        limits = {"lat": 90, "lng": 180}
        schema = {
            "type": "object",
            "properties": {
                key: {"type": ["number", "string"], "pattern": c.DECIMAL_PATTERN, "minimum": -limit, "maximum": limit}
                for key, limit in limits.items()
            },
            "required": ["lat", "lng"],
            "additionalProperties": False,
        }
    elif kind in ("file", "image"):
        item = {
            "type": "object",
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string"},
                "media_type": {"type": "string", **({"enum": list(definition.accept)} if definition.accept else {})},
                "size": {"type": "integer", "maximum": definition.max_size_mb * 1024 * 1024},
            },
            "required": ["id"],
            "additionalProperties": False,
        }
        schema = {"type": "array", "items": item}
        if not definition.multiple:
            schema["maxItems"] = 1
    else:  # pragma: no cover - every input type is listed above
        raise ValueError(f"no JSON Schema for field type {kind!r}")
    schema = _nullable(schema)
    schema["description"] = description
    return schema


def object_schema(model: ObjectInputs) -> dict[str, Any]:
    """The JSON Schema of a create or update body of ``model``: only known, settable fields."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": model.name,
        "type": "object",
        "properties": {name: field_schema(spec) for name, spec in model.inputs.items()},
        "additionalProperties": False,
    }


def schema_validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A jsonschema validator for an object schema (for tools and tests; the pipeline uses coercers)."""
    return jsonschema.Draft202012Validator(schema)
