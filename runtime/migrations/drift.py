"""The drift check: does the live database hold the tables the metadata describes?

Run after every migration (inside its transaction, so a migration that leaves the database
different from its metadata is rolled back) and on demand. It compares, per object table,
columns (type and nullability), the primary key, unique constraints, indexes and foreign keys
by name, as the database reports them (``sqlalchemy.inspect``). Platform tables (``tessera_*``)
are the platform's business and are not compared.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from metadata.registry import Registry
from runtime.schema import PLATFORM_PREFIX, build_tables, new_metadata

__all__ = ["check_drift"]

# Spellings the databases use for the same column type, reduced to one.
_SYNONYMS = {
    "TIMESTAMPWITHTIMEZONE": "TIMESTAMP",
    "TIMESTAMP(TIMEZONE=TRUE)": "TIMESTAMP",
    "DATETIME": "TIMESTAMP",
    "TIMEWITHOUTTIMEZONE": "TIME",
    "FLOAT": "REAL",
    "DOUBLEPRECISION": "REAL",
    "CHARACTERVARYING": "VARCHAR",
}


def _type_text(column_type: sa.types.TypeEngine, dialect: sa.Dialect) -> str:
    try:
        text = column_type.compile(dialect=dialect)
    except sa.exc.CompileError:
        text = type(column_type).__name__
    text = re.sub(r"\s+", "", text.upper())
    for spelling, canonical in _SYNONYMS.items():
        text = text.replace(spelling, canonical)
    return text


def _ondelete(value: str | None) -> str | None:
    value = (value or "").upper()
    return None if value in {"", "NO ACTION"} else value


def check_drift(connection: sa.Connection, registry: Registry) -> list[str]:
    """Every difference between the live database and ``registry``'s tables, as sentences."""
    dialect = connection.dialect
    inspector = sa.inspect(connection)
    expected = build_tables(registry, new_metadata())
    live = {name for name in inspector.get_table_names() if not name.startswith(PLATFORM_PREFIX)}
    differences = [f"table {name} is missing" for name in sorted(expected.keys() - live)]
    differences += [f"table {name} is not described by the metadata" for name in sorted(live - expected.keys())]
    for name in sorted(expected.keys() & live):
        differences += _table_drift(inspector, dialect, expected[name])
    return differences


def _table_drift(inspector, dialect: sa.Dialect, table: sa.Table) -> list[str]:
    name = table.name
    found: list[str] = []
    columns = {column["name"]: column for column in inspector.get_columns(name)}
    for column in table.columns:
        live = columns.get(column.name)
        if live is None:
            found.append(f"column {name}.{column.name} is missing")
            continue
        wanted_type = column.type
        if isinstance(wanted_type, sa.types.TypeDecorator):
            wanted_type = wanted_type.load_dialect_impl(dialect)
        want, have = _type_text(wanted_type, dialect), _type_text(live["type"], dialect)
        if want != have:
            found.append(f"column {name}.{column.name} is {have}, the metadata says {want}")
        if bool(live["nullable"]) != bool(column.nullable) and not column.primary_key:
            found.append(f"column {name}.{column.name} is {'' if live['nullable'] else 'NOT '}NULL, the metadata says otherwise")
    found += [f"column {name}.{extra} is not described by the metadata" for extra in sorted(columns.keys() - set(table.c.keys()))]

    primary_key = inspector.get_pk_constraint(name)
    if primary_key.get("constrained_columns") != ["id"]:
        found.append(f"table {name} has primary key {primary_key.get('constrained_columns')}, expected [id]")

    want_unique = {
        constraint.name: [column.name for column in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    }
    have_unique = {constraint["name"]: constraint["column_names"] for constraint in inspector.get_unique_constraints(name)}
    found += _compare(name, "unique constraint", want_unique, have_unique)

    want_index = {index.name: ([column.name for column in index.columns], bool(index.unique)) for index in table.indexes}
    have_index = {
        index["name"]: (index["column_names"], bool(index.get("unique")))
        for index in inspector.get_indexes(name)
        if not index.get("duplicates_constraint") and index["name"] not in have_unique
    }
    found += _compare(name, "index", want_index, have_index)

    want_foreign = {
        constraint.name: (constraint.column_keys, constraint.referred_table.name, _ondelete(constraint.ondelete))
        for constraint in table.foreign_key_constraints
    }
    have_foreign = {
        constraint["name"]: (
            constraint["constrained_columns"],
            constraint["referred_table"],
            _ondelete(constraint.get("options", {}).get("ondelete")),
        )
        for constraint in inspector.get_foreign_keys(name)
    }
    found += _compare(name, "foreign key", want_foreign, have_foreign)
    return found


def _compare(table: str, kind: str, want: dict, have: dict) -> list[str]:
    found = [f"{kind} {key} on {table} is missing" for key in sorted(want.keys() - have.keys(), key=str)]
    found += [f"{kind} {key} on {table} is not described by the metadata" for key in sorted(have.keys() - want.keys(), key=str)]
    found += [
        f"{kind} {key} on {table} is {have[key]}, the metadata says {want[key]}"
        for key in sorted(want.keys() & have.keys(), key=str)
        if want[key] != have[key]
    ]
    return found
