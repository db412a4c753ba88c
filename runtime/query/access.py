"""Where record security plugs in: the predicate every read and write adds to its SELECT.

The query layer builds every SELECT over an object's table in one place
(:meth:`runtime.query.reader.RecordReader.base_select`), and that place asks an
:class:`AccessPolicy` for an extra WHERE clause for the actor, object and operation. Until the
security layer exists the policy allows everything; it will compile owner, role, sharing and
team rules into that clause (and hide fields), never filter rows in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

import sqlalchemy as sa

if TYPE_CHECKING:  # the record pipeline imports this module, so its Actor is for type hints only
    from runtime.records.context import Actor

#: what a record predicate is asked for; "transfer" is a change of owner
Operation = Literal["read", "edit", "delete", "transfer"]
#: object-level permissions (profiles / 职能): may the actor do this to the object at all?
Action = Literal["create", "read", "edit", "delete"]


class AccessPolicy(Protocol):
    """Decides which records an actor may read, edit or delete, as SQL.

    A policy that derives tables from records (the security layer's org closures) may also
    define ``after_write(connection, object_name)``: the record service calls it at the end of
    every write's transaction, before the commit, so what it derives is never out of step. It
    may define ``refused_assignments(connection, actor, object_name, records)`` too: per record
    index, the fields set to a value outside the actor's scope (an owner they may not hand
    records to); the record service refuses those writes with ``field_forbidden``.
    """

    def predicate(self, actor: Actor, object_name: str, table: sa.FromClause, operation: Operation) -> sa.ColumnElement[bool] | None:
        """A WHERE clause over ``table`` limiting it to the records allowed, or None for all."""
        ...

    def readable_fields(self, actor: Actor, object_name: str) -> frozenset[str] | None:
        """The fields the actor may see, or None for all of them."""
        ...

    def allows(self, actor: Actor, object_name: str, action: Action) -> bool:
        """Whether the actor may ``action`` records of the object at all (before any record predicate)."""
        ...

    def editable_fields(self, actor: Actor, object_name: str) -> frozenset[str] | None:
        """The fields the actor may set on create and update, or None for all of them."""
        ...


class AllowAll:
    """The policy before security is configured: every record and field is accessible."""

    def predicate(self, actor: Actor, object_name: str, table: sa.FromClause, operation: Operation) -> None:
        return None

    def readable_fields(self, actor: Actor, object_name: str) -> None:
        return None

    def allows(self, actor: Actor, object_name: str, action: Action) -> bool:
        return True

    def editable_fields(self, actor: Actor, object_name: str) -> None:
        return None
