"""Metadata → SQLAlchemy Core tables: one table per object, one column per stored field.

:func:`build_tables` is pure: it turns a registry into ``sa.Table`` objects on a ``MetaData``
and touches no database. The migration planner and the table builder both read columns through
:func:`column_specs`, so what a migration creates and what the tables describe cannot disagree.

Choices worth knowing:

* Table name = object api name; column name = field api name. Api names are checked identifiers,
  and SQLAlchemy quotes the reserved words among them (``"user"``).
* Every constraint and index has an explicit, predictable name (``pk_<table>``,
  ``ix_<table>_<column>``, ``uq_<table>_<column>``, ``fk_<table>_<column>``, and
  ``ux_<table>_<a>_<b>`` for the unique index of a group of fields), shortened with a
  hash suffix past PostgreSQL's 63 characters, so migrations can drop them by name.
* Declared fields are nullable columns. ``required`` is enforced by the record pipeline, which
  also knows the per-business-type required fields a column constraint could not express, and a
  required field can then be added to a table that already has rows.
* References are indexed and, when they have one target, get a foreign key to ``<target>.id``:
  ``master_detail`` cascades (for purges), ``lookup``/``user``/``department`` mirror their
  ``on_delete`` (``RESTRICT`` or ``SET NULL``). Polymorphic lookups have no foreign key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import sqlalchemy as sa

from metadata.models import ObjectDef
from metadata.registry import Registry
from runtime.types import ID_TYPE, JSON_VALUE, UtcDateTime, column_types

__all__ = [
    "MAX_NAME_LENGTH",
    "NAMING_CONVENTION",
    "PLATFORM_PREFIX",
    "ColumnSpec",
    "PlatformTables",
    "build_platform_tables",
    "build_table",
    "build_tables",
    "column_for",
    "column_from_spec",
    "column_specs",
    "columns_for",
    "constraint_name",
    "is_stored",
    "new_metadata",
    "object_column_specs",
    "spec_constraints",
    "stored_fields",
    "system_column_specs",
    "unique_groups",
]

#: PostgreSQL's identifier limit; SQLite has none, but names must be the same on both.
MAX_NAME_LENGTH = 63
#: Prefix of the platform's own tables; object api names may not start with ``tessera``.
PLATFORM_PREFIX = "tessera_"

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


def new_metadata() -> sa.MetaData:
    """An empty ``MetaData`` with Tessera's naming convention."""
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


def constraint_name(prefix: str, table: str, column: str) -> str:
    """``<prefix>_<table>_<column>``, shortened with a stable hash suffix to fit 63 characters."""
    name = f"{prefix}_{table}_{column}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME_LENGTH - 9]}_{digest}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- platform tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformTables:
    """The platform's own tables (all named ``tessera_*``); see docs/runtime.md for the columns."""

    package: sa.Table  #: the metadata store: one row per installed package
    counter: sa.Table  #: auto-number counters per object, field and period
    history: sa.Table  #: field history of objects with ``features.history``
    archive: sa.Table  #: the catalogue of archived fields and objects
    #: tables of the platform's subsystems (security, sign-in, ...), by table name
    extra: dict[str, sa.Table] = dataclass_field(default_factory=dict)

    def all(self) -> tuple[sa.Table, ...]:
        return (self.package, self.counter, self.history, self.archive, *self.extra.values())

    def __getitem__(self, name: str) -> sa.Table:
        """A subsystem's table by its name, e.g. ``platform["tessera_session"]``."""
        return self.extra[name]


#: modules that add platform tables: each has ``build_tables(metadata) -> dict[str, sa.Table]``.
#: Imported when the tables are built, so they may import this module for its column types.
PLATFORM_TABLE_MODULES: tuple[str, ...] = ("runtime.security.tables", "runtime.auth.tables", "runtime.records.stages", "runtime.list_views", "runtime.settings", "runtime.site_layer.tables")


def _subsystem_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    tables: dict[str, sa.Table] = {}
    for module_name in PLATFORM_TABLE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and module_name.startswith(error.name):
                continue  # that subsystem is not part of this build
            raise
        tables.update(module.build_tables(metadata))
    return tables


