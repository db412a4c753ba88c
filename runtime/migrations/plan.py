"""Migration plans: operations as plain data, printable before anything runs.

A :class:`Plan` holds the registries it goes between and the operations, in the sequence they
are applied. Each operation says what it does in one line (``describe()``) and whether it moves
data out of the live tables (``data_loss``: the data is archived, restorable until purged).

Steps run in phases, so that references never point at something missing: constraints that
change are dropped first and added last, tables are renamed before their columns change,
archived objects leave after every reference to them is gone, and steps over the records
(counting what a new rule finds broken, filling win rates) run last, on tables in their new shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from metadata.registry import Registry

__all__ = [
    "AddField",
    "AddForeignKey",
    "AddIndex",
    "AddObject",
    "AddUnique",
    "AddUniqueIndex",
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
]


@dataclass(frozen=True)
class Operation:
    """One step of a plan."""

    #: apply sequence: lower phases run first (see the module docstring)
    phase: ClassVar[int] = 0
    data_loss: ClassVar[bool] = False

    def describe(self) -> str:  # pragma: no cover - every operation overrides it
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


# phase 0: constraints that go away or change -------------------------------------------------


@dataclass(frozen=True)
class DropForeignKey(Operation):
    """Drop the foreign key of a column (it changes, or its column does)."""

    phase: ClassVar[int] = 0
    object: str
    column: str
    name: str

    def describe(self) -> str:
        return f"drop foreign key {self.name} on {self.object}.{self.column}"


@dataclass(frozen=True)
class DropUnique(Operation):
    """Drop the unique constraint of a column."""

    phase: ClassVar[int] = 0
    object: str
    column: str
    name: str

    def describe(self) -> str:
        return f"drop unique constraint {self.name} on {self.object}.{self.column}"


@dataclass(frozen=True)
class DropIndex(Operation):
    """Drop the index of a column."""

    phase: ClassVar[int] = 0
    object: str
    column: str
    name: str

    def describe(self) -> str:
        return f"drop index {self.name} on {self.object}.{self.column}"


@dataclass(frozen=True)
class DropUniqueIndex(Operation):
    """Drop the unique index of a group of fields (the group goes, or one of its fields changes)."""

    phase: ClassVar[int] = 0
    object: str
    fields: tuple[str, ...]
    name: str

    def describe(self) -> str:
        return f"drop unique index {self.name} on {self.object} ({', '.join(self.fields)})"


# phases 1-4: tables and columns --------------------------------------------------------------


@dataclass(frozen=True)
class RenameObject(Operation):
    """Rename an object's table (``renamed_from``); rows, ids and values are kept."""

    phase: ClassVar[int] = 1
    old: str
    new: str

    def describe(self) -> str:
        return f"rename object {self.old} → {self.new} (data kept)"


@dataclass(frozen=True)
class ArchiveField(Operation):
    """Move a removed field's values to an archive table and drop its columns."""

    phase: ClassVar[int] = 2
    data_loss: ClassVar[bool] = True
    object: str
    field: str
    columns: tuple[str, ...]

    def describe(self) -> str:
        return f"archive field {self.object}.{self.field} (values moved to an archive, restorable)"


@dataclass(frozen=True)
class RenameField(Operation):
    """Rename a field's columns (``renamed_from``); values are kept."""

    phase: ClassVar[int] = 3
    object: str
    old: str
    new: str
    columns: tuple[tuple[str, str], ...]  #: (old column, new column)

    def describe(self) -> str:
        return f"rename field {self.object}.{self.old} → {self.new} (data kept)"


@dataclass(frozen=True)
class ChangeFieldType(Operation):
    """Convert a field's values to a new type; refused, listing the rows, if any do not convert."""

    phase: ClassVar[int] = 4
    object: str
    field: str
    old_type: str  #: field type and column type, as shown: "text VARCHAR(80)"
    new_type: str
    columns: tuple[str, ...]
    #: False when the column type stays the same (text → email): values are checked, not copied
    alters_columns: bool = True

    def describe(self) -> str:
        how = "values converted" if self.alters_columns else "values checked"
        return f"change field {self.object}.{self.field}: {self.old_type} → {self.new_type} ({how})"


@dataclass(frozen=True)
class ChangeFieldTypeArchiving(ChangeFieldType):
    """A type change asked for although some values do not convert: those values are moved to an
    archive (restorable, like a removed field's) and cleared; every other value is converted."""

    data_loss: ClassVar[bool] = True

    def describe(self) -> str:
        return (
            f"change field {self.object}.{self.field}: {self.old_type} → {self.new_type} "
            "(values converted; those that do not convert moved to an archive, restorable)"
        )


