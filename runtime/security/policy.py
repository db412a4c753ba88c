"""The security policy: profiles decide objects and fields, grants compile to one WHERE clause.

A record is reachable for an operation when any **grant** holds for it:

* the role scopes of the user (self, subordinates, department, department and children, all),
  each cut down by the dimensions enabled on the object (the owner always reaches their own);
* the record's team (read, or read/write for edits), or the team of the parent it inherits from;
* sharing rules whose recipients include the user: owner-based, or criteria-based through the
  precomputed membership of :mod:`runtime.security.shares`;
* for reads only, whatever each manager the user assists may read;
* for objects without an owner, the master record through each master-detail field.

Every grant is a SQL condition over the object's table and the precomputed tables of
:mod:`runtime.security.tables`; the predicate is their OR. :meth:`SecurityPolicy.explain` runs
each grant's condition on its own against one record to say which ones hold.
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import formula
from metadata.models import SYSTEM_FIELD_NAMES
from runtime.auth.users import revoke_inactive
from runtime.records import model as m
from runtime.records.context import Actor
from runtime.records.formulas import FormulaSupport
from runtime.security import org, shares
from runtime.security import principals as pr
from runtime.security import tables as t

ACTIONS = ("create", "read", "edit", "delete")
OPERATIONS = ("read", "edit", "delete", "transfer")
#: record operation → the role setting that scopes it (查询 / 修改 / 删除 / 转移)
SCOPE_OF = {"read": "query", "edit": "modify", "delete": "delete", "transfer": "transfer"}
#: system fields every reader of a record sees; none of them is set through input
ALWAYS_READABLE = frozenset(SYSTEM_FIELD_NAMES)
#: the share of users whose records a scope reaches from which SQLite reads a page by walking the
#: table rather than through the indexes of each grant: with N rows and a share f of them
#: reachable, walking costs about 50/f rows and the index plan f·N, even at f ≈ √(50/N) (2% at 100k)
BROAD_SHARE = 0.02
#: an assignment condition no value meets (a "self" scope reaches only the actor)
_NOBODY = object()


@dataclass(frozen=True)
class Grant:
    """One way to reach records: what it is (JSON-able) and its condition (None: every record)."""

    reason: dict[str, Any]
    condition: sa.ColumnElement[bool] | None


class SecurityPolicy:
    """The access policy of one site: roles, profiles, sharing, teams and dimensions."""

    def __init__(self, site, *, recheck_seconds: float = 1.0):
        self.site = site
        #: how long cached permissions are trusted before the security generation is read again;
        #: changes made through this policy's process call :meth:`invalidate` and apply at once,
        #: changes made by other processes within this many seconds
        self.recheck_seconds = recheck_seconds
        self._checked_at = float("-inf")
        self._principals: dict[str, pr.Principal | None] = {}
        self._fields: dict[tuple[str, str], dict[str, str] | None] = {}
        #: predicates over the objects' own tables, per user, object, operation and day
        self._predicates: dict[tuple, sa.ColumnElement[bool] | None] = {}
        #: id(actor) → (weak reference to the actor, its principal): one generation check per Actor
        self._per_actor: dict[int, tuple[weakref.ref, pr.Principal | None]] = {}
        self._generation: int | None = None
        self._registry = None
        self._formulas: FormulaSupport | None = None
        self._models: m.ObjectModels | None = None
        self.refresh()

    # -- cache -----------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Bring the closures up to date with the site's security metadata (groups and sharing
        rules installed since they were computed); returns whether anything was recomputed.

        Done when the policy is made, and to be called after a package that changes security
        is installed into a running process. It writes, so it is never done from a read path.
        """
        if self.site.registry.security is None:
            return False
        self.invalidate()
        return org.refresh_for_metadata(self.site)

    def invalidate(self) -> None:
        """Forget cached principals (done by itself when the security generation changes)."""
        self._principals.clear()
        self._fields.clear()
        self._predicates.clear()
        self._per_actor.clear()
        self._generation = None
        self._checked_at = float("-inf")

    def _fresh(self) -> None:
        if self._registry is not self.site.registry:
            self._registry = self.site.registry
            self._formulas = FormulaSupport(self.site.registry, zone=lambda: self.site.zone)
            self._models = m.ObjectModels(self.site.registry)
            self.invalidate()

    def principal(self, actor: Actor) -> pr.Principal | None:
        """What security knows of the actor's user (None for no such user).

        An Actor lives for one request or job: its permissions are read once (checking the
        security generation) and hold for its lifetime, however many reads it makes.
        """
        self._fresh()
        if actor.user_id is None:
            return None
        memo = self._per_actor.get(id(actor))
        if memo is not None and memo[0]() is actor:
            return memo[1]
        stale = time.monotonic() - self._checked_at >= self.recheck_seconds
        if stale or actor.user_id not in self._principals:
            with self.site.engine.connect() as connection:
                current = org.generation(connection, self.site)
                self._checked_at = time.monotonic()
                if current != self._generation:
                    self._principals.clear()
                    self._fields.clear()
                    self._predicates.clear()
                    self._generation = current
                if actor.user_id not in self._principals:
                    self._principals[actor.user_id] = pr.load(connection, self.site, actor.user_id)
        principal = self._principals[actor.user_id]
        key = id(actor)
        self._per_actor[key] = (weakref.ref(actor, lambda _, key=key: self._per_actor.pop(key, None)), principal)
        return principal

    def _principal_by_id(self, user_id: str) -> pr.Principal | None:
        return self.principal(Actor(user_id=user_id))

    # -- after writes ----------------------------------------------------------------------

    def after_write(self, connection: sa.Connection, object_name: str) -> None:
        """Keep the org closures current when users or departments change (same transaction)."""
        if object_name in (org.USER, org.DEPARTMENT):
            org.refresh(connection, self.site)
            self.invalidate()
        if object_name == org.USER:
            # whichever path disabled a user (a form, an import), their sessions and tokens end with it
            revoke_inactive(connection, self.site, dt.datetime.now(dt.timezone.utc))

    # -- profiles: objects and fields ------------------------------------------------------

    def _permissions(self, principal: pr.Principal, object_name: str):
        return [found for profile in principal.profiles if (found := profile.permissions(object_name)) is not None]

    def allows(self, actor: Actor, object_name: str, action: str) -> bool:
        if actor.system:
            return True
        principal = self.principal(actor)
        if principal is None or not principal.active:
            return False
        return any(getattr(permissions, action) for permissions in self._permissions(principal, object_name))

    def _field_access(self, actor: Actor, object_name: str) -> dict[str, str] | None:
        """field → "hidden", "read" or "edit", or None when every field is open."""
        if actor.system:
            return None
        principal = self.principal(actor)
        if principal is None or not principal.active:
            return {}
        key = (principal.user_id, object_name)
        if key not in self._fields:
            self._fields[key] = self._compute_field_access(principal, object_name)
        return self._fields[key]

    def _compute_field_access(self, principal: pr.Principal, object_name: str) -> dict[str, str] | None:
        if any(profile.all_objects for profile in principal.profiles):
            return None
        rank = {"hidden": 0, "read": 1, "edit": 2}
        best = {definition.api_name: "hidden" for definition in self.site.registry.objects[object_name].fields}
        for permissions in self._permissions(principal, object_name):
            for definition in self.site.registry.objects[object_name].fields:
                access = permissions.field_access(definition.api_name)
                if rank[access] > rank[best.get(definition.api_name, "hidden")]:
                    best[definition.api_name] = access
        self._hide_formulas_over_hidden(object_name, best)
        return best

    def _hide_formulas_over_hidden(self, object_name: str, access: dict[str, str]) -> None:
        """A formula field that reads a hidden field would show it: it is hidden too (repeated
        until nothing changes, for formulas over formulas)."""
        assert self._formulas is not None
        formulas = [definition for definition in self.site.registry.objects[object_name].fields if definition.type == "formula"]
        changed = True
        while changed:
            changed = False
            for definition in formulas:
                if access.get(definition.api_name, "hidden") == "hidden":
                    continue
                try:
                    reads = self._formulas.compiled(object_name, definition.expression, "field", blank_as=definition.blank_as).fields
                except formula.FormulaError:
                    reads = frozenset()
                if any(access.get(name) == "hidden" for name in reads):  # system fields are never hidden
                    access[definition.api_name] = "hidden"
                    changed = True

    def readable_fields(self, actor: Actor, object_name: str) -> frozenset[str] | None:
        access = self._field_access(actor, object_name)
        if access is None:
            return None
        return ALWAYS_READABLE | {name for name, level in access.items() if level != "hidden"}

    def editable_fields(self, actor: Actor, object_name: str) -> frozenset[str] | None:
        access = self._field_access(actor, object_name)
        if access is None:
            return None
        editable = {name for name, level in access.items() if level == "edit"}
        # a change of owner is a transfer, scoped by the record predicate; the profile only has to allow edits
        if self.allows(actor, object_name, "edit"):
            editable.add("owner")
        # the business type is chosen when a record is created: whoever may create may choose it
        if self.allows(actor, object_name, "create"):
            editable.add("business_type")
        return frozenset(editable)

    def object_permissions(self, actor: Actor, object_name: str) -> dict[str, bool]:
        """{"create", "read", "edit", "delete"} → whether the actor's profiles allow it."""
        return {action: self.allows(actor, object_name, action) for action in ACTIONS}

    def field_permissions(self, actor: Actor, object_name: str) -> dict[str, dict[str, bool]]:
        """field → {"read": bool, "edit": bool} for every declared field of the object."""
        readable = self.readable_fields(actor, object_name)
        editable = self.editable_fields(actor, object_name)
        return {
            definition.api_name: {
                "read": readable is None or definition.api_name in readable,
                "edit": editable is None or definition.api_name in editable,
            }
            for definition in self.site.registry.objects[object_name].fields
        }

    def readable_objects(self, actor: Actor) -> list[str]:
        """The objects the actor may read at all, by api name."""
        return [name for name in self.site.registry.objects if self.allows(actor, name, "read")]

    def is_admin(self, actor: Actor) -> bool:
        """Whether the actor holds a role that reaches all data (the administrator), or is a platform job."""
        if actor.system:
            return True
        principal = self.principal(actor)
        return principal is not None and principal.active and principal.admin

    # -- records ---------------------------------------------------------------------------

    def predicate(self, actor: Actor, object_name: str, table: sa.FromClause, operation: str) -> sa.ColumnElement[bool] | None:
        if actor.system:
            return None
        principal = self.principal(actor)
        if principal is None or not principal.active:
            return sa.false()
        if operation == "transfer":
            # a transfer changes the record: it needs the modify scope as well as the transfer scope
            parts = [self.predicate(actor, object_name, table, "edit"), self._one(principal, actor, object_name, table, "transfer")]
            present = [part for part in parts if part is not None]
            return sa.and_(*present) if present else None
        return self._one(principal, actor, object_name, table, operation)

    def _one(self, principal: pr.Principal, actor: Actor, object_name: str, table: sa.FromClause, operation: str) -> sa.ColumnElement[bool] | None:
        if table is not self.site.tables.get(object_name):  # an alias: built for that statement only
            return _combine(self.grants(principal, actor, object_name, table, operation))
        key = (principal.user_id, object_name, operation, actor.today(self.site.zone))
        if key not in self._predicates:
            self._predicates[key] = self._planned(principal, actor, object_name, table, operation)
        return self._predicates[key]

    def _planned(self, principal: pr.Principal, actor: Actor, object_name: str, table: sa.FromClause, operation: str) -> sa.ColumnElement[bool] | None:
        """The predicate, written for the plan that suits how much the user reaches.

        A user whose scopes reach a good share of the users gets the plain OR: walking the table
        in the page's sequence finds a page after a few rows. A user who reaches few records gets
        the ids of what each grant reaches, through each grant's own index, as one set: the page
        is then a handful of lookups, not a walk through the whole table in search of them.
        """
        grants = self.grants(principal, actor, object_name, table, operation)
        predicate = _combine(grants)
        if predicate is None or not self.site.registry.objects[object_name].features.owner:
            return predicate
        if self._broad(principal, object_name, operation):
            return _in_table_sequence(predicate) if self.site.engine.dialect.name == "sqlite" else predicate
        alias = self.site.tables[object_name].alias("reach")
        arms = [
            sa.select(alias.c.id).where(grant.condition)
            for grant in self.grants(principal, actor, object_name, alias, operation)
            if grant.condition is not None
        ]
        return table.c.id.in_(sa.union(*arms)) if len(arms) > 1 else table.c.id.in_(arms[0])

    def _broad(self, principal: pr.Principal, object_name: str, operation: str) -> bool:
        """Whether the role scopes reach the records of a good share (≥ 2%) of the users."""
        user = self.site.tables[org.USER]
        scopes = [grant.condition for grant in self._scope_grants(principal, object_name, user, operation, owner=user.c.id)]
        if not scopes:
            return False
        if any(condition is None for condition in scopes):
            return True
        with self.site.engine.connect() as connection:
            reached = connection.execute(sa.select(sa.func.count()).select_from(user).where(sa.or_(*scopes))).scalar_one()
            total = connection.execute(sa.select(sa.func.count()).select_from(user)).scalar_one()
        return reached >= BROAD_SHARE * total

    def grants(self, principal: pr.Principal, actor: Actor, object_name: str, table: sa.FromClause, operation: str, *, assisting: bool = True) -> list[Grant]:
        """Every grant that may reach records of ``object_name`` for ``operation``."""
        if principal.admin:
            return [Grant({"kind": "administrator"}, None)]
        definition = self.site.registry.objects[object_name]
        if not definition.features.owner:
            return self._master_grants(principal, actor, object_name, table, operation)
        security = self.site.registry.security
        me = principal.user_id
        owner = table.c.owner
        found = [Grant({"kind": "owner"}, owner == me)]
        found += self._scope_grants(principal, object_name, table, operation)
        if operation in ("read", "edit"):
            team = self.site.platform[t.RECORD_TEAM]
            writable = [team.c.access == "read_write"] if operation == "edit" else []
            if definition.features.team:
                members = sa.select(team.c.record_id).where(team.c.user_id == me, team.c.object == object_name, *writable)
                found.append(Grant({"kind": "team", "access": "read_write" if writable else "read"}, table.c.id.in_(members)))
            inherited = self.site.platform[t.TEAM_SHARE]
            inherited_writable = [inherited.c.access == "read_write"] if operation == "edit" else []
            for parent, field_name in security.team_parents(object_name):
                members = sa.select(inherited.c.record_id).where(
                    inherited.c.user_id == me, inherited.c.object == object_name, inherited.c.field == field_name, *inherited_writable
                )
                found.append(Grant({"kind": "inherited_team", "object": parent, "field": field_name}, table.c.id.in_(members)))
            for name, rule in security.sharing_rules.items():
                if rule.object != object_name or pr.rule_recipients(name) not in principal.groups:
                    continue
                if operation == "edit" and rule.access != "read_write":
                    continue
                found.append(Grant({"kind": "sharing_rule", "rule": name, "access": rule.access}, self._rule_condition(actor, name, rule, table)))
        if operation == "read" and assisting:
            for manager_id in principal.assists:
                manager = self._principal_by_id(manager_id)
                if manager is None or not manager.active:
                    continue
                inner = _combine(self.grants(manager, actor, object_name, table, "read", assisting=False))
                found.append(Grant({"kind": "assistant", "manager": manager_id}, inner))
        return found

    def _scope_grants(
        self, principal: pr.Principal, object_name: str, table: sa.FromClause, operation: str, *, owner: sa.ColumnElement | None = None
    ) -> list[Grant]:
        platform = self.site.platform
        me = principal.user_id
        dimensions = [
            (name, dimension.objects[object_name])
            for name, dimension in self.site.registry.security.dimensions.items()
            if object_name in dimension.objects and owner is None
        ]
        owner = table.c.owner if owner is None else owner
        cut = [table.c[field_name].in_(sorted(principal.dimensions.get(name, ()))) for name, field_name in dimensions]
        user = self.site.tables[org.USER]
        found = []
        for role in principal.roles:
            scope = role.scope(object_name, SCOPE_OF[operation])
            if scope == "all" and (principal.partner or role.partner):
                scope = "department_and_children"  # partner users never reach past their partner department tree
            if scope == "self":
                continue
            if scope == "all":
                condition = None
            elif scope == "self_and_subordinates":
                closure = platform[t.MANAGER_CLOSURE]
                condition = owner.in_(sa.select(closure.c.user_id).where(closure.c.manager_id == me))
            elif principal.department is None:
                continue
            elif scope == "department":
                condition = owner.in_(sa.select(user.c.id).where(user.c.department == principal.department))
            else:
                closure = platform[t.DEPARTMENT_CLOSURE]
                below = sa.select(closure.c.department_id).where(closure.c.ancestor_id == principal.department)
                condition = owner.in_(sa.select(user.c.id).where(user.c.department.in_(below)))
            if cut:
                condition = sa.and_(*([condition] if condition is not None else []), *cut)
            reason = {"kind": "role_scope", "role": role.api_name, "scope": scope}
            if dimensions:
                reason["dimensions"] = {name: sorted(principal.dimensions.get(name, ())) for name, _ in dimensions}
            found.append(Grant(reason, condition))
        return found

    def _master_grants(self, principal: pr.Principal, actor: Actor, object_name: str, table: sa.FromClause, operation: str) -> list[Grant]:
        """A record without an owner goes with its master records: reaching it means reaching them
        (reading to read it, editing to change or delete it)."""
        masters = [
            (definition.api_name, definition.targets[0])
            for definition in self.site.registry.objects[object_name].fields
            if definition.type == "master_detail"
        ]
        if not masters:
            return [Grant({"kind": "unowned"}, None)]
        master_operation = "read" if operation == "read" else "edit"
        conditions = []
        for field_name, target in masters:
            parent = self.site.tables[target].alias()
            inner = _combine(self.grants(principal, actor, target, parent, master_operation))
            if inner is not None:
                conditions.append(table.c[field_name].in_(sa.select(parent.c.id).where(inner)))
        condition = sa.and_(*conditions) if conditions else None
        return [Grant({"kind": "master", "objects": [target for _, target in masters], "operation": master_operation}, condition)]

    def _rule_condition(self, actor: Actor, name: str, rule, table: sa.FromClause) -> sa.ColumnElement[bool]:
        if rule.owners is not None:
            closure = self.site.platform[t.GROUP_CLOSURE]
            return table.c.owner.in_(sa.select(closure.c.user_id).where(closure.c.group_name == pr.rule_owners(name)))
        assert self._models is not None and self._formulas is not None
        if shares.is_precomputed(self._models, rule):
            # the records the rule matches, kept by the record pipeline: one index lookup
            share = self.site.platform[t.RULE_SHARE]
            return table.c.id.in_(sa.select(share.c.record_id).where(share.c.rule == name))
        # a filter with a relative date matches other records each day: compiled onto the row
        return shares.criteria_condition(
            self._models, self._formulas, self.site.tables, rule, table, self.site.engine.dialect.name, today=actor.today(self.site.zone), zone=self.site.zone
        )

    # -- assignments: the references a write may set -------------------------------------

    def refused_assignments(
        self, connection: sa.Connection, actor: Actor, object_name: str, records: Sequence[Mapping[str, Any]]
    ) -> dict[int, list[str]]:
        """Per record index, the fields set to a value outside the actor's scope (none: {}).

        Setting a reference that grants access hands a record to someone, so it is held to the
        scope that governs handing over: ``owner`` must be the actor or a user their transfer
        scope and modify scope both reach (a transfer is an edit too); a master-detail field of an
        object without an owner must point at a master the actor may edit (the detail goes with
        its master). Lookups the security model reads (inherited teams) already have to be
        readable, like every reference. ``records`` hold only what the write sets (on an update,
        the changed fields). One query at most, none when every value is the actor or open.
        """
        if actor.system:
            return {}
        principal = self.principal(actor)
        if principal is None or not principal.active or principal.admin:
            return {}  # an inactive user is refused before any write; an administrator reaches all
        checks = self._assignment_checks(principal, actor, object_name)
        refused: dict[int, list[str]] = {}
        arms = []
        for field_name, target, condition in checks:
            wanted = {
                value
                for record in records
                if isinstance(value := record.get(field_name), str) and value and not (field_name == "owner" and value == principal.user_id)
            }
            if not wanted or condition is None:
                continue
            if condition is _NOBODY:
                continue  # refused below without asking the database
            arms.append(
                sa.select(sa.literal(field_name).label("field"), target.c.id.label("id")).where(target.c.id.in_(sorted(wanted)), condition)
            )
        allowed: set[tuple[str, str]] = set()
        if arms:
            statement = arms[0] if len(arms) == 1 else sa.union_all(*arms)
            allowed = {(row.field, row.id) for row in connection.execute(statement)}
        for field_name, _, condition in checks:
            if condition is None:
                continue
            for index, record in enumerate(records):
                value = record.get(field_name)
                if not isinstance(value, str) or not value or (field_name == "owner" and value == principal.user_id):
                    continue
                if condition is _NOBODY or (field_name, value) not in allowed:
                    refused.setdefault(index, []).append(field_name)
        return refused

    def _assignment_checks(self, principal: pr.Principal, actor: Actor, object_name: str) -> list[tuple[str, sa.Table, Any]]:
        """(field, target table, condition over the target: None for anything, _NOBODY for nothing)."""
        definition = self.site.registry.objects[object_name]
        checks: list[tuple[str, sa.Table, Any]] = []
        if definition.features.owner:
            user = self.site.tables[org.USER]
            parts = []
            for operation in ("transfer", "edit"):
                scopes = self._scope_grants(principal, object_name, user, operation, owner=user.c.id)
                if not scopes:
                    parts.append(_NOBODY)  # a "self" scope: only the actor
                elif all(grant.condition is not None for grant in scopes):
                    parts.append(sa.or_(*(grant.condition for grant in scopes)))
            if any(part is _NOBODY for part in parts):
                checks.append(("owner", user, _NOBODY))
            else:
                checks.append(("owner", user, sa.and_(*parts) if parts else None))
            return checks
        for field in definition.fields:
            if field.type == "master_detail":
                target = self.site.tables[field.targets[0]]
                checks.append((field.api_name, target, self.predicate(actor, field.targets[0], target, "edit")))
        return checks

    # -- explain ---------------------------------------------------------------------------

    def explain(self, actor: Actor, object_name: str, record_id: str) -> dict[str, Any]:
        """Why the actor may or may not read, edit, delete and transfer one record (JSON-able).

        For each operation: whether the profile allows the action, whether the record is
        reachable, and every grant, each with whether it holds for this record. For a record that
        exists, the user's ``username``, the record's ``owner`` (id and username), the chain of
        usernames from the owner up to the user on a grant through the manager chain
        (``manager_chain``) and the manager's username on an ``assistant`` grant.
        """
        if object_name not in self.site.registry.objects:
            return {"user": actor.user_id, "object": object_name, "record": record_id, "error": "unknown_object"}
        table = self.site.tables[object_name]
        result: dict[str, Any] = {"user": actor.user_id, "object": object_name, "record": record_id, "operations": {}}
        # before the connection below: reading the principal may first bring the closures up to date
        principal = None if actor.system else self.principal(actor)
        with self.site.engine.connect() as connection:
            exists = connection.execute(sa.select(table.c.id).where(table.c.id == record_id)).first() is not None
            result["exists"] = exists
            if not actor.system and (principal is None or not principal.active):
                result["denied"] = "unknown_user" if principal is None else "inactive_user"
            else:
                result["roles"] = principal.role_names if principal else []
                result["profiles"] = [profile.api_name for profile in principal.profiles] if principal else []
            for operation in OPERATIONS:
                action = {"read": "read", "edit": "edit", "delete": "delete", "transfer": "edit"}[operation]
                allowed_by_profile = self.allows(actor, object_name, action)
                entry: dict[str, Any] = {"profile_allows": allowed_by_profile, "grants": []}
                if actor.system:
                    entry["grants"].append({"kind": "platform_job", "holds": True})
                elif principal is not None and principal.active:
                    for grant in self.grants(principal, actor, object_name, table, operation):
                        holds = exists and (
                            grant.condition is None
                            or connection.execute(sa.select(table.c.id).where(table.c.id == record_id, grant.condition)).first() is not None
                        )
                        entry["grants"].append({**grant.reason, "holds": holds})
                entry["allowed"] = bool(exists and allowed_by_profile and any(grant["holds"] for grant in entry["grants"]))
                if operation == "transfer":  # a transfer needs the edit too
                    entry["allowed"] = entry["allowed"] and result["operations"]["edit"]["allowed"]
                result["operations"][operation] = entry
            if not actor.system and exists:
                self._name_people(connection, result, object_name, record_id)
        return result

    def _name_people(self, connection: sa.Connection, result: dict[str, Any], object_name: str, record_id: str) -> None:
        """Add usernames, the record's owner and, on a grant through the manager chain, the chain
        itself (owner up to the user), so a reader needs no second lookup."""
        people = org.read_org(connection, self.site)
        names = {key: row["username"] for key, row in people.users.items()}
        result["username"] = names.get(result["user"])
        owner = None
        if self.site.registry.objects[object_name].features.owner:
            table = self.site.tables[object_name]
            owner = connection.execute(sa.select(table.c.owner).where(table.c.id == record_id)).scalar()
            if owner is not None:
                result["owner"] = {"id": owner, "username": names.get(owner)}
        for entry in result["operations"].values():
            for grant in entry["grants"]:
                if grant["kind"] == "role_scope" and grant.get("scope") == "self_and_subordinates" and owner is not None:
                    chain = org.manager_chain(people, owner, result["user"])
                    if chain is not None:
                        grant["manager_chain"] = [names.get(key, key) for key in chain]
                if grant["kind"] == "assistant":
                    grant["manager_username"] = names.get(grant["manager"])


def _in_table_sequence(predicate: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """The predicate with one term no index can serve, which keeps SQLite from its multi-index
    OR plan (collect every match through each index, then sort them all) and makes it walk the
    table in the page's sequence instead, stopping after one page: far cheaper when the user
    reaches a good share of the rows, far dearer when they reach a few (so only then)."""
    return sa.or_(predicate, sa.literal_column("0") == 1)


def _combine(grants: Sequence[Grant]) -> sa.ColumnElement[bool] | None:
    """The OR of the grants' conditions; None when one of them reaches every record."""
    conditions = []
    for grant in grants:
        if grant.condition is None:
            return None
        conditions.append(grant.condition)
    return sa.or_(*conditions) if conditions else sa.false()