def build_platform_tables(metadata: sa.MetaData) -> PlatformTables:
    """Add the platform tables to ``metadata`` (pure: no database)."""
    package = sa.Table(
        "tessera_package",
        metadata,
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("documents", JSON_VALUE, nullable=False),
        sa.Column("installed_at", UtcDateTime(), nullable=False, default=_utcnow),
        sa.Column("updated_at", UtcDateTime(), nullable=False, default=_utcnow, onupdate=_utcnow),
    )
    counter = sa.Table(
        "tessera_counter",
        metadata,
        sa.Column("object", sa.String(50), primary_key=True),
        sa.Column("field", sa.String(50), primary_key=True),
        sa.Column("period", sa.String(20), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    history = sa.Table(
        "tessera_history",
        metadata,
        sa.Column("id", ID_TYPE, primary_key=True),
        sa.Column("object", sa.String(50), nullable=False),
        sa.Column("record_id", ID_TYPE, nullable=False),
        sa.Column("field", sa.String(50), nullable=False),
        sa.Column("old_value", JSON_VALUE),
        sa.Column("new_value", JSON_VALUE),
        sa.Column("changed_by", ID_TYPE),
        sa.Column("changed_at", UtcDateTime(), nullable=False, default=_utcnow),
        sa.Index("ix_tessera_history_record", "object", "record_id", "changed_at"),
    )
    archive = sa.Table(
        "tessera_archive",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),  # "field" or "object"
        sa.Column("object", sa.String(50), nullable=False),
        sa.Column("field", sa.String(50)),
        sa.Column("table_name", sa.String(MAX_NAME_LENGTH), nullable=False, unique=True),
        sa.Column("definition", JSON_VALUE, nullable=False),
        sa.Column("columns", JSON_VALUE, nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("archived_at", UtcDateTime(), nullable=False, default=_utcnow),
        sa.Index("ix_tessera_archive_object", "object", "field"),
    )
    return PlatformTables(package=package, counter=counter, history=history, archive=archive, extra=_subsystem_tables(metadata))


# --- object tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """What one column of an object table is: type, nullability, reference, unique, index."""

    name: str
    type: sa.types.TypeEngine
    nullable: bool = True
    references: str | None = None  #: target table of the foreign key, if any
    ondelete: str | None = None
    unique: bool = False
    indexed: bool = False
    primary_key: bool = False


def is_stored(field) -> bool:
    """Whether a field has a column (formula fields are computed and have none)."""
    return field.stored


def stored_fields(object_def: ObjectDef) -> list:
    """The declared fields of ``object_def`` that have columns, in declaration sequence."""
    return [field for field in object_def.fields if is_stored(field)]


_ON_DELETE = {"restrict": "RESTRICT", "set_null": "SET NULL"}


def system_column_specs(registry: Registry, object_def: ObjectDef) -> list[ColumnSpec]:
    """The system columns of ``object_def``'s table (see ``SYSTEM_FIELD_NAMES``).

    ``owner`` exists only on objects with ``features.owner``; it is nullable so that rows written
    by the system (bootstrap users, package data) need no owner — the record pipeline requires
    one for records users create. User references have a foreign key when the ``user`` object
    is installed.
    """
    users = "user" if "user" in registry.objects else None
    specs = [ColumnSpec("id", ID_TYPE, nullable=False, primary_key=True)]
    if object_def.features.owner:
        specs.append(ColumnSpec("owner", ID_TYPE, references=users, indexed=True))
    specs += [
        ColumnSpec("created_by", ID_TYPE, references=users),
        ColumnSpec("created_at", UtcDateTime(), nullable=False),
        ColumnSpec("updated_by", ID_TYPE, references=users),
        ColumnSpec("updated_at", UtcDateTime(), nullable=False),
        ColumnSpec("business_type", sa.String(50)),
        ColumnSpec("version", sa.Integer(), nullable=False),
        ColumnSpec("deleted_at", UtcDateTime(), indexed=True),
    ]
    return specs


def column_specs(registry: Registry, object_def: ObjectDef, field) -> list[ColumnSpec]:
    """The columns of one declared field (none for a formula, two for a geolocation)."""
    types = column_types(field, registry)
    if not types:
        return []
    references = ondelete = None
    targets = getattr(field, "targets", ())
    if field.type in {"lookup", "master_detail", "user", "department"} and len(targets) == 1:
        if targets[0] in registry.objects:
            references = targets[0]
            ondelete = "CASCADE" if field.type == "master_detail" else _ON_DELETE[field.on_delete]
    unique = bool(getattr(field, "unique", False)) or field.type == "auto_number"
    indexed = (
        not unique
        and len(types) == 1
        and (
            bool(getattr(field, "indexed", False))
            or field.type in {"lookup", "master_detail", "user", "department"}
            or field.api_name == object_def.name_field
        )
    )
    return [
        ColumnSpec(name, column_type, references=references, ondelete=ondelete, unique=unique and len(types) == 1, indexed=indexed)
        for name, column_type in types.items()
    ]


def object_column_specs(registry: Registry, object_def: ObjectDef) -> list[ColumnSpec]:
    """Every column of ``object_def``'s table: system columns, then stored fields."""
    specs = system_column_specs(registry, object_def)
    for field in object_def.fields:
        specs.extend(column_specs(registry, object_def, field))
    return specs


def column_from_spec(spec: ColumnSpec) -> sa.Column:
    """The column a spec describes (its constraints come from :func:`spec_constraints`)."""
    extra: dict = {}
    if spec.name == "version":
        extra = {"default": 1, "server_default": sa.text("1")}
    elif spec.name in {"created_at", "updated_at"}:
        extra = {"default": _utcnow}
    return sa.Column(spec.name, spec.type, primary_key=spec.primary_key, nullable=spec.nullable, **extra)


def spec_constraints(table_name: str, spec: ColumnSpec) -> list[sa.schema.SchemaItem]:
    """The named constraints and indexes one column brings (foreign key, unique, index)."""
    items: list[sa.schema.SchemaItem] = []
    if spec.references:
        items.append(
            sa.ForeignKeyConstraint(
                [spec.name],
                [f"{spec.references}.id"],
                name=constraint_name("fk", table_name, spec.name),
                ondelete=spec.ondelete,
            )
        )
    if spec.unique:
        items.append(sa.UniqueConstraint(spec.name, name=constraint_name("uq", table_name, spec.name)))
    if spec.indexed:
        items.append(sa.Index(constraint_name("ix", table_name, spec.name), spec.name))
    return items


def build_table(registry: Registry, object_def: ObjectDef, metadata: sa.MetaData, *, name: str | None = None) -> sa.Table:
    """The table of one object, added to ``metadata`` (``name`` overrides the table name)."""
    table_name = name or object_def.api_name
    specs = object_column_specs(registry, object_def)
    items: list[sa.schema.SchemaItem] = [column_from_spec(spec) for spec in specs]
    for spec in specs:
        items.extend(spec_constraints(table_name, spec))
    for index_name, columns in unique_groups(object_def, table_name):
        items.append(sa.Index(index_name, *columns, unique=True))
    return sa.Table(table_name, metadata, *items)


def unique_groups(object_def: ObjectDef, table_name: str | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """(index name, columns) of each of the object's ``unique`` groups: ``ux_<table>_<a>_<b>``.

    A unique *index* rather than a constraint: both databases create and drop one without
    copying the table, and both let rows with a NULL in any of its columns repeat.
    """
    table_name = table_name or object_def.api_name
    return [(constraint_name("ux", table_name, "_".join(group)), tuple(group)) for group in object_def.unique]


def build_tables(registry: Registry, metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Object api name → table, for every object of ``registry``, added to ``metadata``."""
    return {name: build_table(registry, object_def, metadata) for name, object_def in registry.objects.items()}


def columns_for(table: sa.Table, field) -> list[sa.Column]:
    """The columns holding ``field`` in ``table`` (none for a formula, two for a geolocation)."""
    if field.type == "geolocation":
        return [table.c[f"{field.api_name}__lat"], table.c[f"{field.api_name}__lng"]]
    if not is_stored(field):
        return []
    return [table.c[field.api_name]]


def column_for(table: sa.Table, field_api_name: str) -> sa.Column:
    """The column of a single-column stored field or system field; KeyError if there is none."""
    try:
        return table.c[field_api_name]
    except KeyError:
        raise KeyError(f"table '{table.name}' has no column '{field_api_name}'") from None


def platform_table_names(names: Iterable[str]) -> list[str]:
    """The names among ``names`` that belong to the platform (``tessera_*``)."""
    return [name for name in names if name.startswith(PLATFORM_PREFIX)]
