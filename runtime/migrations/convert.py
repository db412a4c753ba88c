"""Converting stored values when a field changes type.

:func:`converters` gives, for a field's new definition, one function per column that takes a
value as read from the old column and returns the value for the new one, or raises
``ValueError`` with the reason it does not convert. Nothing is guessed: "12" becomes 12 but "12
apples" is refused, 3.25 fits a 2-decimal number but 3.255 does not, a value that is not one of a
picklist's values is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from metadata.registry import Registry
from runtime.ids import is_id
from runtime.types import DecimalType, UtcDateTime, column_types

__all__ = ["converters"]

Converter = Callable[[Any], Any]

_TEXT_TYPES = {"text", "email", "phone", "url", "textarea", "long_text", "rich_text", "auto_number", "region"}
_DECIMAL_TYPES = {"number", "currency", "percent"}
_REFERENCE_TYPES = {"lookup", "master_detail", "user", "department"}
_INTEGER = re.compile(r"^[+-]?\d+$")
_BIGINT = 2**63
_TRUE = {"true", "yes", "y", "1", "on", "是"}
_FALSE = {"false", "no", "n", "0", "off", "否"}


def as_text(value: Any) -> str:
    """A stored value written as text (the way a user would type it)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ";".join(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _text(max_length: int | None, choices: set[str] | None = None) -> Converter:
    def convert(value: Any) -> str:
        text = as_text(value)
        if max_length is not None and len(text) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        if choices is not None and text not in choices:
            raise ValueError("not one of the picklist's values")
        return text

    return convert


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError("not a whole number")
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    else:
        raise ValueError("not a whole number")
    if not -_BIGINT <= number < _BIGINT:
        raise ValueError("out of the integer range")
    return number


def _decimal(precision: int, scale: int) -> Converter:
    quantum = Decimal(1).scaleb(-scale)
    limit = Decimal(10) ** (precision - scale)

    def convert(value: Any) -> Decimal:
        if isinstance(value, bool):
            number = Decimal(int(value))
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise ValueError("not a number") from None
        else:
            raise ValueError("not a number")
        if not number.is_finite():
            raise ValueError("not a finite number")
        rounded = number.quantize(quantum) if abs(number) < limit else None
        if rounded is None or abs(rounded) >= limit:
            raise ValueError(f"more than {precision - scale} digits before the decimal point")
        if rounded != number:
            raise ValueError(f"more than {scale} decimal places")
        return rounded

    return convert


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("not a date (YYYY-MM-DD)") from None
    raise ValueError("not a date")


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("not a date and time (ISO 8601)") from None
    else:
        raise ValueError("not a date and time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("not a time (HH:MM[:SS])") from None
    raise ValueError("not a time")


def _checkbox(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("not true or false")


def _list(choices: set[str] | None) -> Converter:
    def convert(value: Any) -> list:
        if isinstance(value, list):
            items = value
        elif isinstance(value, str):
            items = [item.strip() for item in value.split(";") if item.strip()]
        else:
            raise ValueError("not a list of values")
        if choices is not None:
            unknown = [item for item in items if item not in choices]
            if unknown:
                raise ValueError(f"{', '.join(map(str, unknown))} not among the picklist's values")
        return items

    return convert


def _reference(value: Any) -> str:
    if isinstance(value, str) and is_id(value):
        return value
    raise ValueError("not a record id")


def _files(value: Any) -> list:
    if isinstance(value, list):
        return value
    raise ValueError("not a list of file references")


def _by_column_type(column_type: sa.types.TypeEngine) -> Converter:
    if isinstance(column_type, DecimalType):
        return _decimal(column_type.precision, column_type.scale)
    if isinstance(column_type, UtcDateTime):
        return _datetime
    if isinstance(column_type, sa.Date):
        return _date
    if isinstance(column_type, sa.Time):
        return _time
    if isinstance(column_type, sa.Boolean):
        return _checkbox
    if isinstance(column_type, sa.Integer):
        return _integer
    if isinstance(column_type, sa.String):
        return _text(column_type.length)
    return lambda value: value


def converters(registry: Registry, object_name: str, field) -> dict[str, Converter]:
    """Column name → function converting an old value to ``field``'s type (ValueError if it cannot)."""
    kind = field.type
    columns = column_types(field, registry)
    if kind in _TEXT_TYPES:
        convert: Converter = _text(getattr(field, "max_length", None) or columns[field.api_name].length)
    elif kind == "picklist":
        choices = {value.api_name for value in registry.picklist_values(object_name, field.api_name)}
        convert = _text(50, choices)
    elif kind == "multi_picklist":
        convert = _list({value.api_name for value in registry.picklist_values(object_name, field.api_name)})
    elif kind == "tags":
        convert = _list(None)
    elif kind == "integer":
        convert = _integer
    elif kind in _DECIMAL_TYPES:
        convert = _decimal(field.precision, field.scale)
    elif kind == "date":
        convert = _date
    elif kind == "datetime":
        convert = _datetime
    elif kind == "time":
        convert = _time
    elif kind == "checkbox":
        convert = _checkbox
    elif kind in _REFERENCE_TYPES:
        convert = _reference
    elif kind in {"file", "image"}:
        convert = _files
    else:  # geolocation, rollup: by the column type
        return {name: _by_column_type(column_type) for name, column_type in columns.items()}
    return {name: convert for name in columns}
