"""Formula values in Python: exact decimal arithmetic, conversions from record values, formatting.

Canonical Python values: numbers are :class:`~decimal.Decimal`, text is ``str`` (blank text is
``None``; ``""`` and ``None`` mean the same), booleans ``bool``, dates :class:`datetime.date`,
datetimes timezone-aware :class:`datetime.datetime` in UTC, times naive :class:`datetime.time`,
picklists ``str``, multi-picklists a ``tuple`` of ``str``, references the record id as given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import (
    ROUND_HALF_UP,
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from formula.errors import FormulaEvaluationError
from formula.types import FormulaType, Kind

__all__ = [
    "CTX",
    "INEXACT_SCALE",
    "MAX_INTEGER_DIGITS",
    "UTC",
    "ZERO",
    "canonical",
    "check_range",
    "divide",
    "format_decimal",
    "round_inexact",
    "to_date",
    "to_datetime",
    "to_decimal",
    "to_time",
]

UTC = dt.timezone.utc
ZERO = Decimal(0)
ONE = Decimal(1)

#: Every arithmetic operation runs in this context, never in the thread's current one.
CTX = Context(
    prec=100,
    rounding=ROUND_HALF_UP,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
# Division and transcendental functions first work to this many digits, then round.
_WIDE = Context(
    prec=160,
    rounding=ROUND_HALF_UP,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow, Clamped],
)

#: Division, powers, EXP, LN, LOG and SQRT round their result half-up to this many decimals,
#: in Python and in SQL alike, so both backends give the same digits.
INEXACT_SCALE = 16
_INEXACT_QUANTUM = Decimal(1).scaleb(-INEXACT_SCALE)

#: Results of powers and EXP must stay below 10 ** MAX_INTEGER_DIGITS.
MAX_INTEGER_DIGITS = 30
_MAX_MAGNITUDE = Decimal(10) ** MAX_INTEGER_DIGITS

_NUMBER_TEXT = re.compile(r"[ \t]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t]*\Z")


_WORKING_QUANTUM = Decimal(1).scaleb(-40)


def round_inexact(value: Decimal) -> Decimal:
    """``value`` rounded half-up to :data:`INEXACT_SCALE` decimals.

    It is first rounded to 40 decimals, the working scale the SQL backend asks PostgreSQL for,
    so that both round the same digits the same way.
    """
    value = value.quantize(_WORKING_QUANTUM, rounding=ROUND_HALF_UP, context=_WIDE)
    return value.quantize(_INEXACT_QUANTUM, rounding=ROUND_HALF_UP, context=_WIDE)


def check_range(value: Decimal) -> Decimal:
    """``value``, or an evaluation error when it is too large."""
    if abs(value) >= _MAX_MAGNITUDE:
        raise FormulaEvaluationError(
            "number out of range",
            hint=f"results must stay below 10^{MAX_INTEGER_DIGITS}",
        )
    return value


def divide(a: Decimal, b: Decimal) -> Decimal:
    """``a / b`` rounded to :data:`INEXACT_SCALE` decimals; dividing by zero is an error."""
    if not b:
        raise FormulaEvaluationError("division by zero")
    return round_inexact(_WIDE.divide(a, b))


def to_decimal(value: Any, what: str = "value") -> Decimal | None:
    """A number from what a record holds: Decimal, int, float (by its shortest repr) or text."""
    if value is None or type(value) is Decimal:
        return value
    if isinstance(value, bool):
        raise FormulaEvaluationError(f"{what} holds {value!r}, not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise FormulaEvaluationError(f"{what} holds {value!r}, not a number")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FormulaEvaluationError(f"{what} holds {value!r}, not a number")
        return value
    if isinstance(value, str):
        if _NUMBER_TEXT.match(value):
            return Decimal(value.strip())
        if not value.strip():
            return None
    raise FormulaEvaluationError(f"{what} holds {value!r}, not a number")


def format_decimal(value: Decimal) -> str:
    """A number as plain decimal text without exponent or trailing zeros: ``0.3``, ``100``."""
    if not value:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def to_date(value: Any, what: str = "value") -> dt.date | None:
    """A date from a date, a datetime (its UTC date) or ISO text ``YYYY-MM-DD``."""
    if value is None or type(value) is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return _utc(value).date()
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise FormulaEvaluationError(f"{what} holds {value!r}, not a date")


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_datetime(value: Any, what: str = "value") -> dt.datetime | None:
    """An aware UTC datetime; naive datetimes are taken as UTC; ISO text (``…Z``) is parsed."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return _utc(dt.datetime.fromisoformat(text))
        except ValueError:
            pass
    raise FormulaEvaluationError(f"{what} holds {value!r}, not a datetime")


def to_time(value: Any, what: str = "value") -> dt.time | None:
    """A naive time from a time or ``HH:MM:SS[.ffffff]`` text."""
    if value is None:
        return None
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return dt.time.fromisoformat(value.strip().rstrip("Zz"))
        except ValueError:
            pass
    raise FormulaEvaluationError(f"{what} holds {value!r}, not a time")


def to_text(value: Any, what: str = "value") -> str | None:
    """Text as held: ``str``; numbers and other scalars become their text."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, bool | int | float):
        return str(value)
    raise FormulaEvaluationError(f"{what} holds {value!r}, not text")


def to_boolean(value: Any, what: str = "value") -> bool:
    """A checkbox: ``None`` is false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise FormulaEvaluationError(f"{what} holds {value!r}, not a checkbox value")


def to_multipicklist(value: Any, what: str = "value") -> tuple[str, ...]:
    """Selected values of a multi-picklist from a list/tuple/set or ``"a;b"`` text."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.split(";") if part)
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(str(part) for part in value)
    raise FormulaEvaluationError(f"{what} holds {value!r}, not a multi-picklist value")


def to_reference(value: Any, what: str = "value") -> Any:
    """A record id; a nested record (mapping) stands for its ``id``."""
    if isinstance(value, Mapping):
        return value.get("id")
    if isinstance(value, str) and not value:
        return None
    return value


_CONVERTERS = {
    Kind.NUMBER: to_decimal,
    Kind.CURRENCY: to_decimal,
    Kind.PERCENT: to_decimal,
    Kind.TEXT: to_text,
    Kind.PICKLIST: to_text,
    Kind.BOOLEAN: to_boolean,
    Kind.DATE: to_date,
    Kind.DATETIME: to_datetime,
    Kind.TIME: to_time,
    Kind.MULTIPICKLIST: to_multipicklist,
    Kind.REFERENCE: to_reference,
}


def converter(formula_type: FormulaType):
    """The function turning a record's value into the canonical value of ``formula_type``."""
    return _CONVERTERS.get(formula_type.kind, lambda value, what="value": value)


def canonical(value: Any, formula_type: FormulaType) -> Any:
    """The canonical form of a result: blank text is None, numbers Decimal, datetimes UTC…"""
    if value is None:
        return False if formula_type.kind is Kind.BOOLEAN else None
    kind = formula_type.kind
    if kind in (Kind.TEXT, Kind.PICKLIST):
        text = to_text(value)
        return text or None
    if kind is Kind.NULL:
        return None
    value = converter(formula_type)(value)
    if kind is Kind.MULTIPICKLIST and not value:
        return None
    return value
