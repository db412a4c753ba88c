"""Applying a plan: every operation, the metadata store update and the drift check, in ONE transaction.

DDL goes through Alembic's ``Operations`` on the transaction's connection. Changes SQLite cannot
make with ``ALTER TABLE`` (dropping a column or a constraint, adding a foreign key) run in
Alembic's batch mode, which copies the table; elsewhere batch mode issues plain ``ALTER``s. On
SQLite, foreign-key enforcement is switched off for the migration (copying a table must not
fire ``ON DELETE CASCADE``) and ``PRAGMA foreign_key_check`` runs before commit instead.

Values are checked before anything is altered: type changes convert every stored value first
and refuse, listing the rows, when any does not convert. If anything fails — a check, a DDL
statement, the drift check — the transaction rolls back and the database is as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from metadata.errors import MetadataError
from runtime.errors import ConversionError, DataLossError, DriftError, MigrationError, UnconvertibleValue
from runtime.migrations import archive, records
from runtime.migrations.convert import converters
from runtime.migrations.diff import object_units
from runtime.migrations.drift import check_drift
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
from runtime.schema import build_table, build_tables, column_from_spec, new_metadata, object_column_specs
from runtime.search.index import sync_indexes
from runtime.site import Site
from runtime.store import documents_of, read_documents, read_metadata_version, write_packages

__all__ = ["apply_plan", "check_plan", "migration_connection"]

#: how many offending rows a refusal lists
SHOWN_ROWS = 20


@contextmanager
def migration_connection(engine: sa.Engine, check: Iterable[str] | None = None) -> Iterator[sa.Connection]:
    """A connection in a transaction fit for DDL; on SQLite with foreign keys checked at the end.

    ``check`` names the tables whose references to check (None: every table). Checking is a scan
    of each table's references, so a plan checks only the tables whose rows, or whose targets'
    rows, it moves (see :func:`_tables_to_check`).
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: do it first
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    if check is None:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    else:
                        quoted = connection.dialect.identifier_preparer.quote_identifier
                        broken = [
                            row
                            for table in sorted(set(check))
                            for row in connection.exec_driver_sql(f"PRAGMA foreign_key_check({quoted(table)})").all()
                        ]
                    if broken:
                        shown = ", ".join(f"{row[0]} row {row[1]} → {row[2]}" for row in broken[:SHOWN_ROWS])
                        raise MigrationError(f"the migration would leave references to missing records: {shown}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


@dataclass
class _Runner:
    """Applies one plan's operations on one connection."""

    connection: sa.Connection
    plan: Plan
    operations: Operations = field(init=False)
    #: converted values per ChangeFieldType, computed before any DDL: column → [(id, value)]
    converted: dict[tuple[str, str], dict[str, list[tuple[str, Any]]]] = field(default_factory=dict)
    #: new object name → old object name
    old_names: dict[str, str] = field(default_factory=dict)
    #: per ChangeFieldTypeArchiving: the ids of the records whose values do not convert
    unconvertible: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    created_objects: bool = False
    #: what the steps over records found, one sentence each (shown with the plan)
    findings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.operations = Operations(MigrationContext.configure(self.connection))
        self.old_names = {name: name for name in self.plan.old.objects}
        for operation in self.plan.operations:
            if isinstance(operation, RenameObject):
                self.old_names[operation.new] = operation.old

    @property
    def dialect(self) -> str:
        return self.connection.dialect.name

    def old_table(self, object_name: str, *, current_name: str | None = None) -> sa.Table:
        """The table of ``object_name`` as the old metadata describes it (optionally renamed)."""
        old_name = self.old_names.get(object_name, object_name)
        return build_table(self.plan.old, self.plan.old.object(old_name), new_metadata(), name=current_name or old_name)

    def quoted(self, name: str) -> str:
        return self.connection.dialect.identifier_preparer.quote_identifier(name)

    # -- checks before any DDL -------------------------------------------------------------

    def check(self) -> None:
        """Convert the values of every type change; raise ConversionError listing what does not convert."""
        for operation in self.plan.operations:
            if isinstance(operation, ChangeFieldType):
                self.converted[(operation.object, operation.field)] = self._convert(operation)

    def _convert(self, operation: ChangeFieldType) -> dict[str, list[tuple[str, Any]]]:
        new_def = self.plan.new.object(operation.object)
        new_field = self.plan.new.field(operation.object, operation.field)
        old_name = self.old_names[operation.object]
        old_field_name = getattr(new_field, "renamed_from", None)
        old_units = object_units(self.plan.old, self.plan.old.object(old_name))
        if operation.field in old_units:
            old_field_name = operation.field
        old_columns = old_units[old_field_name].columns
        table = self.old_table(operation.object)
        convert = converters(self.plan.new, new_def.api_name, new_field)
        results: dict[str, list[tuple[str, Any]]] = {column: [] for column in operation.columns}
        failures: list[UnconvertibleValue] = []
        pairs = list(zip(old_columns, operation.columns))
        query = sa.select(table.c.id, *(table.c[old] for old, _ in pairs)).where(
            sa.or_(*(table.c[old].is_not(None) for old, _ in pairs))
        ).order_by(table.c.id)
        for row in self.connection.execute(query):
            for (_, new), value in zip(pairs, row[1:]):
                if value is None:
                    continue
                try:
                    results[new].append((row.id, convert[new](value)))
                except ValueError as error:
                    failures.append(UnconvertibleValue(row.id, value, str(error)))
        if failures and isinstance(operation, ChangeFieldTypeArchiving):
            self.unconvertible[(operation.object, operation.field)] = sorted({failure.record_id for failure in failures})
        elif failures:
            raise ConversionError(operation.object, operation.field, operation.old_type, operation.new_type, failures)
        return results

    # -- operations ------------------------------------------------------------------------

    def apply(self, operation: Operation) -> None:
        handler = getattr(self, f"_{type(operation).__name__}")
        handler(operation)

    def _DropForeignKey(self, operation: DropForeignKey) -> None:
        with self.operations.batch_alter_table(operation.object) as batch:
            batch.drop_constraint(operation.name, type_="foreignkey")

    def _DropUnique(self, operation: DropUnique) -> None:
        with self.operations.batch_alter_table(operation.object) as batch:
            batch.drop_constraint(operation.name, type_="unique")

    def _DropIndex(self, operation: DropIndex) -> None:
        self.operations.drop_index(operation.name, table_name=operation.object)

    def _RenameObject(self, operation: RenameObject) -> None:
        # Copy into a table with the new name and only its primary key: every other constraint
        # and index is added afresh under its new name by later steps of the plan.
        old = self.old_table(operation.new)
        specs = object_column_specs(self.plan.old, self.plan.old.object(operation.old))
        fresh = sa.Table(operation.new, new_metadata(), *(column_from_spec(spec) for spec in specs))
        fresh.create(self.connection)
        names = [spec.name for spec in specs]
        self.connection.execute(fresh.insert().from_select(names, sa.select(*(old.c[name] for name in names))))
        self._drop_table(operation.old)

    def _ArchiveField(self, operation: ArchiveField) -> None:
        old_object = self.old_names[operation.object]
        unit = object_units(self.plan.old, self.plan.old.object(old_object))[operation.field]
        table = self.old_table(operation.object, current_name=operation.object)
        definition = unit.field.model_dump(mode="json", exclude_defaults=True) if unit.field is not None else {"system": unit.name}
        archive.archive_columns(
            self.connection, table, list(unit.specs), kind="field", object_name=operation.object, field_name=operation.field, definition=definition
        )
        with self.operations.batch_alter_table(operation.object) as batch:
            for column in operation.columns:
                batch.drop_column(column)

    def _RenameField(self, operation: RenameField) -> None:
        for old, new in operation.columns:
            self.operations.alter_column(operation.object, old, new_column_name=new)

    def _ChangeFieldType(self, operation: ChangeFieldType) -> None:
        if not operation.alters_columns:
            return
        unit = object_units(self.plan.new, self.plan.new.object(operation.object))[operation.field]
        converted = self.converted[(operation.object, operation.field)]
        scratch = sa.Table(operation.object, sa.MetaData(), sa.Column("id", sa.String(32), primary_key=True))
        for spec in unit.specs:
            temporary = f"{spec.name}__new"
            self.operations.add_column(operation.object, sa.Column(temporary, spec.type, nullable=True))
            column = sa.Column(temporary, spec.type)
            scratch.append_column(column)
            if converted[spec.name]:
                statement = sa.update(scratch).where(scratch.c.id == sa.bindparam("_id")).values({column: sa.bindparam("_value")})
                self.connection.execute(statement, [{"_id": key, "_value": value} for key, value in converted[spec.name]])
        with self.operations.batch_alter_table(operation.object) as batch:
            for spec in unit.specs:
                batch.drop_column(spec.name)
        for spec in unit.specs:
            self.operations.alter_column(operation.object, f"{spec.name}__new", new_column_name=spec.name)

    def _ChangeFieldTypeArchiving(self, operation: ChangeFieldTypeArchiving) -> None:
        ids = self.unconvertible.get((operation.object, operation.field))
        if ids:
            old_object = self.plan.old.object(self.old_names[operation.object])
            new_field = self.plan.new.field(operation.object, operation.field)
            old_units = object_units(self.plan.old, old_object)
            old_name = operation.field if operation.field in old_units else new_field.renamed_from
            # by now the table and the field carry their new names (phases 1 and 3), their old type
            specs = [replace(spec, name=column) for spec, column in zip(old_units[old_name].specs, operation.columns)]
            table = sa.Table(operation.object, sa.MetaData(), sa.Column("id", sa.String(32), primary_key=True), *(sa.Column(spec.name, spec.type) for spec in specs))
            archive.archive_columns(
                self.connection, table, specs, kind="field", object_name=operation.object, field_name=operation.field,
                definition=self.plan.old.field(old_object.api_name, old_name).model_dump(mode="json", exclude_defaults=True),
                only_ids=ids,
            )
            # cleared before the conversion, so the column keeps only values of the new type
            self.connection.execute(sa.update(table).where(table.c.id.in_(ids)).values({spec.name: None for spec in specs}))
        self._ChangeFieldType(operation)

    def _AddObject(self, operation: AddObject) -> None:
        if self.created_objects:
            return
        # Create every new object at once, so references between them resolve in any sequence.
        metadata = new_metadata()
        tables = build_tables(self.plan.new, metadata)
        wanted = [tables[step.object] for step in self.plan.operations if isinstance(step, AddObject)]
        metadata.create_all(self.connection, tables=wanted)
        self.created_objects = True

    def _AddField(self, operation: AddField) -> None:
        unit = object_units(self.plan.new, self.plan.new.object(operation.object))[operation.field]
        for spec in unit.specs:
            self.operations.add_column(operation.object, sa.Column(spec.name, spec.type, nullable=True))

    def _AddUnique(self, operation: AddUnique) -> None:
        table = sa.table(operation.object, sa.column(operation.column))
        column = table.c[operation.column]
        repeated = self.connection.execute(
            sa.select(column, sa.func.count()).where(column.is_not(None)).group_by(column).having(sa.func.count() > 1).limit(SHOWN_ROWS)
        ).all()
        if repeated:
            shown = ", ".join(f"{value!r} ({count} records)" for value, count in repeated)
            raise MigrationError(
                f"cannot make {operation.object}.{operation.column} unique: values repeat: {shown}; "
                "make them unique first; nothing was changed"
            )
        with self.operations.batch_alter_table(operation.object) as batch:
            batch.create_unique_constraint(operation.name, [operation.column])

    def _DropUniqueIndex(self, operation: DropUniqueIndex) -> None:
        self.operations.drop_index(operation.name, table_name=operation.object)

    def _AddUniqueIndex(self, operation: AddUniqueIndex) -> None:
        table = sa.table(operation.object, *(sa.column(name) for name in operation.fields))
        columns = [table.c[name] for name in operation.fields]
        # rows with a blank in any of the fields are not held by the index (NULLs never match)
        repeated = (
            sa.select(*columns, sa.func.count().label("records"))
            .where(*(column.is_not(None) for column in columns))
            .group_by(*columns)
            .having(sa.func.count() > 1)
            .subquery()
        )
        groups, records = self.connection.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(repeated.c.records), 0))
        ).one()
        if groups:
            shown = self.connection.execute(sa.select(repeated).limit(SHOWN_ROWS)).all()
            listed = "; ".join(
                ", ".join(f"{name}={value!r}" for name, value in zip(operation.fields, row[:-1])) + f" ({row[-1]} records)" for row in shown
            )
            more = f"; … and {groups - len(shown)} more" if groups > len(shown) else ""
            raise MigrationError(
                f"cannot make ({', '.join(operation.fields)}) of {operation.object} unique together: "
                f"{records} records share their values in {groups} group{'s' if groups != 1 else ''}: {listed}{more}; "
                "make them unique first; nothing was changed"
            )
        self.operations.create_index(operation.name, operation.object, list(operation.fields), unique=True)

    def _AddIndex(self, operation: AddIndex) -> None:
        self.operations.create_index(operation.name, operation.object, [operation.column])

    def _AddForeignKey(self, operation: AddForeignKey) -> None:
        table = sa.table(operation.object, sa.column("id"), sa.column(operation.column))
        target = sa.table(operation.target, sa.column("id"))
        column = table.c[operation.column]
        dangling = self.connection.execute(
            sa.select(table.c.id, column)
            .where(column.is_not(None), column.not_in(sa.select(target.c.id)))
            .order_by(table.c.id)
        ).all()
        if dangling:
            raise ConversionError(
                operation.object,
                operation.column,
                "a reference",
                f"a reference to {operation.target}",
                [UnconvertibleValue(key, value, f"no {operation.target} record with this id") for key, value in dangling],
            )
        with self.operations.batch_alter_table(operation.object) as batch:
            batch.create_foreign_key(operation.name, operation.target, [operation.column], ["id"], ondelete=operation.ondelete)

    def _CountRuleBreakers(self, operation: CountRuleBreakers) -> None:
        self.findings.append(records.count_rule_breakers(self.connection, self.plan.new, operation.object, operation.rule))

    def _FillWinRate(self, operation: FillWinRate) -> None:
        self.findings.append(records.fill_win_rates(self.connection, self.plan.new, operation.object))

    def _ArchiveObject(self, operation: ArchiveObject) -> None:
        object_def = self.plan.old.object(operation.object)
        table = self.old_table(operation.object)
        specs = object_column_specs(self.plan.old, object_def)
        archive.archive_columns(
            self.connection,
            table,
            specs,
            kind="object",
            object_name=operation.object,
            field_name=None,
            definition=object_def.model_dump(mode="json", exclude_defaults=True),
        )
        self._drop_table(operation.object)

    def _drop_table(self, name: str) -> None:
        if self.dialect == "postgresql":
            # Foreign keys from tables that stay were dropped by earlier steps; CASCADE removes
            # only those between tables leaving together. The drift check catches anything else.
            self.operations.execute(f"DROP TABLE {self.quoted(name)} CASCADE")
        else:
            self.operations.drop_table(name)


