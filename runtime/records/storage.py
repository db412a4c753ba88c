"""Records ↔ rows: the one place that knows how a field's value is laid out in columns.

Most fields are one column named as the field. A geolocation is two (``<name>__lat`` and
``<name>__lng``) and travels as ``{"lat": …, "lng": …}``; formula fields have no column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from runtime.records import model as m


class RowMapper:
    """Converts between record values (field → value) and row values (column → value) for one table."""

    def __init__(self, model: m.ObjectModel, table: sa.Table):
        self.model = model
        self.table = table
        self.geolocations = tuple(name for name, spec in model.fields.items() if spec.kind == m.GEOLOCATION)
        self._column_names = frozenset(table.c.keys())
        self.stored = tuple(
            name for name, spec in model.fields.items() if spec.stored and name in table.c and spec.kind != m.GEOLOCATION
        )
        #: columns in the record's field sequence (geolocations as their two columns)
        self.columns: list[sa.Column] = []
        for name, spec in model.fields.items():
            if not spec.stored:
                continue
            if spec.kind == m.GEOLOCATION:
                self.columns.extend((table.c[f"{name}__lat"], table.c[f"{name}__lng"]))
            elif name in table.c:
                self.columns.append(table.c[name])

    def column(self, field: str) -> sa.ColumnElement:
        """The column of a single-column field (the allow-list: only model fields get here)."""
        return self.table.c[field]

    def to_row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Column values for the given record values (only the fields present)."""
        columns = self._column_names
        row = {name: value for name, value in values.items() if name in columns}
        for name in self.geolocations:
            if name in values:
                pair = values[name]
                row[f"{name}__lat"], row[f"{name}__lng"] = pair if pair is not None else (None, None)
        return row

    def from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Record values from a row (a mapping of column name → value)."""
        record = {name: row[name] for name in self.stored if name in row}
        for name in self.geolocations:
            lat_key = f"{name}__lat"
            if lat_key in row:
                lat, lng = row[lat_key], row[f"{name}__lng"]
                record[name] = {"lat": lat, "lng": lng} if lat is not None else None
        return record


def internal_value(spec: m.FieldSpec, value: Any) -> Any:
    """A record value in the form coercers produce (a geolocation dict becomes a (lat, lng) pair)."""
    if spec.kind == m.GEOLOCATION and isinstance(value, dict):
        return (value["lat"], value["lng"])
    return value


def public_value(spec: m.FieldSpec, value: Any) -> Any:
    """A value in the form records are returned in (a (lat, lng) pair becomes a dict)."""
    if spec.kind == m.GEOLOCATION and isinstance(value, tuple):
        return {"lat": value[0], "lng": value[1]}
    return value
