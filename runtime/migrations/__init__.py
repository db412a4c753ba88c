"""Migrations as plans: diff two registries, show the plan, apply it in one transaction.

    plan = diff(site.registry, new_registry)      # data: a list of operations
    print(plan)                                   # one numbered line per operation
    apply_plan(site, plan, allow_data_loss=True)  # DDL + metadata store + drift check, atomically

Removed fields and objects are archived (:mod:`runtime.migrations.archive`) and can be restored
until purged.
"""

from runtime.migrations.apply import apply_plan, check_plan, migration_connection
from runtime.migrations.archive import Archive, RestoreResult, list_archives, purge, restore_field, restore_object
from runtime.migrations.diff import diff
from runtime.migrations.drift import check_drift
from runtime.migrations.packages import plan_packages, upgraded_registry
from runtime.migrations.plan import (
    AddField,
    AddForeignKey,
    AddIndex,
    AddObject,
    AddUnique,
    AddUniqueIndex,
    ArchiveField,
    ArchiveObject,
    ChangeFieldType,
    ChangeFieldTypeArchiving,
    CountRuleBreakers,
    DropForeignKey,
    DropIndex,
    DropUnique,
    DropUniqueIndex,
    FillWinRate,
    Operation,
    Plan,
    RenameField,
    RenameObject,
)

__all__ = [
    "AddField",
    "AddForeignKey",
    "AddIndex",
    "AddObject",
    "AddUnique",
    "AddUniqueIndex",
    "Archive",
    "ArchiveField",
    "ArchiveObject",
    "ChangeFieldType",
    "ChangeFieldTypeArchiving",
    "CountRuleBreakers",
    "DropForeignKey",
    "DropIndex",
    "DropUnique",
    "DropUniqueIndex",
    "FillWinRate",
    "Operation",
    "Plan",
    "RenameField",
    "RenameObject",
    "RestoreResult",
    "apply_plan",
    "check_drift",
    "check_plan",
    "diff",
    "list_archives",
    "migration_connection",
    "plan_packages",
    "purge",
    "restore_field",
    "restore_object",
    "upgraded_registry",
]
