"""Unique groups: fields whose values together no two records of an object share.

An object's ``unique: [[a, b], ...]`` becomes a unique index per group (``runtime.schema``).
The record pipeline checks the groups before it writes, so a clash comes back as a structured
error naming every field of the group (code ``duplicate_combination``) rather than as a database
error; the index stays the guarantee when two writers race, and :func:`clash_in` reads its
violation back into the same error. A record with any field of a group blank is not held by it,
on SQLite and PostgreSQL alike (NULLs never match in a unique index). Records in the recycle bin
still hold their values, as they do for single unique fields.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from runtime.errors import FieldError
from runtime.records import model as m
from runtime.records.messages import field_error
from runtime.schema import unique_groups

__all__ = ["clash_in", "group_errors"]

#: how many value tuples one lookup sends (SQLite and PostgreSQL both take row values in IN)
_CHUNK = 500


def _errors(group: tuple[str, ...]) -> list[FieldError]:
    return [field_error(name, "duplicate_combination", fields=", ".join(group)) for name in group]


def group_errors(
    connection: sa.Connection,
    table: sa.Table,
    model: m.ObjectModel,
    records: Sequence[Mapping[str, Any]],
    own_ids: Sequence[str | None],
    changed: Collection[str] | None = None,
) -> dict[int, list[FieldError]]:
    """Input index → errors, for the records whose values of a group another record (or an earlier
    input) already has. ``records`` are whole records; on update ``changed`` names the fields the
    save changes, and only the groups holding one of them are checked."""
    found: dict[int, list[FieldError]] = {}
    for _, group in unique_groups(model.definition):
        if changed is not None and not set(group) & set(changed):
            continue
        keyed = [
            (index, tuple(record.get(name) for name in group))
            for index, record in enumerate(records)
            if all(record.get(name) not in (None, "") for name in group)
        ]
        if not keyed:
            continue
        columns = [table.c[name] for name in group]
        holders: dict[tuple, set[str]] = {}
        values = sorted({key for _, key in keyed}, key=repr)
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            statement = sa.select(table.c.id, *columns).where(sa.tuple_(*columns).in_(chunk))
            for row in connection.execute(statement):
                holders.setdefault(tuple(row[1:]), set()).add(row[0])
        seen: set[tuple] = set()
        for index, key in keyed:
            others = holders.get(key, set()) - {own_ids[index]}
            if others or key in seen:
                found.setdefault(index, []).extend(_errors(group))
            seen.add(key)
    return found


def clash_in(model: m.ObjectModel, text: str) -> list[FieldError] | None:
    """The errors of the group whose unique index a database error message names (None: not one).

    PostgreSQL names the index; SQLite lists the columns (``UNIQUE constraint failed: t.a, t.b``).
    """
    for index_name, group in unique_groups(model.definition):
        columns = ", ".join(f"{model.name}.{name}" for name in group)
        if index_name in text or f"failed: {columns}" in text:
            return _errors(group)
    return None
