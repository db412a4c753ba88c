"""A site: one database holding the platform tables, the metadata store and the object tables.

There is no global engine or registry: whoever needs the database is handed a :class:`Site`.
:func:`init_site` makes a database into a site and installs packages; :func:`open_site` opens
one, rebuilding the registry from the metadata store and the tables from the registry.

On SQLite the engine is set up so the site behaves like PostgreSQL where it matters: foreign keys
are enforced (``PRAGMA foreign_keys=ON``), and transactions begin with an explicit ``BEGIN`` so
DDL is transactional too (pysqlite would otherwise commit before each DDL statement); write
transactions (:meth:`Site.begin`) with ``BEGIN IMMEDIATE``. Functions
the formula layer compiles to are registered on each new connection.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from metadata.registry import Registry, load_registry, shipped_packages
from runtime.errors import SiteError
from runtime.schema import PlatformTables, build_platform_tables, build_tables, new_metadata
from runtime.search.index import sync_indexes
from runtime.store import read_registry, write_packages

__all__ = ["DEFAULT_DATABASE_URL", "Site", "configure_engine", "init_site", "is_initialised", "open_site"]

#: where ``tessera db`` keeps its database when no URL is given (relative to the working directory)
DEFAULT_DATABASE_URL = "sqlite:///tessera.sqlite"
#: the execution option :meth:`Site.begin` sets: a write transaction (``BEGIN IMMEDIATE`` on SQLite)
WRITE_OPTION = "tessera_write"


@dataclass
class Site:
    """One database: its engine, the installed metadata, and the tables it describes."""

    engine: sa.Engine
    registry: Registry
    tables: dict[str, sa.Table]  #: object api name → table
    metadata: sa.MetaData  #: object tables and platform tables
    platform: PlatformTables

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction: committed when the block ends, rolled back on error.

        On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock before
        its first read, so concurrent writers queue (busy timeout) instead of failing when they
        would upgrade a read lock half-way through.
        """
        with self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def table(self, object_name: str) -> sa.Table:
        """The table of ``object_name``; KeyError names the object if it is not installed."""
        try:
            return self.tables[object_name]
        except KeyError:
            raise KeyError(f"no object '{object_name}' on this site") from None

    def reload(self, registry: Registry) -> None:
        """Point the site at ``registry`` (after a migration committed it), rebuilding the tables."""
        self.registry = registry
        self.metadata, self.platform, self.tables = _tables(registry)

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()


def _tables(registry: Registry) -> tuple[sa.MetaData, PlatformTables, dict[str, sa.Table]]:
    metadata = new_metadata()
    platform = build_platform_tables(metadata)
    tables = build_tables(registry, metadata)
    return metadata, platform, tables


# --- engine set-up ---------------------------------------------------------------------------


def _register_formula_functions(dbapi_connection) -> None:
    """Register the SQL functions formulas compile to, once the formula layer provides them."""
    try:
        module = importlib.import_module("formula.sql")
    except ImportError:
        return
    register = getattr(module, "register_sqlite_functions", None)
    if register is not None:
        register(dbapi_connection)


def _on_sqlite_connect(dbapi_connection, connection_record) -> None:
    # Take transaction control away from pysqlite: SQLAlchemy's "begin" hook below issues BEGIN,
    # so DDL runs inside the transaction instead of after an implicit COMMIT.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()
    _register_formula_functions(dbapi_connection)


def _on_sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION) else "BEGIN")


def configure_engine(url_or_engine: str | sa.Engine) -> sa.Engine:
    """The engine for ``url_or_engine``, set up for Tessera (idempotent)."""
    try:
        engine = url_or_engine if isinstance(url_or_engine, sa.Engine) else sa.create_engine(url_or_engine)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as error:
        raise SiteError(f"not a usable database URL {str(url_or_engine)!r}: {error}") from None
    if engine.dialect.name == "sqlite" and not sa.event.contains(engine, "connect", _on_sqlite_connect):
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        engine.dispose()  # connections pooled before the hooks would lack them
    return engine


def _check_reachable(engine: sa.Engine) -> None:
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        raise SiteError(f"cannot connect to {engine.url.render_as_string(hide_password=True)}: {error.orig}") from None


def is_initialised(engine: sa.Engine) -> bool:
    """Whether the database holds a metadata store."""
    _check_reachable(engine)
    with engine.connect() as connection:
        return sa.inspect(connection).has_table("tessera_package")


# --- init and open ---------------------------------------------------------------------------


def init_site(url_or_engine: str | sa.Engine, package_roots: Iterable[Path] | None = None) -> Site:
    """Make an empty database a site: platform tables, metadata store, and the packages installed.

    ``package_roots`` defaults to the shipped packages (system, then the standard CRM). Everything
    is created in one transaction; raises SiteError if the database is already a site, and
    ``metadata.errors.PackageError`` if the packages do not load.
    """
    engine = configure_engine(url_or_engine)
    roots = list(shipped_packages() if package_roots is None else package_roots)
    registry = load_registry(roots)
    if is_initialised(engine):
        raise SiteError(
            f"{engine.url.render_as_string(hide_password=True)} is already a Tessera site; "
            "use 'tessera db plan' and 'tessera db apply' to change its packages"
        )
    metadata, platform, tables = _tables(registry)
    with engine.begin() as connection:
        metadata.create_all(connection)
        write_packages(connection, platform, registry)
        sync_indexes(connection, registry, tables)
    return Site(engine=engine, registry=registry, tables=tables, metadata=metadata, platform=platform)


def open_site(url_or_engine: str | sa.Engine) -> Site:
    """Open an initialised site: the registry from its metadata store, the tables from the registry."""
    engine = configure_engine(url_or_engine)
    if not is_initialised(engine):
        raise SiteError(
            f"{engine.url.render_as_string(hide_password=True)} is not a Tessera site; run 'tessera db init' first"
        )
    metadata = new_metadata()
    platform = build_platform_tables(metadata)
    with engine.begin() as connection:
        # A subsystem added since the site was made brings its tables the first time it opens.
        metadata.create_all(connection, tables=list(platform.extra.values()), checkfirst=True)
        registry = read_registry(connection, platform)
        tables = build_tables(registry, metadata)
        # a site made before search (or before a change to how terms are made) gets its index now
        sync_indexes(connection, registry, tables)
    return Site(engine=engine, registry=registry, tables=tables, metadata=metadata, platform=platform)
