"""Relative dates in filters: ``today``, ``this_month``, ``last_n_days:7``… as half-open ranges.

A relative date names a span of calendar days in the user's time zone, resolved against the
moment the query runs (the actor's ``now``), so "this_month" means the same thing in a filter,
a saved list view and a report. Weeks start on Monday (ISO 8601).
"""

from __future__ import annotations

import datetime as dt
import re

_UNITS = ("day", "week", "month", "quarter", "year")
_FIXED = {"today": ("day", 0), "yesterday": ("day", -1), "tomorrow": ("day", 1)}
_N_DAYS = re.compile(r"^(last|next)_n_(days|weeks|months)(?::|_)(\d{1,4})$")

RELATIVE_DATES = (
    "today",
    "yesterday",
    "tomorrow",
    *(f"{when}_{unit}" for unit in _UNITS[1:] for when in ("this", "last", "next")),
    "last_n_days:N",
    "next_n_days:N",
    "last_n_weeks:N",
    "next_n_weeks:N",
    "last_n_months:N",
    "next_n_months:N",
)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _unit_start(day: dt.date, unit: str) -> dt.date:
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def _shift(start: dt.date, unit: str, count: int) -> dt.date:
    if unit == "day":
        return start + dt.timedelta(days=count)
    if unit == "week":
        return start + dt.timedelta(weeks=count)
    if unit == "month":
        return _add_months(start, count)
    if unit == "quarter":
        return _add_months(start, 3 * count)
    return dt.date(start.year + count, 1, 1)


def is_relative(token: object) -> bool:
    """Whether ``token`` looks like a relative date (a known word or an ``_n_`` form)."""
    return isinstance(token, str) and (resolve_relative(token, dt.date(2000, 1, 1)) is not None)


def resolve_relative(token: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The half-open range of days [start, end) ``token`` names, or None if it is not a relative date."""
    if token in _FIXED:
        unit, offset = _FIXED[token]
        start = today + dt.timedelta(days=offset)
        return start, start + dt.timedelta(days=1)
    when, _, unit = token.partition("_")
    if when in ("this", "last", "next") and unit in _UNITS[1:]:
        offset = {"this": 0, "last": -1, "next": 1}[when]
        start = _shift(_unit_start(today, unit), unit, offset)
        return start, _shift(start, unit, 1)
    match = _N_DAYS.match(token)
    if match:
        direction, units, count_text = match.groups()
        unit, count = units[:-1], int(count_text)
        if direction == "last":
            # the last N days end with today (Salesforce: LAST_N_DAYS:7 includes today)
            end = _shift(_unit_start(today, unit), unit, 1) if unit != "day" else today + dt.timedelta(days=1)
            return _shift(end, unit, -count), end
        start = today + dt.timedelta(days=1) if unit == "day" else _shift(_unit_start(today, unit), unit, 1)
        return start, _shift(start, unit, count)
    return None


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first moment of ``day`` in ``zone``, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.timezone.utc)
