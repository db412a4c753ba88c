"""Auto-numbers: ``S-{YYYY}-{0000}`` rendered from a counter kept in ``tessera_counter``.

The counter row of (object, field, period) is incremented with one UPDATE … RETURNING inside the
write's transaction, so concurrent writers queue on that row and never get the same number; a
rolled-back write may leave a gap, which auto-numbers tolerate. The period is the date part of
the pattern (``2026`` for ``{YYYY}``, ``2026-11`` for ``{YYYY}{MM}``): the counter starts again
in each period, and a pattern without date tokens has one period.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from runtime.records.writes import WriteContext

_TOKEN = re.compile(r"\{([^{}]*)\}")


def period_of(pattern: str, day: dt.date) -> str:
    """The counter period of ``pattern`` on ``day``."""
    tokens = set(_TOKEN.findall(pattern))
    if "DD" in tokens:
        return day.isoformat()
    if "MM" in tokens:
        return day.strftime("%Y-%m")
    if "YYYY" in tokens or "YY" in tokens:
        return day.strftime("%Y")
    return ""


def render(pattern: str, day: dt.date, counter: int) -> str:
    """``pattern`` with its date tokens and counter filled in (the counter may outgrow its width)."""

    def token(match: re.Match) -> str:
        name = match.group(1)
        if name == "YYYY":
            return f"{day.year:04d}"
        if name == "YY":
            return f"{day.year % 100:02d}"
        if name == "MM":
            return f"{day.month:02d}"
        if name == "DD":
            return f"{day.day:02d}"
        return str(counter).zfill(len(name))

    return _TOKEN.sub(token, pattern)


def allocate(ctx: WriteContext, object_name: str, field: str, period: str, count: int, start: int) -> int:
    """Reserve ``count`` consecutive counter values; returns the first."""
    counter = ctx.platform.counter
    key = (counter.c.object == object_name) & (counter.c.field == field) & (counter.c.period == period)
    bump = sa.update(counter).where(key).values(value=counter.c.value + count).returning(counter.c.value)
    for _ in range(3):
        last = ctx.connection.execute(bump).scalar_one_or_none()
        if last is not None:
            return last - count + 1
        try:
            # First number of this period: a concurrent writer may insert the row first, in which
            # case the savepoint rolls back and the UPDATE above runs again.
            with ctx.connection.begin_nested():
                ctx.connection.execute(
                    sa.insert(counter).values(object=object_name, field=field, period=period, value=start + count - 1)
                )
            return start
        except sa.exc.IntegrityError:
            continue
    raise RuntimeError(f"could not allocate auto-number for {object_name}.{field}")  # pragma: no cover


def assign(ctx: WriteContext, object_name: str, definitions: list, records: list[dict]) -> None:
    """Give every record its auto-numbers (one counter round trip per field for the whole batch)."""
    day = ctx.now.astimezone(ctx.zone).date()
    for definition in definitions:
        period = period_of(definition.pattern, day)
        first = allocate(ctx, object_name, definition.api_name, period, len(records), definition.start)
        for offset, record in enumerate(records):
            record[definition.api_name] = render(definition.pattern, day, first + offset)
