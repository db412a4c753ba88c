"""The one map from field types to column types, and the column types it needs of its own.

Every stored field becomes one column (a geolocation becomes two: ``<name>__lat`` and
``<name>__lng``; api names cannot contain ``__``, so those never collide with a field). The same
map serves PostgreSQL and SQLite; where the two differ the difference lives in a
``TypeDecorator`` below, never in callers:

* :class:`DecimalType` is ``NUMERIC(precision, scale)`` on PostgreSQL (exact). SQLite has no
  decimal storage, so there it is ``REAL``, rounded back to the field's scale on read: exact for
  values of up to 15 significant digits, which covers the default ``precision`` of 18 with
  ``scale`` 2 up to 10¹³. Both dialects return :class:`decimal.Decimal` quantized to the scale.
* :class:`UtcDateTime` takes aware datetimes (naive ones are taken as UTC), stores UTC and returns
  aware UTC datetimes on both dialects.
* :data:`JSON_VALUE` is ``JSONB`` on PostgreSQL and JSON text on SQLite; multi-picklists, tags and
  file references are JSON arrays in it. SQL ``NULL`` stands for "no value".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

if TYPE_CHECKING:
    from metadata.registry import Registry

__all__ = [
    "COLUMN_TYPES",
    "DecimalType",
    "JSON_VALUE",
    "ID_TYPE",
    "UtcDateTime",
    "column_types",
    "describe_type",
    "formula_result_type",
]

#: the column type of ids and of every reference to one (see :mod:`runtime.ids`)
ID_TYPE = sa.String(32)


class DecimalType(sa.types.TypeDecorator):
    """An exact decimal on PostgreSQL, a REAL rounded to ``scale`` on SQLite; always returns Decimal."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2):
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Float())
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return float(number) if dialect.name == "sqlite" else number

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        return number.quantize(self._quantum)

    def __repr__(self) -> str:
        return f"DecimalType({self.precision}, {self.scale})"


class UtcDateTime(sa.types.TypeDecorator):
    """A moment in time: stored in UTC, returned as an aware UTC datetime on every dialect."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(dt.timezone.utc)
        # SQLite keeps text without an offset: store naive UTC so text ordering is time ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)

    def __repr__(self) -> str:
        return "UtcDateTime()"


JSON_VALUE = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _text(field) -> sa.types.TypeEngine:
    return sa.String(field.max_length)


def _decimal(field) -> sa.types.TypeEngine:
    return DecimalType(field.precision, field.scale)


#: field type → column type, for every field type stored in a single column.
#: ``geolocation`` (two columns), ``rollup`` (depends on its child) and ``formula`` (no column)
#: are handled in :func:`column_types`.
COLUMN_TYPES: dict[str, Callable[[Any], sa.types.TypeEngine]] = {
    "text": _text,
    "email": _text,
    "phone": _text,
    "url": _text,
    "textarea": lambda field: sa.Text(),
    "long_text": lambda field: sa.Text(),
    "rich_text": lambda field: sa.Text(),
    "integer": lambda field: sa.BigInteger(),
    "number": _decimal,
    "currency": _decimal,
    "percent": _decimal,
    "date": lambda field: sa.Date(),
    "datetime": lambda field: UtcDateTime(),
    "time": lambda field: sa.Time(),
    "checkbox": lambda field: sa.Boolean(),
    "picklist": lambda field: sa.String(50),
    "multi_picklist": lambda field: JSON_VALUE,
    "tags": lambda field: JSON_VALUE,
    "lookup": lambda field: ID_TYPE,
    "master_detail": lambda field: ID_TYPE,
    "user": lambda field: ID_TYPE,
    "department": lambda field: ID_TYPE,
    "auto_number": lambda field: sa.String(100),
    "region": lambda field: sa.String(20),
    "file": lambda field: JSON_VALUE,
    "image": lambda field: JSON_VALUE,
}

_FORMULA_RESULT_TYPES: dict[str, Callable[[Any], sa.types.TypeEngine]] = {
    "checkbox": lambda field: sa.Boolean(),
    "number": lambda field: DecimalType(min(38, 18 + field.scale), field.scale),
    "currency": lambda field: DecimalType(min(38, 18 + field.scale), field.scale),
    "percent": lambda field: DecimalType(min(38, 18 + field.scale), field.scale),
    "text": lambda field: sa.Text(),
    "date": lambda field: sa.Date(),
    "datetime": lambda field: UtcDateTime(),
    "time": lambda field: sa.Time(),
}

#: counts and sums of integers are whole numbers of up to 18 digits
COUNT_TYPE = (18, 0)


def formula_result_type(field) -> sa.types.TypeEngine:
    """The SQL type of a formula field's result (for CAST and for roll-ups over formulas)."""
    return _FORMULA_RESULT_TYPES[field.return_type](field)


def column_types(field, registry: Registry | None = None) -> dict[str, sa.types.TypeEngine]:
    """Column name → type for one field: one entry, two for a geolocation, none for a formula.

    A roll-up needs ``registry`` to find the field it summarises: COUNT is ``NUMERIC(18, 0)``,
    SUM is a decimal of the summarised field's scale, MIN and MAX take the summarised field's type.
    """
    kind = field.type
    if kind == "formula":
        return {}
    if kind == "geolocation":
        coordinate = DecimalType(field.scale + 3, field.scale)
        return {f"{field.api_name}__lat": coordinate, f"{field.api_name}__lng": DecimalType(field.scale + 3, field.scale)}
    if kind == "rollup":
        return {field.api_name: _rollup_type(field, registry)}
    return {field.api_name: COLUMN_TYPES[kind](field)}


def _rollup_type(field, registry: Registry | None) -> sa.types.TypeEngine:
    if field.function == "count":
        return DecimalType(*COUNT_TYPE)
    summarized = None
    if registry is not None and field.child_object in registry.objects:
        summarized = registry.fields(field.child_object).get(field.summarized_field)
    if summarized is None:
        return DecimalType(*COUNT_TYPE) if field.function == "sum" else sa.Text()
    if summarized.type == "formula":
        result = formula_result_type(summarized)
    else:
        result = column_types(summarized, registry).get(summarized.api_name, sa.Text())
    if field.function == "sum":
        if isinstance(result, DecimalType):
            return DecimalType(result.precision, result.scale)
        return DecimalType(*COUNT_TYPE)
    return result


def describe_type(column_type: sa.types.TypeEngine) -> str:
    """A short, dialect-neutral text for a column type, used in plans and to compare types."""
    if isinstance(column_type, DecimalType):
        return f"NUMERIC({column_type.precision},{column_type.scale})"
    if isinstance(column_type, UtcDateTime):
        return "TIMESTAMP WITH TIME ZONE"
    if isinstance(column_type, sa.types.Variant) or isinstance(column_type, sa.JSON):
        return "JSON"
    if isinstance(column_type, sa.String) and not isinstance(column_type, sa.Text):
        return f"VARCHAR({column_type.length})"
    if isinstance(column_type, sa.Text):
        return "TEXT"
    return column_type.compile(dialect=sa.engine.default.DefaultDialect())
