"""Assigning roles, profiles, group members, assistants, dimension values and team members.

Each function writes in the caller's transaction when given ``connection``, or in its own, checks
names against the installed security metadata (a structured :class:`SecurityError` otherwise),
and refreshes the closures and the cache generation in that same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from runtime.security import org, shares
from runtime.security import tables as t
from runtime.security.errors import SecurityError


@contextmanager
def _connection(site, connection: sa.Connection | None) -> Iterator[sa.Connection]:
    if connection is not None:
        yield connection
    else:
        with site.begin() as own:
            yield own


def _security(site):
    return site.registry.security


def _require_user(connection: sa.Connection, site, user_id: str) -> None:
    user = site.tables[org.USER]
    if connection.execute(sa.select(user.c.id).where(user.c.id == user_id)).first() is None:
        raise SecurityError(f"no user with id '{user_id}'", code="unknown_user")


def _require(kind: str, names: Sequence[str], known) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SecurityError(f"unknown {kind}: {', '.join(unknown)}", code=f"unknown_{kind}")


def assign(site, user_id: str, *, roles: list[str] | None = None, profiles: list[str] | None = None, connection: sa.Connection | None = None) -> None:
    """Set a user's roles and/or profiles; a list given replaces what the user held."""
    security = _security(site)
    if roles is not None:
        _require("role", roles, security.roles)
    if profiles is not None:
        _require("profile", profiles, security.profiles)
    with _connection(site, connection) as conn:
        _require_user(conn, site, user_id)
        for table_name, column, names in ((t.USER_ROLE, "role", roles), (t.USER_PROFILE, "profile", profiles)):
            if names is None:
                continue
            table = site.platform[table_name]
            conn.execute(sa.delete(table).where(table.c.user_id == user_id))
            if names:
                conn.execute(sa.insert(table), [{"user_id": user_id, column: name} for name in dict.fromkeys(names)])
        org.refresh(conn, site)


def set_group_members(site, group: str, user_ids: list[str], *, connection: sa.Connection | None = None) -> None:
    """Set the users added directly to a public group (its metadata members stay)."""
    _require("group", [group], _security(site).groups)
    with _connection(site, connection) as conn:
        for user_id in user_ids:
            _require_user(conn, site, user_id)
        table = site.platform[t.GROUP_MEMBER]
        conn.execute(sa.delete(table).where(table.c.group_name == group))
        if user_ids:
            conn.execute(sa.insert(table), [{"group_name": group, "user_id": user_id} for user_id in dict.fromkeys(user_ids)])
        org.refresh(conn, site)


def set_assistants(site, manager_id: str, assistant_ids: list[str], *, connection: sa.Connection | None = None) -> None:
    """Set a manager's assistants: they read what the manager reads, and change none of it."""
    with _connection(site, connection) as conn:
        for user_id in [manager_id, *assistant_ids]:
            _require_user(conn, site, user_id)
        if manager_id in assistant_ids:
            raise SecurityError("a manager cannot be their own assistant", code="invalid_assistant")
        table = site.platform[t.ASSISTANT]
        conn.execute(sa.delete(table).where(table.c.manager_id == manager_id))
        if assistant_ids:
            conn.execute(sa.insert(table), [{"manager_id": manager_id, "assistant_id": user_id} for user_id in dict.fromkeys(assistant_ids)])
        org.bump(conn, site)


def set_dimension_values(site, user_id: str, dimension: str, *, primary: str | None, related: Sequence[str] = (), connection: sa.Connection | None = None) -> None:
    """Set a user's primary and related values of a dimension."""
    security = _security(site)
    _require("dimension", [dimension], security.dimensions)
    values = {value.api_name for value in security.dimensions[dimension].values}
    given = ([primary] if primary else []) + list(related)
    _require("dimension_value", given, values)
    with _connection(site, connection) as conn:
        _require_user(conn, site, user_id)
        table = site.platform[t.USER_DIMENSION]
        conn.execute(sa.delete(table).where(table.c.user_id == user_id, table.c.dimension == dimension))
        rows = {value: {"user_id": user_id, "dimension": dimension, "value": value, "is_primary": value == primary} for value in given}
        if rows:
            conn.execute(sa.insert(table), list(rows.values()))
        org.bump(conn, site)


def set_team_member(site, object_name: str, record_id: str, user_id: str, access: str | None, *, connection: sa.Connection | None = None) -> None:
    """Add a user to a record's team with "read" or "read_write" access, or remove them (None)."""
    definition = site.registry.objects.get(object_name)
    if definition is None or not definition.features.team:
        raise SecurityError(f"object '{object_name}' has no record teams", code="no_team")
    if access is not None and access not in org.SHARE_ACCESS:
        raise SecurityError(f"team access is read or read_write, not {access!r}", code="invalid_access")
    with _connection(site, connection) as conn:
        _require_user(conn, site, user_id)
        records = site.tables[object_name]
        if conn.execute(sa.select(records.c.id).where(records.c.id == record_id)).first() is None:
            raise SecurityError(f"no {object_name} record with id '{record_id}'", code="unknown_record")
        table = site.platform[t.RECORD_TEAM]
        conn.execute(sa.delete(table).where(table.c.object == object_name, table.c.record_id == record_id, table.c.user_id == user_id))
        if access is not None:
            conn.execute(sa.insert(table).values(object=object_name, record_id=record_id, user_id=user_id, access=access))
        shares.team_changed(conn, site, object_name, [record_id])  # children inheriting the team follow


def team_of(connection: sa.Connection, site, object_name: str, record_id: str) -> dict[str, str]:
    """A record's team: user id → access."""
    table = site.platform[t.RECORD_TEAM]
    rows = connection.execute(sa.select(table.c.user_id, table.c.access).where(table.c.object == object_name, table.c.record_id == record_id))
    return {row.user_id: row.access for row in rows}
