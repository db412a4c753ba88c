"""The org closures and assignments: kept current in the transaction of every change.

:func:`refresh` recomputes the department closure, the effective manager closure and flattened
group membership from the ``user`` and ``department`` tables and the assignment tables, then
writes only the rows that differ (inserts and deletes), so a change that moves one manager
touches that manager's chain and nothing else; records are never touched, because the record
predicate reaches them through these tables. It runs after every write to users or departments
(the policy's after-write hook), and after every assignment made through this module.

An org is at most a few thousand users, so recomputing it in memory costs milliseconds; what
must stay small is what is written, and what the record predicate reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from runtime.errors import RecordValidationError
from runtime.records.messages import field_error
from runtime.security import tables as t

USER = "user"
DEPARTMENT = "department"
SHARE_ACCESS = ("read", "read_write")


@dataclass(frozen=True)
class Org:
    """The org as the closures are computed from it."""

    users: dict[str, dict[str, Any]]  #: id → {username, department, manager, active, user_kind}
    departments: dict[str, dict[str, Any]]  #: id → {code, parent, head}
    roles: dict[str, set[str]]  #: user id → explicit roles
    members: dict[str, set[str]]  #: group → users added directly


def read_org(connection: sa.Connection, site) -> Org:
    user, department = site.tables[USER], site.tables[DEPARTMENT]
    users = {
        row.id: dict(row._mapping)
        for row in connection.execute(sa.select(user.c.id, user.c.username, user.c.department, user.c.manager, user.c.active, user.c.user_kind))
    }
    departments = {row.id: dict(row._mapping) for row in connection.execute(sa.select(department.c.id, department.c.code, department.c.parent, department.c.head))}
    roles: dict[str, set[str]] = {}
    for row in connection.execute(sa.select(site.platform[t.USER_ROLE])):
        roles.setdefault(row.user_id, set()).add(row.role)
    members: dict[str, set[str]] = {}
    for row in connection.execute(sa.select(site.platform[t.GROUP_MEMBER])):
        members.setdefault(row.group_name, set()).add(row.user_id)
    return Org(users, departments, roles, members)


# --- closures -------------------------------------------------------------------------------


def department_closure(org: Org) -> set[tuple[str, str, int]]:
    """(ancestor, department, depth) for every department and each of its ancestors (itself at 0)."""
    rows = set()
    for department_id in org.departments:
        current, depth, seen = department_id, 0, set()
        while current is not None and current in org.departments and current not in seen:
            seen.add(current)
            rows.add((current, department_id, depth))
            current, depth = org.departments[current]["parent"], depth + 1
        if current is not None and current in seen:
            raise RecordValidationError(
                [_cycle_error("parent", "Departments would be their own parent department.", "部门不能成为自己的上级部门。")], object_name=DEPARTMENT
            )
    return rows


def effective_manager(org: Org, user_id: str) -> str | None:
    """The direct manager, or when blank the head of the primary department (the head of the
    department above when the user heads their own department)."""
    row = org.users[user_id]
    if row["manager"] is not None:
        return row["manager"] if row["manager"] != user_id else None
    department, seen = row["department"], set()
    while department is not None and department in org.departments and department not in seen:
        seen.add(department)
        head = org.departments[department]["head"]
        if head is not None and head != user_id:
            return head
        department = org.departments[department]["parent"]
    return None


def manager_chain(org: Org, owner: str, user_id: str) -> list[str] | None:
    """The user ids from ``owner`` up the effective manager chain to ``user_id`` (None when
    ``user_id`` is not above ``owner``)."""
    chain, current = [owner], owner
    while current != user_id:
        current = effective_manager(org, current) if current in org.users else None
        if current is None or current in chain:
            return None
        chain.append(current)
    return chain


def manager_closure(org: Org) -> set[tuple[str, str, int]]:
    """(manager, user, depth): every user under each manager along the effective chain, and each
    user under themself at depth 0 (so "self and subordinates" is one lookup)."""
    managers = {user_id: effective_manager(org, user_id) for user_id in org.users}
    rows = set()
    for user_id in org.users:
        current, depth, seen = user_id, 0, []
        while current is not None and current not in seen:
            seen.append(current)
            rows.add((current, user_id, depth))
            current, depth = managers.get(current), depth + 1
        if current is not None:
            raise RecordValidationError(
                [_cycle_error("manager", "Users would report to themselves through their managers.", "用户不能通过上级链成为自己的上级。")], object_name=USER
            )
    return rows


def _cycle_error(field: str, english: str, chinese: str):
    return field_error(field, "validation_rule", message_en=english, message_zh=chinese)


def role_holders(org: Org, role: str, default_roles: set[str]) -> set[str]:
    """Users holding ``role``: assigned it, or holding no role at all when it is a default role."""
    holders = {user_id for user_id, roles in org.roles.items() if role in roles}
    if role in default_roles:
        holders |= {user_id for user_id in org.users if not org.roles.get(user_id)}
    return holders


def principal_users(org: Org, security, principals, departments: set[tuple[str, str, int]], *, visiting: tuple[str, ...] = ()) -> set[str]:
    """The users a :class:`~metadata.models.security.Principals` names (groups flattened)."""
    default_roles = {name for name, role in security.roles.items() if role.default}
    by_username = {row["username"]: user_id for user_id, row in org.users.items()}
    by_code = {row["code"]: department_id for department_id, row in org.departments.items()}
    found = {by_username[name] for name in principals.users if name in by_username}
    wanted = {by_code[code] for code in principals.departments if code in by_code}
    if principals.include_sub_departments:
        wanted |= {department for ancestor, department, _ in departments if ancestor in wanted}
    found |= {user_id for user_id, row in org.users.items() if row["department"] in wanted}
    for role in principals.roles:
        found |= role_holders(org, role, default_roles)
    for group in principals.groups:
        if group in visiting or group not in security.groups:
            continue  # cycles are refused when metadata loads; never loop on one regardless
        found |= principal_users(org, security, security.groups[group], departments, visiting=(*visiting, group))
        found |= org.members.get(group, set())
    return found


def rule_recipients(name: str) -> str:
    """The group-closure key of a sharing rule's recipients."""
    return f"with:{name}"


