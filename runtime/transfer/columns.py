"""Columns of a CSV file ↔ fields of an object, and cell text ↔ field values.

A header names a field by api name, or by its label in English or Chinese (what a user sees in
the app, so a file exported from a spreadsheet template maps without editing). Cells are text:
empty means no value; checkboxes take true/false, yes/no, 1/0, 是/否; multi-value fields are
separated by ``;``; picklist cells may hold the value's api name or either label; a geolocation
is ``lat,lng``. Everything else goes to the field's coercer as text, so an import accepts what
the API accepts and reports the same errors.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from runtime.errors import FieldError
from runtime.records import model as m
from runtime.transfer.references import ReferenceColumn, key_column

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t", "是", "真", "✓"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f", "否", "假"})
LIST_SEPARATOR = ";"


class Columns:
    """How the columns of one file map to the fields of one object."""

    def __init__(self, model: m.ObjectModel, registry, headers: list[str], models: m.ObjectModels | None = None):
        self.model = model
        self.registry = registry
        self.fields: list[str | None] = []  # per column: the field, or None for a blank header
        self.errors: list[FieldError] = []
        #: the columns of reference fields, and what their cells are matched by (see references.py)
        self.references: list[ReferenceColumn] = []
        names = _field_names(model)
        seen: dict[str, str] = {}
        for header in headers:
            text = header.strip()
            if not text:
                self.fields.append(None)
                continue
            field = names.get(text) or names.get(text.lower())
            if field is None and "." in text and models is not None:
                prefix = text.partition(".")[0]
                reference, problem = key_column(model, models, text, names.get(prefix) or names.get(prefix.lower()))
                if problem is not None:
                    self.errors.append(problem)
                    self.fields.append(None)
                    continue
                if reference is not None:
                    field = reference.field
                    if field not in seen:
                        self.references.append(reference)
            elif field is not None and field != _AMBIGUOUS and model.fields[field].kind == m.REFERENCE and field not in seen:
                self.references.append(ReferenceColumn(field, text))
            if field is None or field == _AMBIGUOUS:
                code = "ambiguous_column" if field == _AMBIGUOUS else "unknown_column"
                self.errors.append(_column_error(text, code))
                self.fields.append(None)
                continue
            if field in seen:
                self.errors.append(_column_error(text, "duplicate_column", other=seen[field]))
                self.fields.append(None)
                continue
            seen[field] = text
            self.fields.append(field)
        self._built: list[tuple[str | None, Any]] | None = None
        self._choices = {name: _choice_names(registry, model, name) for name in self.mapped if model.fields[name].kind in (m.CHOICE, m.CHOICES)}

    @property
    def mapped(self) -> list[str]:
        return [field for field in self.fields if field is not None]

    def record(self, cells: list[str]) -> dict[str, Any]:
        """The input values of one row (extra cells beyond the header are ignored)."""
        values: dict[str, Any] = {}
        for (field, convert), cell in zip(self._converters, cells, strict=False):
            if field is not None:
                text = cell.strip()
                values[field] = convert(text) if text else None
        return values

    def value(self, field: str, cell: str) -> Any:
        """The input value of one cell of ``field``'s column."""
        text = cell.strip()
        return self._converter(field)(text) if text else None

    @property
    def _converters(self) -> list[tuple[str | None, Any]]:
        # built once per file: one converter per column, chosen by the field's kind
        if self._built is None:
            self._built = [(field, self._converter(field) if field is not None else None) for field in self.fields]
        return self._built

    def _converter(self, field: str):
        kind = self.model.fields[field].kind
        if kind == m.BOOLEAN:
            return _checkbox
        if kind == m.CHOICE:
            labels = self._choices.get(field, {})
            return lambda text: labels.get(text, text)
        if kind == m.CHOICES:
            labels = self._choices.get(field, {})
            return lambda text: [labels.get(item.strip(), item.strip()) for item in text.split(LIST_SEPARATOR) if item.strip()]
        if kind == m.JSON_LIST:
            return _json_or_text
        if kind == m.GEOLOCATION:
            return _geolocation
        return _text


def _text(text: str) -> str:
    return text


def _checkbox(text: str) -> Any:
    word = text.lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else text


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _geolocation(text: str) -> Any:
    lat, _, lng = text.partition(",")
    return {"lat": lat.strip(), "lng": lng.strip()} if lng else text


def cell_text(value: Any) -> str:
    """A field value as CSV text (the inverse of :meth:`Columns.value`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        if all(isinstance(item, str) for item in value):
            return LIST_SEPARATOR.join(value)
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, dict):
        if set(value) == {"lat", "lng"}:
            return f"{value['lat']},{value['lng']}"
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


_AMBIGUOUS = "\x00ambiguous"


def _field_names(model: m.ObjectModel) -> dict[str, str]:
    """Header text → field: api names first, then labels (a label two fields share is ambiguous)."""
    names: dict[str, str] = {}
    for name, spec in model.fields.items():
        definition = spec.definition
        if definition is None:
            continue
        for label in {definition.label.en, definition.label.zh or definition.label.en}:
            for key in (label, label.lower()):
                if key in names and names[key] != name:
                    names[key] = _AMBIGUOUS
                else:
                    names[key] = name
    for name, spec in model.fields.items():  # api names win over labels
        if spec.stored or spec.definition is not None:
            names[name] = name
    return names


def _choice_names(registry, model: m.ObjectModel, field: str) -> dict[str, str]:
    """Picklist value labels (en and zh) → value api names."""
    spec = model.fields[field]
    if spec.definition is None:
        return {}
    names: dict[str, str] = {}
    for value in registry.picklist_values(model.name, field):
        for label in (value.label.en, value.label.zh):
            if label:
                names.setdefault(label, value.api_name)
    return names


def _column_error(header: str, code: str, **params: Any) -> FieldError:
    messages = {
        "unknown_column": (f"No field is called '{header}' (use the api name or the label).", f"没有名为 '{header}' 的字段（请使用 API 名称或字段标签）。"),
        "ambiguous_column": (f"Several fields are labelled '{header}'; use the api name.", f"有多个字段的标签为 '{header}'，请使用 API 名称。"),
        "duplicate_column": (f"'{header}' names the same field as '{params.get('other')}'.", f"'{header}' 与 '{params.get('other')}' 指向同一个字段。"),
    }
    english, chinese = messages[code]
    return FieldError(header, code, english, chinese)


__all__ = ["Columns", "cell_text"]
