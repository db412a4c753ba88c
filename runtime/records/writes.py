"""What every step of a write shares: the connection, the actor, the moment, the tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from runtime.records.context import Actor
from runtime.records.model import ObjectModels

if TYPE_CHECKING:
    from runtime.query.reader import RecordReader
    from runtime.records.formulas import FormulaSupport
    from runtime.schema import PlatformTables


@dataclass
class WriteContext:
    """One write transaction: everything a pipeline step needs, passed explicitly."""

    connection: sa.Connection
    actor: Actor
    now: dt.datetime
    models: ObjectModels
    tables: dict[str, sa.Table]
    platform: PlatformTables
    reader: RecordReader
    formulas: FormulaSupport
    #: loads the cross-object values a formula reads (see :mod:`runtime.records.formulas`)
    prefetch: Callable[..., Mapping[str, Any]]
    #: the site's time zone: the day auto-numbers are dated by
    zone: ZoneInfo = ZoneInfo("UTC")
    #: object → ids of the records whose values this transaction wrote (tables derived from
    #: records, such as sharing-rule membership, are brought up to date from them before commit)
    written: dict[str, set[str]] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.connection.dialect.name

    def table(self, object_name: str) -> sa.Table:
        return self.tables[object_name]

    def lock(self, statement: sa.Select) -> sa.Select:
        """``statement`` FOR UPDATE where the database has row locks (SQLite locks the whole file)."""
        return statement.with_for_update() if self.dialect != "sqlite" else statement


def json_safe(value: Any) -> Any:
    """A value as JSON can hold it (history rows, cursors): decimals and dates as text."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, tuple):
        return {"lat": str(value[0]), "lng": str(value[1])}
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value