def rule_owners(name: str) -> str:
    """The group-closure key of an owner-based sharing rule's owners."""
    return f"owners:{name}"


def group_closure(org: Org, security, departments: set[tuple[str, str, int]]) -> set[tuple[str, str]]:
    """(group, user) for every public group, and for each sharing rule's recipients and owners
    (keys ``with:<rule>`` and ``owners:<rule>``), so the predicate looks membership up instead
    of resolving departments, roles and nested groups on every query."""
    rows = set()
    for name, group in security.groups.items():
        members = principal_users(org, security, group, departments, visiting=(name,)) | org.members.get(name, set())
        rows |= {(name, user_id) for user_id in members}
    for name, rule in security.sharing_rules.items():
        rows |= {(rule_recipients(name), user_id) for user_id in principal_users(org, security, rule.share_with, departments)}
        if rule.owners is not None:
            rows |= {(rule_owners(name), user_id) for user_id in principal_users(org, security, rule.owners, departments)}
    return rows


# --- writing the differences --------------------------------------------------------------


def _sync(connection: sa.Connection, table: sa.Table, keys: tuple[str, ...], wanted: Mapping[tuple, dict[str, Any]]) -> int:
    """Make ``table`` hold exactly ``wanted`` (key → row), writing only the differences."""
    current = {tuple(row._mapping[key] for key in keys): dict(row._mapping) for row in connection.execute(sa.select(table))}
    stale = [key for key, row in current.items() if key not in wanted or wanted[key] != row]
    fresh = [row for key, row in wanted.items() if key not in current or current[key] != row]
    for chunk in _chunks(stale, 500):
        connection.execute(sa.delete(table).where(sa.tuple_(*(table.c[key] for key in keys)).in_(chunk)))
    for chunk in _chunks(fresh, 1000):
        connection.execute(sa.insert(table), chunk)
    return len(stale) + len(fresh)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def refresh(connection: sa.Connection, site) -> int:
    """Recompute the closures and write what changed; returns how many rows were written."""
    org = read_org(connection, site)
    security = site.registry.security
    departments = department_closure(org)
    managers = manager_closure(org)
    groups = group_closure(org, security, departments) if security is not None else set()
    written = _sync(
        connection,
        site.platform[t.DEPARTMENT_CLOSURE],
        ("ancestor_id", "department_id"),
        {(a, d): {"ancestor_id": a, "department_id": d, "depth": depth} for a, d, depth in departments},
    )
    written += _sync(
        connection,
        site.platform[t.MANAGER_CLOSURE],
        ("manager_id", "user_id"),
        {(m, u): {"manager_id": m, "user_id": u, "depth": depth} for m, u, depth in managers},
    )
    written += _sync(connection, site.platform[t.GROUP_CLOSURE], ("group_name", "user_id"), {(g, u): {"group_name": g, "user_id": u} for g, u in groups})
    bump(connection, site)
    return written


def bump(connection: sa.Connection, site) -> None:
    """Tell every process its cached permissions are stale."""
    state = site.platform[t.SECURITY_STATE]
    updated = connection.execute(sa.update(state).where(state.c.name == "org").values(generation=state.c.generation + 1))
    if updated.rowcount == 0:
        connection.execute(sa.insert(state).values(name="org", generation=1))


def metadata_fingerprint(security, registry=None) -> int:
    """A number that changes when the groups, roles, sharing rules or teams change, or the
    objects they share (what the closures and shares are computed from); it fits PostgreSQL's
    32-bit integer."""
    documents: dict = {
        kind: {name: item.model_dump(mode="json") for name, item in getattr(security, kind).items()}
        for kind in ("roles", "groups", "sharing_rules", "teams")
    }
    if registry is not None:
        # a criterion reads fields, formulas and roll-ups of these objects (and, through
        # references, of others): any object change may change what a rule matches
        documents["objects"] = {name: item.model_dump(mode="json") for name, item in sorted(registry.objects.items())}
    digest = hashlib.sha256(json.dumps(documents, sort_keys=True).encode()).hexdigest()
    return int(digest[:7], 16)


def refresh_for_metadata(site) -> bool:
    """Recompute the closures if they were computed for other security metadata (a package with
    new groups or sharing rules was installed); returns whether it did."""
    state = site.platform[t.SECURITY_STATE]
    wanted = metadata_fingerprint(site.registry.security, site.registry)
    with site.engine.connect() as connection:
        stored = connection.execute(sa.select(state.c.generation).where(state.c.name == "metadata")).scalar()
    if stored == wanted:
        return False
    from runtime.security import shares

    with site.begin() as connection:
        refresh(connection, site)
        shares.refresh(connection, site)
        connection.execute(sa.delete(state).where(state.c.name == "metadata"))
        connection.execute(sa.insert(state).values(name="metadata", generation=wanted))
    return True


def generation(connection: sa.Connection, site) -> int:
    state = site.platform[t.SECURITY_STATE]
    return connection.execute(sa.select(state.c.generation).where(state.c.name == "org")).scalar() or 0
