"""The security platform tables: org assignments, record teams, and the precomputed closures.

Two kinds of table live here:

* **assignments** an admin (or a process) writes: who holds which role and profile, group
  members added at run time, a manager's assistants, users' dimension values, record team
  members;
* **closures** the platform derives from the org and keeps current on every change
  (:mod:`runtime.security.org`): department ancestry, the effective manager chain (a blank
  direct manager means the head of the primary department), flattened public-group membership;
  and, kept by the record pipeline (:mod:`runtime.security.shares`), the records each
  criteria-based sharing rule shares and the teams child records inherit from their parents.
  The record predicate joins these instead of walking trees or evaluating criteria at query time.

User and record ids are not foreign keys: the ``user`` object's table is built from metadata
and migrated on its own, and platform tables must never block its changes.
"""

from __future__ import annotations

import sqlalchemy as sa

from runtime.types import ID_TYPE

USER_ROLE = "tessera_user_role"
USER_PROFILE = "tessera_user_profile"
ASSISTANT = "tessera_assistant"
GROUP_MEMBER = "tessera_group_member"
USER_DIMENSION = "tessera_user_dimension"
RECORD_TEAM = "tessera_record_team"
DEPARTMENT_CLOSURE = "tessera_department_closure"
MANAGER_CLOSURE = "tessera_manager_closure"
GROUP_CLOSURE = "tessera_group_closure"
SECURITY_STATE = "tessera_security_state"
RULE_SHARE = "tessera_rule_share"
TEAM_SHARE = "tessera_team_share"

_NAME = sa.String(50)


def build_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Add the security tables to ``metadata`` (pure: no database)."""
    tables = [
        sa.Table(
            USER_ROLE,
            metadata,
            sa.Column("user_id", ID_TYPE, primary_key=True),
            sa.Column("role", _NAME, primary_key=True),
        ),
        sa.Table(
            USER_PROFILE,
            metadata,
            sa.Column("user_id", ID_TYPE, primary_key=True),
            sa.Column("profile", _NAME, primary_key=True),
        ),
        sa.Table(
            ASSISTANT,
            metadata,
            sa.Column("manager_id", ID_TYPE, primary_key=True),
            sa.Column("assistant_id", ID_TYPE, primary_key=True, index=True),
        ),
        sa.Table(
            GROUP_MEMBER,
            metadata,
            sa.Column("group_name", _NAME, primary_key=True),
            sa.Column("user_id", ID_TYPE, primary_key=True),
        ),
        sa.Table(
            USER_DIMENSION,
            metadata,
            sa.Column("user_id", ID_TYPE, primary_key=True),
            sa.Column("dimension", _NAME, primary_key=True),
            sa.Column("value", _NAME, primary_key=True),
            sa.Column("is_primary", sa.Boolean(), nullable=False, default=False),
        ),
        sa.Table(
            RECORD_TEAM,
            metadata,
            sa.Column("object", _NAME, primary_key=True),
            sa.Column("record_id", ID_TYPE, primary_key=True),
            sa.Column("user_id", ID_TYPE, primary_key=True),
            sa.Column("access", sa.String(10), nullable=False),  # "read" or "read_write"
            # the predicate asks "which records of this object is this user on the team of"
            sa.Index("ix_tessera_record_team_member", "user_id", "object", "record_id"),
        ),
        sa.Table(
            DEPARTMENT_CLOSURE,
            metadata,
            sa.Column("ancestor_id", ID_TYPE, primary_key=True),
            sa.Column("department_id", ID_TYPE, primary_key=True, index=True),
            sa.Column("depth", sa.Integer(), nullable=False),
        ),
        sa.Table(
            MANAGER_CLOSURE,
            metadata,
            sa.Column("manager_id", ID_TYPE, primary_key=True),
            sa.Column("user_id", ID_TYPE, primary_key=True, index=True),
            sa.Column("depth", sa.Integer(), nullable=False),
        ),
        sa.Table(
            GROUP_CLOSURE,
            metadata,
            # a public group, or "with:<rule>" / "owners:<rule>" for a sharing rule's users
            sa.Column("group_name", sa.String(64), primary_key=True),
            sa.Column("user_id", ID_TYPE, primary_key=True, index=True),
        ),
        sa.Table(
            RULE_SHARE,
            metadata,
            # the records a criteria-based sharing rule shares: kept by the record pipeline
            sa.Column("rule", _NAME, primary_key=True),
            sa.Column("record_id", ID_TYPE, primary_key=True),
        ),
        sa.Table(
            TEAM_SHARE,
            metadata,
            # the team a child record inherits through ``field`` from its parent's team
            sa.Column("object", _NAME, primary_key=True),
            sa.Column("field", _NAME, primary_key=True),
            sa.Column("record_id", ID_TYPE, primary_key=True),
            sa.Column("user_id", ID_TYPE, primary_key=True),
            sa.Column("access", sa.String(10), nullable=False),
            sa.Index("ix_tessera_team_share_member", "user_id", "object", "field", "record_id"),
        ),
        sa.Table(
            SECURITY_STATE,
            metadata,
            sa.Column("name", _NAME, primary_key=True),
            # bumped on every change of assignments or closures, so every process drops its cache
            sa.Column("generation", sa.Integer(), nullable=False),
        ),
    ]
    return {table.name: table for table in tables}
