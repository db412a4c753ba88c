"""SQLite support: the deterministic functions the SQL compiler calls on SQLite.

SQLite has no decimal type and few date functions, so on SQLite the compiler calls functions
named ``fx_<overload key>`` that run the very same Python implementations the evaluator uses,
on exact decimals. :func:`register_sqlite_functions` installs them on a DB-API connection; the
runtime calls it from a ``connect`` event listener::

    @sqlalchemy.event.listens_for(engine, "connect")
    def _formula_functions(dbapi_connection, connection_record):
        formula.sql.register_sqlite_functions(dbapi_connection)

Values cross the SQL boundary encoded as SQLite understands them: numbers as INTEGER, REAL (when
the float's shortest text is the exact decimal) or TEXT (other decimals, kept exact), dates as
``YYYY-MM-DD``, datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), times as ``HH:MM:SS.ffffff``,
booleans as 0/1, multi-picklists as JSON arrays or ``a;b`` text. A function that fails
(division by zero…) returns NULL, as every failed formula does in SQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any

from formula.errors import FormulaError
from formula.functions import overloads
from formula.functions.registry import Overload
from formula.regex import compile_pattern
from formula.types import FormulaType, Kind
from formula.values import UTC, format_decimal, to_date, to_datetime, to_decimal, to_time

__all__ = ["decode", "encode", "function_name", "register_sqlite_functions"]

_INT64 = 2**63


def function_name(key: str) -> str:
    """The SQL name of the function implementing overload ``key``."""
    return "fx_" + key.lower()


def encode_number(value: Decimal) -> int | float | str:
    """A decimal as SQLite stores it without losing digits."""
    if value == value.to_integral_value() and abs(value) < _INT64:
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        return as_float
    # Not value.normalize(): it rounds to the thread's context precision (28 digits), and
    # results may carry up to 30 integer digits plus decimals.
    return format_decimal(value)


def _decode_multipicklist(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                return ()
            return tuple(str(item) for item in items) if isinstance(items, list) else ()
        return tuple(part for part in text.split(";") if part)
    return ()


def _decode_datetime(value: Any) -> dt.datetime | None:
    return to_datetime(value)


def decode(kind: Kind, value: Any) -> Any:
    """A SQLite value as the Python value of ``kind``."""
    if kind in (Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT):
        return to_decimal(value)
    if kind in (Kind.TEXT, Kind.PICKLIST):
        if value is None or isinstance(value, str):
            return value
        return encode_text(value)
    if kind is Kind.BOOLEAN:
        return bool(value) if value is not None else False
    if kind is Kind.DATE:
        return to_date(value)
    if kind is Kind.DATETIME:
        return _decode_datetime(value)
    if kind is Kind.TIME:
        return to_time(value)
    if kind is Kind.MULTIPICKLIST:
        return _decode_multipicklist(value)
    return value


def encode_text(value: Any) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def encode(kind: Kind, value: Any) -> Any:
    """A Python formula value as SQLite holds it."""
    if value is None:
        return 0 if kind is Kind.BOOLEAN else None
    if kind in (Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT):
        return encode_number(value)
    if kind is Kind.BOOLEAN:
        return 1 if value else 0
    if kind is Kind.DATE:
        return value.isoformat()
    if kind is Kind.DATETIME:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind is Kind.TIME:
        return value.strftime("%H:%M:%S.%f")
    if kind is Kind.MULTIPICKLIST:
        return json.dumps(list(value))
    if kind is Kind.REFERENCE:
        return value
    return str(value)


_PARAM_KINDS = {
    Kind.NUMBER: Kind.NUMBER,
    Kind.CURRENCY: Kind.NUMBER,
    Kind.PERCENT: Kind.NUMBER,
}


def _param_kind(kinds: frozenset[Kind]) -> Kind:
    """The one encoding a parameter's values arrive in."""
    first = sorted(kinds, key=lambda k: k.value)[0]
    if kinds & {Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT}:
        return Kind.NUMBER
    return _PARAM_KINDS.get(first, first)


def _result_kind(overload: Overload) -> Kind:
    result = overload.result
    if isinstance(result, FormulaType):
        return result.kind
    return Kind.NUMBER  # computed results are numeric (ABS, MAX, arithmetic…)


def _udf(overload: Overload):
    params = overload.params
    kinds = [_param_kind(p) for p in params]
    result_kind = _result_kind(overload)
    impl = overload.py
    propagate = overload.nulls == "propagate"

    def call(*raw):
        try:
            values = [decode(kinds[min(i, len(kinds) - 1)], v) for i, v in enumerate(raw)]
            if propagate and any(v is None for v in values):
                return encode(result_kind, None)
            return encode(result_kind, impl(*values))
        except (FormulaError, ArithmeticError, ValueError, TypeError, OverflowError):
            return encode(result_kind, None)

    return call


@functools.lru_cache(maxsize=256)
def _pattern(source: str):
    return compile_pattern(source)


def _regex(text, pattern):
    try:
        return 1 if _pattern(pattern).fullmatch(text or "") else 0
    except (ValueError, TypeError):
        return 0


def _multipicklist_blank(value):
    return 1 if not _decode_multipicklist(value) else 0


def _udfs() -> dict[str, tuple[int, Any]]:
    table: dict[str, tuple[int, Any]] = {}
    for key, overload in overloads().items():
        if overload.py is None:
            continue
        table[function_name(key)] = (-1, _udf(overload))
    table["fx_regex"] = (2, _regex)
    table["fx_multipicklist_blank"] = (1, _multipicklist_blank)
    return table


def register_sqlite_functions(dbapi_connection) -> None:
    """Install the formula functions on a ``sqlite3`` connection (deterministic, so indexable)."""
    for name, (arity, fn) in _udfs().items():
        dbapi_connection.create_function(name, arity, fn, deterministic=True)
