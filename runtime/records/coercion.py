"""Coercion of input values, one function per field type, compiled once per field.

A coercer takes a value as it arrives (JSON from the API, or the equivalent Python value from
code: ``Decimal``, ``date``…) and returns the value to store, or raises :class:`Invalid` with an
error code and the parameters of its message. The accepted values are exactly those the field's
JSON Schema (see :mod:`runtime.records.json_schema`) accepts, plus the native Python forms; a test
checks the two agree on generated inputs, so the schema documents what the coercers enforce.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

Coercer = Callable[[Any], Any]

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
INTEGER_PATTERN = r"^[+-]?\d+$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$"
TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"
TAG_MAX_LENGTH = 100
#: the range of an integer field's column (BIGINT on PostgreSQL, a 64-bit integer on SQLite): past
#: it the driver fails rather than the database refusing, so the coercer refuses first, alike on both
INTEGER_MIN, INTEGER_MAX = -(2**63), 2**63 - 1
#: the moments a date-time field holds: one day inside Python's calendar, so every stored moment
#: can be shown in any time zone (UTC+14 to UTC-12) without leaving year 1 to 9999
_INTEGER_DIGITS = len(str(INTEGER_MAX))
DATETIME_MIN = dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc)
DATETIME_MAX = dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)

_EMAIL = re.compile(EMAIL_PATTERN)
_URL = re.compile(URL_PATTERN)
_DECIMAL = re.compile(DECIMAL_PATTERN)
_INTEGER = re.compile(INTEGER_PATTERN)
_DATE = re.compile(DATE_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)
_TIME = re.compile(TIME_PATTERN)
_ID = re.compile(ID_PATTERN)


class Invalid(Exception):
    """A value a coercer rejects: an error code of :mod:`runtime.records.messages` and its parameters."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


# --- text ---------------------------------------------------------------------------------


def check_text(value: str) -> str:
    """``value``, unless it holds a character no database stores as text: NUL, which PostgreSQL's
    text (and JSON) refuses and SQLite's string functions stop at, or an unpaired UTF-16 surrogate
    (JSON's ``"\\ud800"``), which has no UTF-8 form at all. Refused alike on every database."""
    if "\x00" in value:
        raise Invalid("invalid_character", character="U+0000", kind="a NUL character", kind_zh="空字符")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as problem:
            raise Invalid(
                "invalid_character", character=f"U+{ord(value[problem.start]):04X}",
                kind="an unpaired surrogate", kind_zh="未配对的代理字符",
            ) from None
    return value


def is_record_id(value: Any) -> bool:
    """Whether ``value`` can be a record id at all (a lookup by anything else finds nothing)."""
    return type(value) is str and _ID.match(value) is not None


def text_coercer(max_length: int, pattern: re.Pattern | None = None, expected: str = "text") -> Coercer:
    """Text up to ``max_length`` characters; the empty string means no value."""

    def coerce(value: Any) -> str | None:
        if value is None:
            return None
        if type(value) is not str:
            raise Invalid("invalid_type", expected="a text")
        if not value:
            return None
        if len(value) > max_length:
            raise Invalid("too_long", limit=max_length, length=len(value))
        check_text(value)
        if pattern is not None and not pattern.match(value):
            raise Invalid("invalid_format", expected=expected, value=value)
        return value

    return coerce


def email_coercer(max_length: int) -> Coercer:
    return text_coercer(max_length, _EMAIL, "an e-mail address")


def url_coercer(max_length: int) -> Coercer:
    return text_coercer(max_length, _URL, "a web address")


# --- numbers ------------------------------------------------------------------------------


