"""The metadata store: installed packages kept as data in the site's own database.

One row of ``tessera_package`` per installed package holds its documents (see
:func:`metadata.loader.package_documents`). Because the store lives in the same database as the
object tables, a metadata change and its DDL commit or roll back together: callers pass the
connection of the transaction doing the DDL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from metadata.loader import Package, package_documents
from metadata.registry import Registry, registry_from_documents
from runtime.schema import PlatformTables

__all__ = ["bump_metadata_version", "documents_of", "poll_metadata_version", "read_documents", "read_metadata_version", "read_registry", "read_versions", "write_packages"]

#: the one row of ``tessera_metadata_version``
VERSION_ROW = 1


def documents_of(packages: Iterable[Package]) -> list[dict[str, Any]]:
    """The store documents of ``packages``, in the sequence given.

    A value set read from a CSV file is kept with its values inline and without ``values_file``:
    the store holds data, not paths, and a value set may not give both.
    """
    return [_self_contained(package_documents(package)) for package in packages]


def _self_contained(documents: dict[str, Any]) -> dict[str, Any]:
    value_sets = [
        {key: value for key, value in value_set.items() if key != "values_file"} if value_set.get("values") else value_set
        for value_set in documents.get("value_sets", [])
    ]
    return {**documents, "value_sets": value_sets}


def read_documents(connection: sa.Connection, platform: PlatformTables) -> list[dict[str, Any]]:
    """The documents of every installed package (in installation sequence, then by name)."""
    table = platform.package
    rows = connection.execute(sa.select(table.c.documents).order_by(table.c.installed_at, table.c.name))
    return [row.documents for row in rows]


def read_versions(connection: sa.Connection, platform: PlatformTables) -> dict[str, str]:
    """Installed package name → version."""
    table = platform.package
    return {row.name: row.version for row in connection.execute(sa.select(table.c.name, table.c.version))}


def read_registry(connection: sa.Connection, platform: PlatformTables) -> Registry:
    """The registry of the installed packages, rebuilt from the store."""
    return registry_from_documents(read_documents(connection, platform))


def write_packages(connection: sa.Connection, platform: PlatformTables, registry: Registry) -> None:
    """Make the store hold exactly the packages of ``registry``: insert, update or delete rows."""
    table = platform.package
    installed = read_versions(connection, platform)
    wanted = {package.name: package for package in registry.packages}
    for name in installed.keys() - wanted.keys():
        connection.execute(table.delete().where(table.c.name == name))
    for package, documents in zip(registry.packages, documents_of(registry.packages)):
        values = {"version": package.manifest.version, "documents": documents}
        if package.name in installed:
            connection.execute(table.update().where(table.c.name == package.name).values(**values))
        else:
            connection.execute(table.insert().values(name=package.name, **values))
    bump_metadata_version(connection, platform)


def read_metadata_version(connection: sa.Connection, platform: PlatformTables) -> int:
    """The metadata version: it goes up with every change to the store (0 before the first)."""
    table = platform.extra.get("tessera_metadata_version")
    if table is None:
        return 0
    return connection.execute(sa.select(table.c.version).where(table.c.id == VERSION_ROW)).scalar() or 0


def poll_metadata_version(engine: sa.Engine, platform: PlatformTables) -> int:
    """The metadata version, read as cheaply as the driver allows: what every request pays.

    A pooled DBAPI connection and one prepared single-row SELECT, without SQLAlchemy's
    connection and transaction bookkeeping (a tenth of the cost on SQLite).
    """
    table = platform.extra.get("tessera_metadata_version")
    if table is None:
        return 0
    preparer = engine.dialect.identifier_preparer
    statement = f"SELECT {preparer.quote('version')} FROM {preparer.format_table(table)} WHERE id = {VERSION_ROW}"
    connection = engine.raw_connection()
    # On PostgreSQL the read runs outside a transaction: otherwise the pool's rollback when the
    # connection goes back is a second round trip, doubling what every request pays.
    driver = connection.driver_connection if engine.dialect.name == "postgresql" else None
    try:
        if driver is not None:
            driver.autocommit = True
        cursor = driver.cursor() if driver is not None else connection.cursor()
        try:
            cursor.execute(statement)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        if driver is not None:
            driver.autocommit = False
        connection.close()  # back to the pool
    return row[0] if row else 0


def bump_metadata_version(connection: sa.Connection, platform: PlatformTables) -> int:
    """Raise the metadata version in the caller's transaction, so every worker reloads after commit."""
    import datetime as dt

    table = platform.extra.get("tessera_metadata_version")
    if table is None:  # a build without the site layer
        return 0
    now = dt.datetime.now(dt.timezone.utc)
    updated = connection.execute(
        table.update().where(table.c.id == VERSION_ROW).values(version=table.c.version + 1, changed_at=now).returning(table.c.version)
    ).scalar()
    if updated is None:
        connection.execute(table.insert().values(id=VERSION_ROW, version=1, changed_at=now))
        return 1
    return updated
