"""The site layer's platform tables: the change sets admins applied, and the metadata version.

``tessera_metadata_version`` holds one row whose ``version`` goes up in the same transaction as
every change to the metadata store (:func:`runtime.store.write_packages`). A worker compares it
with the version its registry was read at, once per request, and reads the store again only when
it moved: one indexed single-row read keeps every worker of every server current.
"""

from __future__ import annotations

import sqlalchemy as sa

from runtime.types import JSON_VALUE, UtcDateTime

CHANGE_SET = "tessera_change_set"
METADATA_VERSION = "tessera_metadata_version"


def build_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    change_set = sa.Table(
        CHANGE_SET,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("changed_by", sa.String(32), nullable=True),  # the admin's user id; NULL for platform jobs
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        #: [{"kind", "api_name", "before", "after"}]: the effective documents either side
        sa.Column("components", JSON_VALUE, nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("plan", JSON_VALUE, nullable=False),  # the plan's lines as they ran
        sa.Column("reverts", sa.Integer, nullable=True),  # the change set this one undid
        sa.Column("metadata_version", sa.Integer, nullable=False),
    )
    version = sa.Table(
        METADATA_VERSION,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )
    return {CHANGE_SET: change_set, METADATA_VERSION: version}
