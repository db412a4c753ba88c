"""The planner: compare two registries and list the operations between them.

Objects and fields are matched by api name, or through an explicit ``renamed_from`` (a rename
is never guessed: a field that disappears while another appears is an archive plus an add).
Each object's columns are compared in *units*: one unit per system column and one per stored
field (a geolocation field is one unit of two columns), so a field's columns always move
together.
"""

from __future__ import annotations

from dataclasses import dataclass

from metadata.models import ObjectDef
from metadata.registry import Registry
from runtime.errors import MigrationError
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
from runtime.schema import ColumnSpec, column_specs, constraint_name, system_column_specs, unique_groups
from runtime.types import describe_type

__all__ = ["diff", "object_units"]


@dataclass(frozen=True)
class Unit:
    """The columns that belong together: one system column, or all columns of one stored field."""

    name: str
    field: object | None  #: the FieldDef, None for system columns
    specs: tuple[ColumnSpec, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.specs)

    @property
    def type_text(self) -> str:
        shown = ", ".join(describe_type(spec.type) for spec in self.specs)
        return f"{self.field.type} {shown}" if self.field is not None else shown


def object_units(registry: Registry, object_def: ObjectDef) -> dict[str, Unit]:
    """Unit name → unit, for every column of the object's table."""
    units = {spec.name: Unit(spec.name, None, (spec,)) for spec in system_column_specs(registry, object_def)}
    for definition in object_def.fields:
        specs = column_specs(registry, object_def, definition)
        if specs:
            units[definition.api_name] = Unit(definition.api_name, definition, tuple(specs))
    return units


def _match(old_names, new_items) -> tuple[list[tuple[str | None, str]], set[str]]:
    """(old name or None, new name) per new item, following explicit renames; unmatched old names."""
    old_names = set(old_names)
    new_names = {name for name, _ in new_items}
    pairs = []
    used = set()
    for name, renamed_from in new_items:
        if name in old_names:
            pairs.append((name, name))
            used.add(name)
        elif renamed_from and renamed_from in old_names and renamed_from not in new_names and renamed_from not in used:
            pairs.append((renamed_from, name))
            used.add(renamed_from)
        else:
            pairs.append((None, name))
    return pairs, old_names - used


def diff(old: Registry, new: Registry) -> Plan:
    """The plan that takes tables described by ``old`` to tables described by ``new``."""
    operations: list[Operation] = []
    pairs, gone = _match(old.objects, [(name, definition.renamed_from) for name, definition in new.objects.items()])
    for old_name, new_name in pairs:
        if old_name is None:
            operations.append(AddObject(new_name))
            continue
        renamed = old_name != new_name
        if renamed:
            operations.append(RenameObject(old_name, new_name))
        operations += _object_operations(old, new, old.objects[old_name], new.objects[new_name], renamed)
    for old_name in sorted(gone):
        operations.append(ArchiveObject(old_name))
    operations.sort(key=lambda operation: operation.phase)
    return Plan(old=old, new=new, operations=operations, metadata_changed=_documents(old) != _documents(new))


def _documents(registry: Registry) -> list:
    from runtime.store import documents_of

    return sorted(documents_of(registry.packages), key=lambda documents: documents["manifest"]["name"])


def _constraints(table: str, spec: ColumnSpec) -> dict[str, tuple]:
    """kind → (name, what defines it) for the constraints one column has."""
    found: dict[str, tuple] = {}
    if spec.references:
        found["fk"] = (constraint_name("fk", table, spec.name), spec.references, spec.ondelete)
    if spec.unique:
        found["uq"] = (constraint_name("uq", table, spec.name),)
    if spec.indexed:
        found["ix"] = (constraint_name("ix", table, spec.name),)
    return found


