"""Field history: who changed a tracked field, when, from what to what (``tessera_history``).

Objects with ``features.history`` record a change of every field marked ``track_history``, and
one row for the record's creation, deletion and restoration under the pseudo-fields
``_created``, ``_deleted`` and ``_restored`` (api names start with a letter, so these never
collide with a field).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from runtime.ids import new_id
from runtime.records.model import ObjectModel
from runtime.records.writes import WriteContext, json_safe

CREATED, DELETED, RESTORED = "_created", "_deleted", "_restored"


def event_rows(ctx: WriteContext, model: ObjectModel, record_ids: Iterable[str], event: str) -> list[dict[str, Any]]:
    if not model.features.history:
        return []
    return [
        {
            "id": new_id(),
            "object": model.name,
            "record_id": record_id,
            "field": event,
            "old_value": None,
            "new_value": None,
            "changed_by": ctx.actor.user_id,
            "changed_at": ctx.now,
        }
        for record_id in record_ids
    ]


def change_rows(ctx: WriteContext, model: ObjectModel, record_id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """History rows for the tracked fields whose value differs between ``old`` and ``new``."""
    rows = []
    for name in model.tracked:
        if name in new and new[name] != old.get(name):
            rows.append(
                {
                    "id": new_id(),
                    "object": model.name,
                    "record_id": record_id,
                    "field": name,
                    "old_value": json_safe(old.get(name)),
                    "new_value": json_safe(new[name]),
                    "changed_by": ctx.actor.user_id,
                    "changed_at": ctx.now,
                }
            )
    return rows


def write(ctx: WriteContext, rows: list[dict[str, Any]]) -> None:
    if rows:
        ctx.connection.execute(sa.insert(ctx.platform.history), rows)


def read(connection: sa.Connection, history: sa.Table, object_name: str, record_id: str) -> list[dict[str, Any]]:
    """The history of one record, oldest first."""
    statement = (
        sa.select(history.c.field, history.c.old_value, history.c.new_value, history.c.changed_by, history.c.changed_at)
        .where(history.c.object == object_name, history.c.record_id == record_id)
        .order_by(history.c.changed_at, history.c.id)
    )
    return [dict(row._mapping) for row in connection.execute(statement)]
