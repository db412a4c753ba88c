"""Tables for the formula schema of formula_cases, and a column resolver that adds joins.

Numbers are stored as the runtime stores them: REAL on SQLite, NUMERIC on PostgreSQL;
multi-picklists as JSON arrays; datetimes with time zone.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from formula import register_sqlite_functions
from formula_cases import PEOPLE, RECORD, SCHEMA

NUMBER = sa.Float().with_variant(sa.Numeric(30, 10), "postgresql")
JSON_ARRAY = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")

_COLUMN_TYPES = {
    "currency": NUMBER,
    "number": NUMBER,
    "percent": NUMBER,
    "text": sa.Text(),
    "picklist": sa.String(50),
    "multipicklist": JSON_ARRAY,
    "boolean": sa.Boolean(),
    "date": sa.Date(),
    "datetime": sa.DateTime(timezone=True),
    "time": sa.Time(),
    "reference": sa.String(32),
}


def column_type(spec: str):
    return _COLUMN_TYPES[spec.split("(")[0]]


def build_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    tables = {}
    for name, fields in SCHEMA.items():
        columns = [sa.Column("id", sa.String(32), primary_key=True)]
        columns += [sa.Column(field, column_type(spec)) for field, spec in fields.items() if field != "id"]
        tables[name] = sa.Table(name, metadata, *columns)
    return tables


def install(engine: sa.Engine) -> dict[str, sa.Table]:
    """Register the SQLite functions, create the tables and insert the shared record."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda dbapi, _record: register_sqlite_functions(dbapi))
    metadata = sa.MetaData()
    tables = build_tables(metadata)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(tables["person"].insert(), list(PEOPLE.values()))
        connection.execute(tables["item"].insert(), [{"id": "i1", **RECORD}])
    return tables


class Joins:
    """A ColumnResolver over the test tables: each new path prefix adds an outer join."""

    def __init__(self, tables: dict[str, sa.Table], root: str = "item") -> None:
        self.tables = tables
        self.root = tables[root]
        self.root_object = root
        self.source = self.root
        self.aliases: dict[tuple[str, ...], tuple[sa.FromClause, str]] = {}

    def __call__(self, path: tuple[str, ...]):
        table, obj = self.root, self.root_object
        for index, segment in enumerate(path[:-1]):
            prefix = path[: index + 1]
            if prefix not in self.aliases:
                target = SCHEMA[obj][segment].split("(")[1].rstrip(")")
                alias = self.tables[target].alias(f"j{len(self.aliases)}")
                self.source = self.source.outerjoin(alias, alias.c.id == table.c[segment])
                self.aliases[prefix] = (alias, target)
            table, obj = self.aliases[prefix]
        return table.c[path[-1]]