def _object_operations(old: Registry, new: Registry, old_def: ObjectDef, new_def: ObjectDef, renamed: bool) -> list[Operation]:
    table = new_def.api_name

    def constraints_before(spec: ColumnSpec) -> dict[str, tuple]:
        # A renamed object's table is copied under its new name with only its primary key (see
        # apply): every unique constraint, index and foreign key is then added afresh.
        return {} if renamed else _constraints(old_def.api_name, spec)
    old_units, new_units = object_units(old, old_def), object_units(new, new_def)
    pairs, gone = _match(
        old_units,
        [(name, getattr(unit.field, "renamed_from", None)) for name, unit in new_units.items()],
    )
    drops: list[Operation] = []
    changes: list[Operation] = []
    adds: list[Operation] = []
    rebuilt: set[str] = set()  #: fields whose columns are rebuilt: their indexes are made again

    def drop_constraints(spec: ColumnSpec) -> None:
        for kind, value in constraints_before(spec).items():
            drops.append(_DROPS[kind](table, spec.name, value[0]))

    def add_constraints(spec: ColumnSpec) -> None:
        for kind, value in _constraints(table, spec).items():
            if kind == "fk":
                adds.append(AddForeignKey(table, spec.name, value[0], value[1], value[2]))
            else:
                adds.append(_ADDS[kind](table, spec.name, value[0]))

    for old_name, new_name in pairs:
        unit = new_units[new_name]
        if old_name is None:
            changes.append(AddField(table, new_name, tuple((spec.name, describe_type(spec.type)) for spec in unit.specs)))
            for spec in unit.specs:
                add_constraints(spec)
            continue
        before = old_units[old_name]
        if len(before.specs) != len(unit.specs):
            raise MigrationError(
                f"cannot change {table}.{new_name} from {before.type_text} to {unit.type_text} in place: "
                "they have different numbers of columns; add a new field, copy the values, then remove the old one"
            )
        if old_name != new_name:
            changes.append(RenameField(table, old_name, new_name, tuple(zip(before.columns, unit.columns))))
        altered = any(describe_type(a.type) != describe_type(b.type) for a, b in zip(before.specs, unit.specs))
        retyped = before.field is not None and unit.field is not None and before.field.type != unit.field.type
        if altered or retyped:
            changes.append(ChangeFieldType(table, new_name, before.type_text, unit.type_text, unit.columns, alters_columns=altered))
        if altered:
            rebuilt.add(new_name)
        for spec_before, spec in zip(before.specs, unit.specs):
            old_constraints = constraints_before(spec_before)
            new_constraints = _constraints(table, spec)
            for kind in ("fk", "uq", "ix"):
                was, wanted = old_constraints.get(kind), new_constraints.get(kind)
                if was == wanted and not altered:
                    continue
                if was is not None:
                    drops.append(_DROPS[kind](table, spec_before.name, was[0]))
                if wanted is not None:
                    if kind == "fk":
                        adds.append(AddForeignKey(table, spec.name, wanted[0], wanted[1], wanted[2]))
                    else:
                        adds.append(_ADDS[kind](table, spec.name, wanted[0]))
    for old_name in sorted(gone, key=list(old_units).index):
        before = old_units[old_name]
        for spec in before.specs:
            drop_constraints(spec)
        changes.append(ArchiveField(table, old_name, before.columns))
    # Unique groups are matched by index name, which spells the fields: a renamed field's group is
    # a new index. A renamed table is copied without indexes, so each of its groups is added afresh.
    old_groups = {} if renamed else dict(unique_groups(old_def))
    new_groups = dict(unique_groups(new_def))
    for name, columns in old_groups.items():
        if new_groups.get(name) != columns or rebuilt & set(columns):
            drops.append(DropUniqueIndex(table, columns, name))
    for name, columns in new_groups.items():
        if old_groups.get(name) != columns or rebuilt & set(columns):
            adds.append(AddUniqueIndex(table, columns, name))
    return drops + changes + adds + _record_steps(old_def, new_def, rebuilt)


def _record_steps(old_def: ObjectDef, new_def: ObjectDef, rebuilt: set[str]) -> list[Operation]:
    """Steps over the records an object already has: rules to count against them, win rates to fill."""
    steps: list[Operation] = []
    before = {rule.api_name: rule for rule in old_def.validation_rules}
    for rule in new_def.validation_rules:
        earlier = before.get(rule.api_name)
        # new, changed, or switched on: existing records may break it without ever having been refused
        if rule.active and (earlier is None or not earlier.active or earlier.condition != rule.condition):
            steps.append(CountRuleBreakers(new_def.api_name, rule.api_name))
    target = new_def.win_rate_field
    if target and (target in rebuilt or _win_rate_path(old_def) != _win_rate_path(new_def)):
        steps.append(FillWinRate(new_def.api_name, target))
    return steps


def _win_rate_path(object_def: ObjectDef) -> tuple:
    """Everything a record's kept win rate depends on besides its own values and completions."""
    return (
        object_def.stage_field,
        object_def.win_rate_field,
        tuple(
            (
                business_type.api_name,
                business_type.default,
                tuple(
                    (stage.value, stage.win_rate, tuple((event.api_name, event.win_rate_share) for event in stage.key_events))
                    for stage in business_type.stages or ()
                ),
            )
            for business_type in object_def.business_types
        ),
    )


_DROPS = {"fk": DropForeignKey, "uq": DropUnique, "ix": DropIndex}
_ADDS = {"uq": AddUnique, "ix": AddIndex}