def _tables_to_check(plan: Plan) -> set[str]:
    """The tables whose references a plan can leave dangling (SQLite checks them before commit).

    Foreign keys are off while a plan runs on SQLite. Adding or renaming columns, indexes and
    unique constraints, and copying a table in batch mode, keep every row as it was; what can
    leave a reference pointing at nothing is moving rows: a type change rewrites values, a new
    foreign key meets old values (also checked before it is added), and a renamed or archived
    object takes its rows out from under the tables that pointed at it.
    """
    moved = {step.old for step in plan.operations if isinstance(step, RenameObject)}
    moved |= {step.object for step in plan.operations if isinstance(step, ArchiveObject)}
    tables = {step.new for step in plan.operations if isinstance(step, RenameObject)}
    tables |= {step.object for step in plan.operations if isinstance(step, (ChangeFieldType, AddForeignKey))}
    for registry in (plan.old, plan.new):
        for object_def in registry.objects.values():
            for definition in object_def.fields:
                if set(getattr(definition, "targets", ()) or ()) & moved:
                    tables.add(object_def.api_name)
    if "user" in moved:  # every table's owner and created_by/updated_by point at users
        tables |= set(plan.new.objects)
    return {name for name in tables if name in plan.new.objects}


def apply_operation(runner: _Runner, operation: Operation) -> None:
    """Apply one operation (a seam for tests that inject failures)."""
    runner.apply(operation)