def integer_coercer(min_value: int | None, max_value: int | None) -> Coercer:
    """A whole number (JSON integer, or its decimal text) within the column's range and the field's bounds."""

    def coerce(value: Any) -> int | None:
        if value is None:
            return None
        kind = type(value)
        if kind is int:
            number = value
        elif kind is str and _INTEGER.match(value):
            if len(value.lstrip("+-").lstrip("0")) > _INTEGER_DIGITS:
                # past the column anyway, and past the digits int() converts (ValueError) when long
                raise Invalid("out_of_range", min=INTEGER_MIN, max=INTEGER_MAX)
            number = int(value)
        elif kind is float and value.is_integer():
            number = int(value)
        elif kind is Decimal and value.is_finite() and value == value.to_integral_value():
            number = int(value)
        else:
            raise Invalid("invalid_type", expected="an integer")
        if not INTEGER_MIN <= number <= INTEGER_MAX:
            raise Invalid("out_of_range", min=INTEGER_MIN, max=INTEGER_MAX)
        if min_value is not None and number < min_value:
            raise Invalid("too_small", limit=min_value)
        if max_value is not None and number > max_value:
            raise Invalid("too_large", limit=max_value)
        return number

    return coerce


def to_decimal(value: Any) -> Decimal:
    """A Decimal from an int, float, Decimal or decimal text; raises Invalid otherwise."""
    kind = type(value)
    if kind is Decimal:
        if not value.is_finite():
            raise Invalid("invalid_type", expected="a number")
        return value
    if kind is int:
        return Decimal(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid("invalid_type", expected="a number")
        return Decimal(repr(value))
    if kind is str and _DECIMAL.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
            pass
    raise Invalid("invalid_type", expected="a number")


def decimal_coercer(precision: int, scale: int, min_value: Decimal | None, max_value: Decimal | None) -> Coercer:
    """A decimal rounded (half up) to ``scale`` places, with at most ``precision - scale`` whole digits."""
    quantum = Decimal(1).scaleb(-scale)
    limit = Decimal(10) ** (precision - scale)

    def coerce(value: Any) -> Decimal | None:
        if value is None:
            return None
        number = to_decimal(value)
        if abs(number) >= limit:  # before rounding: quantize refuses numbers past the context's precision
            raise Invalid("too_many_digits", digits=precision - scale)
        number = number.quantize(quantum, rounding=ROUND_HALF_UP)
        if abs(number) >= limit:
            raise Invalid("too_many_digits", digits=precision - scale)
        if min_value is not None and number < min_value:
            raise Invalid("too_small", limit=min_value)
        if max_value is not None and number > max_value:
            raise Invalid("too_large", limit=max_value)
        return number

    return coerce


# --- dates and times ----------------------------------------------------------------------


def coerce_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    kind = type(value)
    if kind is dt.date:
        return value
    if kind is str and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise Invalid("invalid_format", expected="a date", value=value) from None
    raise Invalid("invalid_type", expected="a date")


def coerce_datetime(value: Any) -> dt.datetime | None:
    """A moment, returned in UTC; text without an offset is taken as UTC."""
    if value is None:
        return None
    kind = type(value)
    if kind is str and _DATETIME.match(value):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("invalid_format", expected="a date and time", value=value) from None
    elif kind is not dt.datetime:
        raise Invalid("invalid_type", expected="a date and time")
    try:
        moment = value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
    except OverflowError:  # the offset moves it past year 1 or 9999
        moment = None
    if moment is None or not DATETIME_MIN <= moment <= DATETIME_MAX:
        raise Invalid("out_of_range", min=DATETIME_MIN.isoformat(), max=DATETIME_MAX.isoformat())
    return moment


def coerce_time(value: Any) -> dt.time | None:
    if value is None:
        return None
    kind = type(value)
    if kind is dt.time:
        return value.replace(tzinfo=None)
    if kind is str and _TIME.match(value):
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            raise Invalid("invalid_format", expected="a time", value=value) from None
    raise Invalid("invalid_type", expected="a time")


def coerce_checkbox(value: Any) -> bool:
    """True or false; no value means false."""
    if value is None:
        return False
    if type(value) is not bool:
        raise Invalid("invalid_type", expected="true or false")
    return value


# --- choices, references, lists -----------------------------------------------------------


def choice_coercer(values: frozenset[str]) -> Coercer:
    """One of ``values`` (every value the field knows; business-type rules narrow it later)."""

    def coerce(value: Any) -> str | None:
        if value is None or value == "":
            return None
        if type(value) is not str:
            raise Invalid("invalid_type", expected="a text")
        if value not in values:
            raise Invalid("invalid_choice", value=value)
        return value

    return coerce


def multi_choice_coercer(values: frozenset[str], max_items: int | None) -> Coercer:
    """A list of distinct values of ``values``; stored as a JSON array, empty means no value."""

    def coerce(value: Any) -> list[str] | None:
        if value is None:
            return None
        if type(value) not in (list, tuple):
            raise Invalid("invalid_type", expected="a list of values")
        for item in value:
            if type(item) is not str:
                raise Invalid("invalid_type", expected="a list of values")
            if item not in values:
                raise Invalid("invalid_choice", value=item)
        if len(set(value)) != len(value):
            raise Invalid("duplicate_items")
        if max_items is not None and len(value) > max_items:
            raise Invalid("too_many_items", limit=max_items, count=len(value))
        return list(value) or None

    return coerce


def tags_coercer(max_items: int) -> Coercer:
    """Free-form tags: distinct non-empty texts of at most 100 characters."""

    def coerce(value: Any) -> list[str] | None:
        if value is None:
            return None
        if type(value) not in (list, tuple):
            raise Invalid("invalid_type", expected="a list of values")
        for item in value:
            if type(item) is not str or not item:
                raise Invalid("invalid_type", expected="a list of values")
            if len(item) > TAG_MAX_LENGTH:
                raise Invalid("too_long", limit=TAG_MAX_LENGTH, length=len(item))
            check_text(item)
        if len(set(value)) != len(value):
            raise Invalid("duplicate_items")
        if len(value) > max_items:
            raise Invalid("too_many_items", limit=max_items, count=len(value))
        return list(value) or None

    return coerce


def coerce_reference(value: Any) -> str | None:
    """A record id (the target's existence is checked against the database later)."""
    if value is None or value == "":
        return None
    if type(value) is not str or not _ID.match(value):
        raise Invalid("invalid_type", expected="a record id")
    return value


FILE_KEYS = {"id": str, "name": str, "media_type": str, "size": int}


def attachment_coercer(multiple: bool, max_size_mb: int, accept: list[str] | None) -> Coercer:
    """Attached files: a list of ``{id, name?, media_type?, size?}``; one item unless ``multiple``."""
    max_bytes = max_size_mb * 1024 * 1024
    accepted = frozenset(accept) if accept else None

    def coerce(value: Any) -> list[dict] | None:
        if value is None:
            return None
        if type(value) not in (list, tuple):
            raise Invalid("invalid_type", expected="a list")
        items = []
        for item in value:
            if type(item) is not dict or type(item.get("id")) is not str or not item["id"]:
                raise Invalid("invalid_type", expected="a list")
            for key, item_value in item.items():
                kind = FILE_KEYS.get(key)
                if kind is None or type(item_value) is not kind:
                    raise Invalid("invalid_type", expected="a list")
                if kind is str:
                    check_text(item_value)
            if item.get("size", 0) > max_bytes:
                raise Invalid("too_large", limit=f"{max_size_mb} MB")
            if accepted is not None and "media_type" in item and item["media_type"] not in accepted:
                raise Invalid("invalid_choice", value=item["media_type"])
            items.append(dict(item))
        if not multiple and len(items) > 1:
            raise Invalid("too_many_items", limit=1, count=len(items))
        return items or None

    return coerce


def geolocation_coercer(scale: int) -> Coercer:
    """``{"lat": …, "lng": …}`` → a (lat, lng) pair of Decimals, or None."""
    lat_coercer = decimal_coercer(scale + 3, scale, Decimal(-90), Decimal(90))
    lng_coercer = decimal_coercer(scale + 3, scale, Decimal(-180), Decimal(180))

    def coerce(value: Any) -> tuple[Decimal, Decimal] | None:
        if value is None:
            return None
        if type(value) is not dict or set(value) != {"lat", "lng"}:
            raise Invalid("invalid_type", expected="a latitude and longitude")
        lat, lng = lat_coercer(value["lat"]), lng_coercer(value["lng"])
        if lat is None or lng is None:
            raise Invalid("invalid_type", expected="a latitude and longitude")
        return lat, lng

    return coerce
