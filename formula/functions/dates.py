"""Date and time functions: TODAY, NOW, TIMENOW, DATE, DATEVALUE, DATETIMEVALUE, TIMEVALUE, YEAR,
MONTH, DAY, WEEKDAY, DAYOFYEAR, ISOWEEK, ISOYEAR, HOUR, MINUTE, SECOND, ADDMONTHS,
UNIXTIMESTAMP, FROMUNIXTIME, DATETIME_DIFF.

Datetimes are in UTC. Years run from 1 to 9999; a result outside is an evaluation error.
TODAY, NOW and TIMENOW read the evaluation's clock (``$Now``), so one evaluation sees one instant.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from formula.errors import FormulaEvaluationError
from formula.functions.operators import exact_seconds
from formula.functions.registry import DATE, DATETIME, NUM, TEXT, TIME, Function, Overload, TypingProblem
from formula.types import DATE as DATE_T, DATETIME as DATETIME_T, TIME as TIME_T, Kind, number
from formula.values import UTC

__all__ = ["DATETIME_UNITS", "FUNCTIONS", "valid_ymd"]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

#: Units DATETIME_DIFF counts, in microseconds.
DATETIME_UNITS = {
    "seconds": 1_000_000,
    "minutes": 60_000_000,
    "hours": 3_600_000_000,
    "days": 86_400_000_000,
    "weeks": 604_800_000_000,
}

_DATE_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_DATETIME_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z?)?\Z"
)
_TIME_TEXT = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?\Z")


def valid_ymd(year: int, month: int, day: int) -> bool:
    """Whether year/month/day is a date between 0001-01-01 and 9999-12-31."""
    return 1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _bad(what: str, value) -> FormulaEvaluationError:
    return FormulaEvaluationError(f"{what} cannot read {value!r}")


def _date(y: Decimal, m: Decimal, d: Decimal) -> dt.date:
    year, month, day = int(y), int(m), int(d)
    if not valid_ymd(year, month, day):
        raise FormulaEvaluationError(f"DATE({year}, {month}, {day}) is not a valid date")
    return dt.date(year, month, day)


def _datevalue_text(t: str | None) -> dt.date | None:
    if not t:
        return None
    match = _DATE_TEXT.match(t.strip(" \t"))
    if not match or not valid_ymd(*(int(g) for g in match.groups())):
        raise _bad("DATEVALUE", t)
    return dt.date(*(int(g) for g in match.groups()))


def _datetimevalue_text(t: str | None) -> dt.datetime | None:
    if not t:
        return None
    match = _DATETIME_TEXT.match(t.strip(" \t"))
    if not match:
        raise _bad("DATETIMEVALUE", t)
    y, mo, d, h, mi, s, frac = match.groups()
    if not valid_ymd(int(y), int(mo), int(d)):
        raise _bad("DATETIMEVALUE", t)
    h, mi, s = int(h or 0), int(mi or 0), int(s or 0)
    if h > 23 or mi > 59 or s > 59:
        raise _bad("DATETIMEVALUE", t)
    micro = int((frac or "").ljust(6, "0"))
    return dt.datetime(int(y), int(mo), int(d), h, mi, s, micro, tzinfo=UTC)


def _timevalue_text(t: str | None) -> dt.time | None:
    if not t:
        return None
    match = _TIME_TEXT.match(t.strip(" \t"))
    if not match:
        raise _bad("TIMEVALUE", t)
    h, mi, s, frac = match.groups()
    if int(h) > 23 or int(mi) > 59 or int(s) > 59:
        raise _bad("TIMEVALUE", t)
    return dt.time(int(h), int(mi), int(s), int((frac or "").ljust(6, "0")))


def _weekday(d: dt.date) -> Decimal:
    return Decimal(d.isoweekday() % 7 + 1)


def _add_months(d: dt.date, n: Decimal) -> dt.date:
    months = int(n)
    if abs(months) > 12 * 10_000:
        raise FormulaEvaluationError("ADDMONTHS goes beyond the year 9999")
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise FormulaEvaluationError("ADDMONTHS goes beyond the years 1 to 9999")
    last = calendar.monthrange(year, month)[1]
    month_end = d.day == calendar.monthrange(d.year, d.month)[1]
    return dt.date(year, month, last if month_end else min(d.day, last))


def _unixtimestamp(t) -> Decimal:
    if type(t) is dt.date:
        t = dt.datetime(t.year, t.month, t.day, tzinfo=UTC)
    seconds = exact_seconds(t - EPOCH)
    return seconds.to_integral_value(rounding="ROUND_FLOOR")


def _fromunixtime(n: Decimal) -> dt.datetime:
    seconds = int(n)
    if not -62135596800 <= seconds <= 253402300799:
        raise FormulaEvaluationError("FROMUNIXTIME is out of range (years 1 to 9999)")
    return EPOCH + dt.timedelta(seconds=seconds)


def _datetime_diff(start: dt.datetime, end: dt.datetime, unit: str) -> Decimal:
    delta = end - start
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    size = DATETIME_UNITS[unit.lower()]
    whole = abs(micros) // size
    return Decimal(whole if micros >= 0 else -whole)


def _resolve_datetime_diff(call, args: Sequence) -> tuple[Overload, object]:
    from formula.ast import TLiteral

    if len(args) != 3:
        raise TypingProblem(f"DATETIME_DIFF takes 3 arguments, got {len(args)}")
    for i in (0, 1):
        if args[i].type.kind not in (Kind.DATETIME, Kind.NULL, Kind.ERROR):
            raise TypingProblem(
                f"DATETIME_DIFF argument {i + 1} must be a datetime, not {args[i].type}",
                index=i,
                hint="convert dates with DATETIMEVALUE(date)",
            )
    unit = args[2]
    units = ", ".join(f'"{u}"' for u in DATETIME_UNITS)
    if not isinstance(unit, TLiteral) or not isinstance(unit.value, str) or unit.value.lower() not in DATETIME_UNITS:
        raise TypingProblem("DATETIME_DIFF needs a unit written as a literal", index=2, hint=f"one of {units}")
    return _DATETIME_DIFF, number(0)


_DATETIME_DIFF = Overload("DATETIME_DIFF", (DATETIME, DATETIME, TEXT), number(0), _datetime_diff)


def _f(name: str, signature: str, doc: str, *overloads: Overload, **kw) -> Function:
    return Function(name, "date", signature, doc, tuple(overloads), **kw)


def _part(name: str, key: str, doc: str, fn, kinds=DATE) -> Function:
    return _f(name, f"{name}({'date' if kinds is DATE else 'time'})", doc, Overload(key, (kinds,), number(0), fn))


FUNCTIONS = [
    _f("TODAY", "TODAY()", "Today's date: $Today as the caller gives it (the site's time zone), else UTC.", Overload("TODAY", (), DATE_T)),
    _f("NOW", "NOW()", "The current datetime (UTC).", Overload("NOW", (), DATETIME_T)),
    _f("TIMENOW", "TIMENOW()", "The current time of day (UTC).", Overload("TIMENOW", (), TIME_T)),
    _f(
        "DATE",
        "DATE(year, month, day)",
        "The date with these parts; an impossible date is an error.",
        Overload("DATE", (NUM, NUM, NUM), DATE_T, _date),
    ),
    _f(
        "DATEVALUE",
        "DATEVALUE(text_or_datetime)",
        "The date in ``YYYY-MM-DD`` text, or the (UTC) date of a datetime.",
        Overload("DATEVALUE_TEXT", (TEXT,), DATE_T, _datevalue_text),
        Overload("DATEVALUE_DATETIME", (DATETIME,), DATE_T, lambda t: t.date()),
        Overload("DATEVALUE_DATE", (DATE,), DATE_T, lambda d: d),
    ),
    _f(
        "DATETIMEVALUE",
        "DATETIMEVALUE(text_or_date)",
        "The datetime in ``YYYY-MM-DD HH:MM:SS`` text (UTC; ``T`` and a final ``Z`` allowed), "
        "or midnight UTC of a date.",
        Overload("DATETIMEVALUE_TEXT", (TEXT,), DATETIME_T, _datetimevalue_text),
        Overload(
            "DATETIMEVALUE_DATE",
            (DATE,),
            DATETIME_T,
            lambda d: dt.datetime(d.year, d.month, d.day, tzinfo=UTC),
        ),
        Overload("DATETIMEVALUE_DATETIME", (DATETIME,), DATETIME_T, lambda t: t),
    ),
    _f(
        "TIMEVALUE",
        "TIMEVALUE(text_or_datetime)",
        "The time in ``HH:MM:SS[.fff]`` text, or the (UTC) time of a datetime.",
        Overload("TIMEVALUE_TEXT", (TEXT,), TIME_T, _timevalue_text),
        Overload("TIMEVALUE_DATETIME", (DATETIME,), TIME_T, lambda t: t.time()),
    ),
    _part("YEAR", "YEAR", "The year of a date.", lambda d: Decimal(d.year)),
    _part("MONTH", "MONTH", "The month of a date (1–12).", lambda d: Decimal(d.month)),
    _part("DAY", "DAY", "The day of the month (1–31).", lambda d: Decimal(d.day)),
    _part("WEEKDAY", "WEEKDAY", "The day of the week, Sunday = 1 … Saturday = 7.", _weekday),
    _part("DAYOFYEAR", "DAYOFYEAR", "The day of the year (1–366).", lambda d: Decimal(d.timetuple().tm_yday)),
    _part("ISOWEEK", "ISOWEEK", "The ISO 8601 week number (1–53).", lambda d: Decimal(d.isocalendar()[1])),
    _part("ISOYEAR", "ISOYEAR", "The ISO 8601 week-numbering year.", lambda d: Decimal(d.isocalendar()[0])),
    _f(
        "HOUR",
        "HOUR(time_or_datetime)",
        "The hour (0–23, UTC for datetimes).",
        Overload("HOUR", (TIME,), number(0), lambda t: Decimal(t.hour)),
        Overload("HOUR_DATETIME", (DATETIME,), number(0), lambda t: Decimal(t.hour)),
    ),
    _f(
        "MINUTE",
        "MINUTE(time_or_datetime)",
        "The minute (0–59).",
        Overload("MINUTE", (TIME,), number(0), lambda t: Decimal(t.minute)),
        Overload("MINUTE_DATETIME", (DATETIME,), number(0), lambda t: Decimal(t.minute)),
    ),
    _f(
        "SECOND",
        "SECOND(time_or_datetime)",
        "The whole second (0–59).",
        Overload("SECOND", (TIME,), number(0), lambda t: Decimal(t.second)),
        Overload("SECOND_DATETIME", (DATETIME,), number(0), lambda t: Decimal(t.second)),
    ),
    _f(
        "ADDMONTHS",
        "ADDMONTHS(date, months)",
        "The date ``months`` later (whole months, towards zero); month ends stay month ends "
        "(ADDMONTHS(2024-02-29, 1) = 2024-03-31) and days past the new month's end are clipped.",
        Overload("ADDMONTHS", (DATE, NUM), DATE_T, _add_months),
    ),
    _f(
        "UNIXTIMESTAMP",
        "UNIXTIMESTAMP(date_or_datetime)",
        "Whole seconds since 1970-01-01T00:00:00Z (a date counts from its midnight UTC).",
        Overload("UNIXTIMESTAMP", (DATETIME,), number(0), _unixtimestamp),
        Overload("UNIXTIMESTAMP_DATE", (DATE,), number(0), _unixtimestamp),
    ),
    _f(
        "FROMUNIXTIME",
        "FROMUNIXTIME(seconds)",
        "The datetime that many whole seconds after 1970-01-01T00:00:00Z.",
        Overload("FROMUNIXTIME", (NUM,), DATETIME_T, _fromunixtime),
    ),
    _f(
        "DATETIME_DIFF",
        "DATETIME_DIFF(start, end, unit)",
        'Whole ``unit``s from ``start`` to ``end`` (negative when end is earlier), truncated towards '
        'zero; unit is a literal: "seconds", "minutes", "hours", "days" or "weeks".',
        _DATETIME_DIFF,
        resolve=_resolve_datetime_diff,
    ),
]
