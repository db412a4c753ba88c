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
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from metadata.registry import Registry, load_registry, shipped_packages
from runtime.errors import SiteError
from runtime.schema import PlatformTables, build_platform_tables, build_tables, new_metadata
from runtime.settings import SETTING_TABLE, SETTINGS, read_settings, set_setting
from runtime.search.index import sync_indexes
from runtime.store import poll_metadata_version, read_metadata_version, read_registry, write_packages

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
    #: the site settings (see :mod:`runtime.settings`), as read when the site was opened
    settings: dict[str, str] = field(default_factory=lambda: {name: s.default for name, s in SETTINGS.items()})
    #: the metadata store's version the registry was read at (see :meth:`refresh`)
    metadata_version: int = 0
    _reloading: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def time_zone(self) -> str:
        """The site's time zone: the one clock every reader's ``TODAY()`` and date filters use."""
        return self.settings["time_zone"]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def set_setting(self, name: str, value: str) -> str:
        """Store a site setting (checked; SiteError when not valid) and use it from now on."""
        with self.begin() as connection:
            stored = set_setting(connection, self.platform[SETTING_TABLE], name, value)
        self.settings = {**self.settings, name: stored}
        return stored

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

    def reload(self, registry: Registry, *, version: int | None = None) -> None:
        """Point the site at ``registry`` (after a migration committed it), rebuilding the tables.

        Everything is built before anything is replaced, so a request running meanwhile sees the
        old metadata or the new, never a mix. ``version`` is the store's version it belongs to.
        """
        metadata, platform, tables = _tables(registry)
        self.metadata, self.platform, self.tables = metadata, platform, tables
        self.registry = registry
        if version is not None:
            self.metadata_version = version

    def refresh(self) -> bool:
        """Catch up with the metadata store if another process changed it; True if it did.

        One single-row read when nothing changed (what every request pays); otherwise the
        registry is read again and everything cached per registry (record models, compiled
        formulas, security, the OpenAPI document) rebuilds itself on next use.
        """
        if poll_metadata_version(self.engine, self.platform) == self.metadata_version:
            return False
        with self._reloading:
            with self.engine.connect() as connection, connection.begin():
                version = read_metadata_version(connection, self.platform)
                if version == self.metadata_version:  # another thread caught up meanwhile
                    return False
                registry = read_registry(connection, self.platform)
            self.reload(registry, version=version)
        return True

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
    except ImportError as error:
        # the URL is fine but its driver is an optional dependency that is not installed
        raise SiteError(_missing_driver(str(url_or_engine), error)) from None
    if engine.dialect.name == "sqlite" and not sa.event.contains(engine, "connect", _on_sqlite_connect):
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        engine.dispose()  # connections pooled before the hooks would lack them
    return engine


#: the extra of the ``tessera`` distribution that installs each backend's driver
DRIVER_EXTRAS = {"postgresql": "postgres"}


def _missing_driver(url: str, error: ImportError) -> str:
    try:
        backend = sa.engine.make_url(url).get_backend_name()
    except sa.exc.ArgumentError:
        backend = None
    extra = DRIVER_EXTRAS.get(backend or "")
    module = error.name or "its driver"
    if extra is None:
        return f"the database driver for {backend or url!r} is not installed (cannot import {module})"
    return f"the {backend} driver is not installed (cannot import {module}); install it with: pip install 'tessera[{extra}]'"


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
        version = read_metadata_version(connection, platform)
        settings = read_settings(connection, platform[SETTING_TABLE])
        sync_indexes(connection, registry, tables)
    return Site(engine=engine, registry=registry, tables=tables, metadata=metadata, platform=platform, settings=settings, metadata_version=version)


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
        version = read_metadata_version(connection, platform)
        settings = read_settings(connection, platform[SETTING_TABLE])
        tables = build_tables(registry, metadata)
        # a site made before search (or before a change to how terms are made) gets its index now
        sync_indexes(connection, registry, tables)
    return Site(engine=engine, registry=registry, tables=tables, metadata=metadata, platform=platform, settings=settings, metadata_version=version)
