"""Disabling a user: the one path the API, the command line and the setup pages share.

Disabling is a change of the user record (``active`` false, through the record pipeline, with the
caller's permissions) and the end of every session and API token of that user, in the same
transaction: a user enabled again later starts with no grant alive, so an old stolen cookie or
token stays dead. It is refused (nothing written) when the callers would disable themselves, or
when it would leave the site with no active administrator (no one could sign in to undo it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from runtime.auth.tables import API_TOKEN, SESSION
from runtime.errors import FieldError, RecordValidationError
from runtime.records.context import Actor

__all__ = ["USER_OBJECT", "active_administrators", "disable_user", "revoke_grants"]

USER_OBJECT = "user"

_SELF = FieldError(
    "active", "cannot_disable_self", "You cannot disable your own user; ask another administrator.", "不能停用自己的用户，请联系其他管理员。"
)
_LAST_ADMIN = FieldError(
    "active", "last_administrator",
    "This is the last active administrator; give another user the administrator role first.",
    "这是最后一个启用的管理员，请先为其他用户分配管理员角色。",
)


def revoke_grants(connection: sa.Connection, site, user_ids: sa.ColumnElement | list[str], now: dt.datetime) -> None:
    """End the live sessions and API tokens of ``user_ids`` (a list, or a SELECT of user ids)."""
    for name in (SESSION, API_TOKEN):
        table = site.platform[name]
        condition = table.c.user_id.in_(user_ids)
        connection.execute(sa.update(table).where(condition, table.c.revoked_at.is_(None)).values(revoked_at=now))


def revoke_inactive(connection: sa.Connection, site, now: dt.datetime) -> None:
    """End the live sessions and tokens of every disabled or deleted user (after any write to users,
    whichever path made it, so enabling a user again never brings an old grant back)."""
    user = site.tables[USER_OBJECT]
    inactive = sa.select(user.c.id).where(sa.or_(user.c.active == sa.false(), user.c.deleted_at.is_not(None)))
    revoke_grants(connection, site, inactive, now)


def active_administrators(connection: sa.Connection, site, *, excluding: str | None = None) -> list[str]:
    """The ids of the active users holding a role that reaches all data (assigned, or as a default role)."""
    from runtime.security import tables as security_tables

    roles = site.registry.security.roles if site.registry.security is not None else {}
    admin_roles = sorted(name for name, role in roles.items() if role.all_data)
    if not admin_roles:
        return []
    user, held = site.tables[USER_OBJECT], site.platform[security_tables.USER_ROLE]
    holders = [user.c.id.in_(sa.select(held.c.user_id).where(held.c.role.in_(admin_roles)))]
    if any(roles[name].default for name in admin_roles):
        holders.append(user.c.id.not_in(sa.select(held.c.user_id)))
    statement = sa.select(user.c.id).where(
        sa.or_(*holders), user.c.deleted_at.is_(None), sa.func.coalesce(user.c.active, sa.true()) == sa.true()
    )
    if excluding is not None:
        statement = statement.where(user.c.id != excluding)
    # locked, so two administrators disabling each other at once cannot both succeed (on
    # PostgreSQL one of them waits, or is aborted as a deadlock; SQLite writes one at a time)
    return list(connection.execute(statement.with_for_update()).scalars())


def disable_user(
    records, actor: Actor, user_id: str, *, values: Mapping[str, Any] | None = None, version: int | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Disable ``user_id`` (with any other ``values`` of the same change) and end their sessions
    and tokens, in one transaction; the user record as the actor now sees it.

    Refused with a :class:`RecordValidationError` on ``active``: ``cannot_disable_self`` and
    ``last_administrator``; the record pipeline's own refusals (permissions, version) as usual.
    """
    if actor.user_id is not None and actor.user_id == user_id:
        raise RecordValidationError([_SELF], object_name=USER_OBJECT)
    site = records.site

    def within_the_change(connection: sa.Connection, stored: Mapping[str, Any]) -> None:
        if stored.get("active") is not False and user_id in active_administrators(connection, site):
            if not active_administrators(connection, site, excluding=user_id):
                raise RecordValidationError([_LAST_ADMIN], object_name=USER_OBJECT)
        revoke_grants(connection, site, [user_id], now or actor.moment())

    return records.update(actor, USER_OBJECT, user_id, {**(values or {}), "active": False}, version=version, platform_writes=within_the_change)
