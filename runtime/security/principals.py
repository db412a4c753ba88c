"""What the policy knows about a user: roles, profiles, groups, department, dimension values.

Read once per user and cached until the security generation changes (every assignment and org
change bumps it, in any process), so building a record predicate costs one small query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from metadata.models.security import Profile, Role
from runtime.security import org
from runtime.security.org import rule_owners, rule_recipients  # noqa: F401 - the policy reads them here
from runtime.security import tables as t


@dataclass(frozen=True)
class Principal:
    """One user as security sees them."""

    user_id: str
    username: str
    active: bool
    partner: bool  #: a partner user (their scopes stay inside their partner department tree)
    department: str | None
    roles: tuple[Role, ...]
    profiles: tuple[Profile, ...]
    groups: frozenset[str]  #: public groups and sharing-rule recipient sets the user is in
    #: dimension → the user's values and every value below them
    dimensions: dict[str, frozenset[str]] = field(default_factory=dict)
    assists: tuple[str, ...] = ()  #: managers whose assistant this user is

    @property
    def admin(self) -> bool:
        return any(role.all_data for role in self.roles)

    @property
    def role_names(self) -> list[str]:
        return [role.api_name for role in self.roles]


def load(connection: sa.Connection, site, user_id: str) -> Principal | None:
    """The principal of ``user_id``, or None when there is no such user."""
    security = site.registry.security
    user = site.tables[org.USER]
    row = connection.execute(
        sa.select(user.c.username, user.c.active, user.c.user_kind, user.c.department).where(user.c.id == user_id)
    ).first()
    if row is None:
        return None
    platform = site.platform
    role_names = connection.execute(sa.select(platform[t.USER_ROLE].c.role).where(platform[t.USER_ROLE].c.user_id == user_id)).scalars().all()
    profile_names = connection.execute(
        sa.select(platform[t.USER_PROFILE].c.profile).where(platform[t.USER_PROFILE].c.user_id == user_id)
    ).scalars().all()
    roles = [security.roles[name] for name in role_names if name in security.roles] if role_names else [role for role in security.roles.values() if role.default]
    profiles = (
        [security.profiles[name] for name in profile_names if name in security.profiles]
        if profile_names
        else [profile for profile in security.profiles.values() if profile.default]
    )
    groups = connection.execute(sa.select(platform[t.GROUP_CLOSURE].c.group_name).where(platform[t.GROUP_CLOSURE].c.user_id == user_id)).scalars().all()
    dimension_rows = connection.execute(
        sa.select(platform[t.USER_DIMENSION].c.dimension, platform[t.USER_DIMENSION].c.value).where(platform[t.USER_DIMENSION].c.user_id == user_id)
    ).all()
    values: dict[str, set[str]] = {}
    for dimension, value in dimension_rows:
        values.setdefault(dimension, set()).add(value)
    assists = connection.execute(
        sa.select(platform[t.ASSISTANT].c.manager_id).where(platform[t.ASSISTANT].c.assistant_id == user_id)
    ).scalars().all()
    return Principal(
        user_id=user_id,
        username=row.username,
        active=bool(row.active) if row.active is not None else True,
        partner=row.user_kind == "partner",
        department=row.department,
        roles=tuple(roles),
        profiles=tuple(profiles),
        groups=frozenset(groups),
        dimensions={name: _with_descendants(security.dimensions[name], found) for name, found in values.items() if name in security.dimensions},
        assists=tuple(sorted(assists)),
    )


def _with_descendants(dimension, values: set[str]) -> frozenset[str]:
    children: dict[str, list[str]] = {}
    for value in dimension.values:
        if value.parent is not None:
            children.setdefault(value.parent, []).append(value.api_name)
    found, stack = set(), list(values)
    while stack:
        value = stack.pop()
        if value not in found:
            found.add(value)
            stack.extend(children.get(value, ()))
    return frozenset(found)