@dataclass(frozen=True)
class AddObject(Operation):
    """Create an object's table."""

    phase: ClassVar[int] = 5
    object: str

    def describe(self) -> str:
        return f"add object {self.object}"


@dataclass(frozen=True)
class AddField(Operation):
    """Add a field's columns (empty: NULL in every existing row)."""

    phase: ClassVar[int] = 6
    object: str
    field: str
    columns: tuple[tuple[str, str], ...]  #: (column, type as shown)

    def describe(self) -> str:
        shown = ", ".join(column_type if len(self.columns) == 1 else f"{column} {column_type}" for column, column_type in self.columns)
        return f"add field {self.object}.{self.field} ({shown})"


# phase 7: constraints that arrive -----------------------------------------------------------


@dataclass(frozen=True)
class AddUnique(Operation):
    """Add a unique constraint; refused, listing the duplicates, if values repeat."""

    phase: ClassVar[int] = 7
    object: str
    column: str
    name: str

    def describe(self) -> str:
        return f"add unique constraint {self.name} on {self.object}.{self.column}"


@dataclass(frozen=True)
class AddIndex(Operation):
    """Add an index on a column."""

    phase: ClassVar[int] = 7
    object: str
    column: str
    name: str

    def describe(self) -> str:
        return f"add index {self.name} on {self.object}.{self.column}"


@dataclass(frozen=True)
class AddUniqueIndex(Operation):
    """Add the unique index of a group of fields; refused, counting them, if records share values."""

    phase: ClassVar[int] = 7
    object: str
    fields: tuple[str, ...]
    name: str

    def describe(self) -> str:
        return f"add unique index {self.name} on {self.object} ({', '.join(self.fields)} together)"


@dataclass(frozen=True)
class AddForeignKey(Operation):
    """Add a foreign key; refused, listing the rows, if values point at missing records."""

    phase: ClassVar[int] = 8
    object: str
    column: str
    name: str
    target: str
    ondelete: str | None

    def describe(self) -> str:
        rule = f" on delete {self.ondelete.lower()}" if self.ondelete else ""
        return f"add foreign key {self.name}: {self.object}.{self.column} → {self.target}.id{rule}"


# phase 9: objects that leave ----------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveObject(Operation):
    """Move a removed object's rows to an archive table and drop its table."""

    phase: ClassVar[int] = 9
    data_loss: ClassVar[bool] = True
    object: str

    def describe(self) -> str:
        return f"archive object {self.object} (rows moved to an archive, restorable)"


# phase 10: steps over the records, once every table has its new shape ----------------------


@dataclass(frozen=True)
class CountRuleBreakers(Operation):
    """Count the live records a new or tightened validation rule finds broken (nothing changes).

    Those records stay editable: a save is refused by a rule only when it changes a field the
    rule reads (see :mod:`runtime.records.formulas`).
    """

    phase: ClassVar[int] = 10
    object: str
    rule: str

    def describe(self) -> str:
        return f"count the records that break validation rule {self.object}.{self.rule} (they stay editable in the fields it does not read)"


@dataclass(frozen=True)
class FillWinRate(Operation):
    """Set the win-rate field of every record to its stage path's win rate (a new field, or new rates)."""

    phase: ClassVar[int] = 10
    object: str
    field: str

    def describe(self) -> str:
        return f"fill {self.object}.{self.field} with each record's win rate on its stage path"


@dataclass
class Plan:
    """The operations that take a site from ``old`` metadata to ``new``, in apply sequence."""

    old: Registry
    new: Registry
    operations: list[Operation] = field(default_factory=list)
    #: whether the packages differ at all (a plan without operations may still change metadata)
    metadata_changed: bool = False

    @property
    def data_loss(self) -> list[Operation]:
        """The operations that move data out of the live tables (into archives)."""
        return [operation for operation in self.operations if operation.data_loss]

    def describe(self) -> list[str]:
        """The plan as numbered lines, data-losing steps marked."""
        if not self.operations:
            return ["no schema changes" + ("; the metadata store is updated" if self.metadata_changed else "; nothing to do")]
        lines = []
        for number, operation in enumerate(self.operations, 1):
            mark = "  [archives data]" if operation.data_loss else ""
            lines.append(f"{number:>3}. {operation.describe()}{mark}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())

    def __bool__(self) -> bool:
        return bool(self.operations) or self.metadata_changed