def _check_current(connection: sa.Connection, site: Site, plan: Plan) -> None:
    installed = sorted(read_documents(connection, site.platform), key=lambda documents: documents["manifest"]["name"])
    expected = sorted(documents_of(plan.old.packages), key=lambda documents: documents["manifest"]["name"])
    if installed != expected:
        raise MigrationError("the site's metadata changed since this plan was made; plan again")


class _DryRun(Exception):
    """Ends a rehearsal: the transaction rolls back, carrying what the steps found."""

    def __init__(self, findings: list[str]):
        self.findings = findings


def check_plan(site: Site, plan: Plan) -> list[str]:
    """Rehearse the plan in a transaction that is always rolled back; nothing is changed.

    Raises what applying would (ConversionError for values that do not convert, MigrationError
    for a unique group over repeated values, ...) and otherwise returns what the steps over
    records found: how many records a new rule finds broken, how many win rates get filled.
    """
    if not plan.operations:
        return []
    try:
        _run(site, plan, rehearse=True)
    except _DryRun as done:
        return done.findings
    raise AssertionError("a rehearsal always rolls back")  # pragma: no cover


def apply_plan(site: Site, plan: Plan, *, allow_data_loss: bool = False, within: Callable[[sa.Connection], None] | None = None) -> list[str]:
    """Apply ``plan`` to ``site`` in one transaction, then point ``site`` at the new metadata.

    ``within`` is called on the migration's connection after the store is written, so what it
    records (a change set) commits or rolls back with the migration.

    Returns what the steps over records found (see :func:`check_plan`). Raises DataLossError if
    the plan archives data and ``allow_data_loss`` is false, ConversionError if values do not
    convert, DriftError if the result would not match the metadata, MigrationError for anything
    else that fails; in every case nothing is changed.
    """
    if plan.data_loss and not allow_data_loss:
        raise DataLossError(operation.describe() for operation in plan.data_loss)
    findings, version = _run(site, plan, rehearse=False, within=within)
    site.reload(plan.new, version=version)
    return findings


def _run(site: Site, plan: Plan, *, rehearse: bool, within: Callable[[sa.Connection], None] | None = None) -> tuple[list[str], int]:
    step: Operation | None = None
    try:
        with migration_connection(site.engine, _tables_to_check(plan)) as connection:
            _check_current(connection, site, plan)
            runner = _Runner(connection, plan)
            runner.check()
            for step in plan.operations:
                apply_operation(runner, step)
            step = None
            if rehearse:
                raise _DryRun(runner.findings)
            write_packages(connection, site.platform, plan.new)
            # search indexes follow the metadata in the same transaction (new objects, changed fields)
            sync_indexes(connection, plan.new, build_tables(plan.new, new_metadata()))
            if within is not None:
                within(connection)
            differences = check_drift(connection, plan.new)
            if differences:
                raise DriftError(differences)
            version = read_metadata_version(connection, site.platform)
    except sa.exc.DBAPIError as error:
        where = f" at step '{step.describe()}'" if step is not None else ""
        raise MigrationError(f"the database refused the migration{where}: {error.orig}; nothing was changed") from None
    except MetadataError as error:
        raise MigrationError(f"the metadata cannot be applied: {error}") from None
    return runner.findings, version
