"""Archives: where removed fields and objects keep their data until an explicit purge.

Removing a field (or an object) copies its values (rows) into a table of their own,
``tessera_archive_<n>``, with the same column types and the record ids, and catalogues it in
``tessera_archive`` with the definition it had. Nothing is lost until :func:`purge`:

* a field comes back by declaring it again in the metadata (same name; another type works if
  the values convert), applying, then :func:`restore_field` — values return to the records that
  still exist, without overwriting values entered since;
* an object comes back the same way with :func:`restore_object` — its rows return, ids kept.

A restored archive is dropped: its data lives in the object's table again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError

from metadata.models import FieldDef, ObjectDef
from runtime.errors import ArchiveError, ConversionError, UnconvertibleValue
from runtime.migrations.convert import converters
from runtime.schema import ColumnSpec, object_column_specs
from runtime.site import Site
from runtime.types import ID_TYPE, column_types

__all__ = ["Archive", "RestoreResult", "archive_columns", "list_archives", "purge", "restore_field", "restore_object"]

ARCHIVE_TABLE_PREFIX = "tessera_archive_"
_field_adapter: TypeAdapter = TypeAdapter(FieldDef)


@dataclass(frozen=True)
class Archive:
    """One archived field or object: which, where its data is, and when it was archived."""

    id: int
    kind: str  #: "field" or "object"
    object: str
    field: str | None
    table_name: str
    definition: dict[str, Any]
    columns: list[str]
    row_count: int
    archived_at: dt.datetime

    @property
    def target(self) -> str:
        """``object`` or ``object.field``, as the CLI names it."""
        return f"{self.object}.{self.field}" if self.field else self.object

    def describe(self) -> str:
        rows = f"{self.row_count} row{'s' if self.row_count != 1 else ''}"
        return f"#{self.id} {self.kind} {self.target}: {rows}, archived {self.archived_at:%Y-%m-%d %H:%M} UTC ({self.table_name})"


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    archive: Archive
    restored: int  #: values (fields) or rows (objects) brought back
    skipped: int  #: records purged since, or values entered since (kept)


def _archive_table(name: str, specs: list[ColumnSpec]) -> sa.Table:
    columns = [sa.Column(spec.name, spec.type, nullable=spec.name != "id") for spec in specs if spec.name != "id"]
    return sa.Table(name, sa.MetaData(), sa.Column("id", ID_TYPE, primary_key=True), *columns)


def archive_columns(
    connection: sa.Connection,
    table: sa.Table,
    specs: list[ColumnSpec],
    *,
    kind: str,
    object_name: str,
    field_name: str | None,
    definition: dict[str, Any],
    only_ids: list[str] | None = None,
) -> Archive:
    """Copy ``specs``' columns of ``table`` (with ids) into a new archive table and catalogue it.

    ``only_ids`` limits the copy to those records (a type change archiving the values that do
    not convert).
    """
    catalogue = _catalogue()
    number = connection.execute(sa.select(sa.func.coalesce(sa.func.max(catalogue.c.id), 0) + 1)).scalar_one()
    archived = _archive_table(f"{ARCHIVE_TABLE_PREFIX}{number}", specs)
    archived.create(connection)
    names = [column.name for column in archived.columns]
    source = sa.select(*(table.c[name] for name in names))
    if kind == "field":  # only records that have a value
        source = source.where(sa.or_(*(table.c[name].is_not(None) for name in names if name != "id")))
    if only_ids is not None:
        source = source.where(table.c.id.in_(only_ids))
    connection.execute(archived.insert().from_select(names, source))
    count = connection.execute(sa.select(sa.func.count()).select_from(archived)).scalar_one()
    record = {
        "id": number,
        "kind": kind,
        "object": object_name,
        "field": field_name,
        "table_name": archived.name,
        "definition": definition,
        "columns": [name for name in names if name != "id"],
        "row_count": count,
        "archived_at": dt.datetime.now(dt.timezone.utc),
    }
    connection.execute(catalogue.insert().values(**record))
    return Archive(**record)


def _catalogue() -> sa.Table:
    from runtime.schema import build_platform_tables, new_metadata

    return build_platform_tables(new_metadata()).archive


def list_archives(site: Site, object_name: str | None = None, field_name: str | None = None) -> list[Archive]:
    """The archives on ``site``, oldest first, optionally only those of one object or field."""
    table = site.platform.archive
    query = sa.select(table).order_by(table.c.id)
    if object_name is not None:
        query = query.where(table.c.object == object_name)
    if field_name is not None:
        query = query.where(table.c.field == field_name)
    with site.engine.connect() as connection:
        return [Archive(**row._mapping) for row in connection.execute(query)]


def _find(site: Site, kind: str, object_name: str, field_name: str | None, archive_id: int | None) -> Archive:
    candidates = [archive for archive in list_archives(site, object_name) if archive.kind == kind and archive.field == field_name]
    target = f"{object_name}.{field_name}" if field_name else object_name
    if archive_id is not None:
        candidates = [archive for archive in candidates if archive.id == archive_id]
    if not candidates:
        which = f" #{archive_id}" if archive_id is not None else ""
        raise ArchiveError(f"no archive{which} of {kind} {target}; 'tessera db archives' lists them")
    return candidates[-1]


def _drop(connection: sa.Connection, site: Site, archive: Archive) -> None:
    sa.Table(archive.table_name, sa.MetaData(), sa.Column("id", ID_TYPE)).drop(connection)
    connection.execute(site.platform.archive.delete().where(site.platform.archive.c.id == archive.id))


def restore_field(site: Site, object_name: str, field_name: str, *, archive_id: int | None = None) -> RestoreResult:
    """Bring an archived field's values back into the field of the same name (declared again).

    Values go to records that still exist and have no value for the field; values that do not
    convert to the field's current type are refused (ConversionError), changing nothing.
    """
    archive = _find(site, "field", object_name, field_name, archive_id)
    current = site.registry.fields(object_name).get(field_name) if object_name in site.registry.objects else None
    if current is None or not current.stored:
        raise ArchiveError(
            f"{object_name}.{field_name} is not a stored field on this site: declare it again in the "
            "metadata and apply, then restore"
        )
    old_types = _archived_field_types(site, archive)
    new_columns = list(column_types(current, site.registry))
    if len(new_columns) != len(archive.columns):
        raise ArchiveError(f"{object_name}.{field_name} now has {len(new_columns)} columns, the archive {len(archive.columns)}: restore into a field of the archived type")
    convert = converters(site.registry, object_name, current)
    archived = sa.Table(archive.table_name, sa.MetaData(), sa.Column("id", ID_TYPE, primary_key=True), *(sa.Column(name, old_types[name]) for name in archive.columns))
    live = site.tables[object_name]
    with site.begin() as connection:
        updates: dict[str, list[dict[str, Any]]] = {column: [] for column in new_columns}
        failures: list[UnconvertibleValue] = []
        rows = connection.execute(
            sa.select(archived, *(live.c[column].label(f"live_{column}") for column in new_columns))
            .join_from(archived, live, archived.c.id == live.c.id)
            .order_by(archived.c.id)
        ).all()
        skipped = archive.row_count - len(rows)
        for row in rows:
            for old, new in zip(archive.columns, new_columns):
                value = row._mapping[archived.c[old]]
                if value is None:
                    continue
                if row._mapping[f"live_{new}"] is not None:
                    skipped += 1
                    continue
                try:
                    updates[new].append({"_id": row.id, "_value": convert[new](value)})
                except ValueError as error:
                    failures.append(UnconvertibleValue(row.id, value, str(error)))
        if failures:
            raise ConversionError(object_name, field_name, f"archived {archive.definition.get('type', 'value')}", current.type, failures)
        restored = 0
        for column, values in updates.items():
            if values:
                statement = sa.update(live).where(live.c.id == sa.bindparam("_id"), live.c[column].is_(None)).values({column: sa.bindparam("_value")})
                connection.execute(statement, values)
                restored += len(values)
        _drop(connection, site, archive)
    return RestoreResult(archive, restored, skipped)


def _archived_field_types(site: Site, archive: Archive) -> dict[str, sa.types.TypeEngine]:
    if "system" in archive.definition:
        return {name: ID_TYPE for name in archive.columns}
    try:
        definition = _field_adapter.validate_python(archive.definition)
    except ValidationError as error:
        raise ArchiveError(f"archive #{archive.id} holds a definition this version cannot read: {error}") from None
    return column_types(definition, site.registry)


def restore_object(site: Site, object_name: str, *, archive_id: int | None = None) -> RestoreResult:
    """Bring an archived object's rows back into the object of the same name (declared again).

    Every archived column must exist again (re-declare the fields first); rows whose ids are
    already present are skipped.
    """
    archive = _find(site, "object", object_name, None, archive_id)
    if object_name not in site.registry.objects:
        raise ArchiveError(f"object {object_name} is not on this site: declare it again in the metadata and apply, then restore")
    try:
        old_def = ObjectDef.model_validate(archive.definition)
    except ValidationError as error:
        raise ArchiveError(f"archive #{archive.id} holds a definition this version cannot read: {error}") from None
    live = site.tables[object_name]
    missing = [column for column in archive.columns if column not in live.c]
    if missing:
        raise ArchiveError(
            f"object {object_name} no longer has {', '.join(missing)}: declare those fields again "
            "(or purge the archive) before restoring"
        )
    old_specs = {spec.name: spec for spec in object_column_specs(site.registry, old_def)}
    archived = sa.Table(
        archive.table_name,
        sa.MetaData(),
        sa.Column("id", ID_TYPE, primary_key=True),
        *(sa.Column(name, old_specs[name].type if name in old_specs else live.c[name].type) for name in archive.columns),
    )
    convert_by_column: dict[str, Any] = {}
    for definition in site.registry.object(object_name).fields:
        convert_by_column.update(converters(site.registry, object_name, definition) if definition.stored else {})
    with site.begin() as connection:
        rows = connection.execute(
            sa.select(archived).where(archived.c.id.not_in(sa.select(live.c.id))).order_by(archived.c.id)
        ).all()
        failures: list[UnconvertibleValue] = []
        values = []
        for row in rows:
            record = {}
            for name, value in row._mapping.items():
                if value is not None and name in convert_by_column:
                    try:
                        value = convert_by_column[name](value)
                    except ValueError as error:
                        failures.append(UnconvertibleValue(row.id, value, f"{name}: {error}"))
                record[name] = value
            values.append(record)
        if failures:
            raise ConversionError(object_name, "*", "archived values", "current fields", failures)
        if values:
            try:
                connection.execute(live.insert(), values)
            except sa.exc.IntegrityError as error:
                raise ArchiveError(f"the archived rows of {object_name} do not fit its table now: {error.orig}") from None
        _drop(connection, site, archive)
    return RestoreResult(archive, len(values), archive.row_count - len(values))


def purge(site: Site, *, object_name: str | None = None, field_name: str | None = None, archive_id: int | None = None) -> list[Archive]:
    """Delete archives for good: one by id, those of a field, or those of an object and its fields."""
    chosen = [
        archive
        for archive in list_archives(site, object_name)
        if (archive_id is None or archive.id == archive_id) and (field_name is None or archive.field == field_name)
    ]
    if not chosen:
        raise ArchiveError("no archive matches; 'tessera db archives' lists them")
    with site.begin() as connection:
        for archive in chosen:
            _drop(connection, site, archive)
    return chosen
