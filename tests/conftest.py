"""Shared fixtures: a fresh database per test, SQLite by default, PostgreSQL when asked.

Set ``TESSERA_TEST_DATABASE_URL`` (for example ``postgresql+psycopg://postgres@127.0.0.1:55432/postgres``)
to run every test marked ``database`` against PostgreSQL. Each test then gets a schema of its own,
dropped afterwards, so tests never see each other's tables.

Installing the shipped packages takes about a second (two on PostgreSQL), so a test that needs a
site with them (``site_url``) gets a copy of one made once per session (``site_templates``): a
file copy on SQLite, ``CREATE DATABASE … TEMPLATE …`` on PostgreSQL, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

TEST_DATABASE_URL_ENV = "TESSERA_TEST_DATABASE_URL"


def _postgres_engine(url: str) -> Iterator[sa.Engine]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    """The URL tests should use: the PostgreSQL server under test, or a new SQLite file."""
    return os.environ.get(TEST_DATABASE_URL_ENV) or f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def cli_url(empty_cli_url) -> str:
    """A database URL of the test's own, for commands that open the URL themselves (an empty one:
    see ``empty_cli_url``; tests/admin_ui/conftest.py gives its tests a site instead)."""
    return empty_cli_url


@pytest.fixture
def empty_cli_url(database_url) -> Iterator[str]:
    """An empty database URL of the test's own, for commands that open the URL themselves: a new
    SQLite file, or a new PostgreSQL schema (the server's URL with ``search_path`` set), dropped
    afterwards."""
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(tmp_path) -> Iterator[sa.Engine]:
    """A fresh, empty database for one test (a new SQLite file, or a new PostgreSQL schema)."""
    url = os.environ.get(TEST_DATABASE_URL_ENV)
    if url:
        yield from _postgres_engine(url)
        return
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'test.sqlite'}")
    try:
        yield engine
    finally:
        engine.dispose()


class SiteTemplates:
    """Sites made once per session, copied for each test that asks for one.

    On SQLite a template is a file and a copy a file copy. On PostgreSQL a template is a database
    of its own and a copy ``CREATE DATABASE … TEMPLATE …``, which copies the template's files in
    the server: no statement of the install is run again. A copy's :class:`~runtime.site.Site`
    (:meth:`site`) shares the template's registry and table objects, which describe the copy
    exactly; reading them again from its metadata store would cost more than the copy itself.
    A site that changes its metadata builds new ones (``Site.reload``), never edits those.
    """

    def __init__(self, directory: Path, server_url: str | None) -> None:
        self.directory = directory
        self.server_url = server_url
        self.prefix = f"t_{uuid.uuid4().hex[:8]}"
        self._made: dict[tuple[str, ...] | None, str] = {}
        self._sites: dict[tuple[str, ...] | None, object] = {}  # the template's Site, engine disposed
        # CREATE/DROP DATABASE cannot run inside a transaction
        self._admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT") if server_url else None

    def _url(self, database: str) -> str:
        assert self.server_url is not None
        return sa.engine.make_url(self.server_url).set(database=database).render_as_string(hide_password=False)

    def _template(self, package_roots: Iterable[Path] | None) -> str:
        """The template file (SQLite) or database name (PostgreSQL) of a site with ``package_roots``
        (None: the shipped packages), made the first time it is asked for."""
        from runtime.site import init_site

        key = self._key(package_roots)
        if key not in self._made:
            roots = None if package_roots is None else list(package_roots)
            name = f"{self.prefix}_template_{len(self._made)}"
            if self._admin is None:
                path = self.directory / f"{name}.sqlite"
                site = init_site(f"sqlite:///{path}", roots)
                self._made[key] = str(path)
            else:
                with self._admin.connect() as connection:
                    connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
                site = init_site(self._url(name), roots)
                self._made[key] = name
            site.dispose()  # on PostgreSQL a template must have no connection left
            self._sites[key] = site
        return self._made[key]

    @staticmethod
    def _key(package_roots: Iterable[Path] | None) -> tuple[str, ...] | None:
        return None if package_roots is None else tuple(str(root) for root in package_roots)

    def site(self, engine: sa.Engine, package_roots: Iterable[Path] | None = None):
        """The :class:`~runtime.site.Site` of a copy (made by :meth:`copy`) behind ``engine``."""
        from runtime.site import Site, configure_engine

        self._template(package_roots)
        template = self._sites[self._key(package_roots)]
        return Site(
            engine=configure_engine(engine),
            registry=template.registry,
            tables=dict(template.tables),
            metadata=template.metadata,
            platform=template.platform,
            settings=dict(template.settings),
            metadata_version=template.metadata_version,
        )

    def copy(self, destination: Path, package_roots: Iterable[Path] | None = None) -> str:
        """The URL of a new database holding the template's site: ``destination`` on SQLite, a new
        database on PostgreSQL (drop it with :meth:`drop`)."""
        template = self._template(package_roots)
        if self._admin is None:
            shutil.copyfile(template, destination)
            return f"sqlite:///{destination}"
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as connection:
            # FILE_COPY (PostgreSQL 15+) copies the few files of a small database faster than WAL_LOG
            strategy = " STRATEGY FILE_COPY" if connection.dialect.server_version_info >= (15,) else ""
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}'))
        return self._url(name)

    def drop(self, url: str) -> None:
        """Drop a copy made on PostgreSQL (nothing to do on SQLite: the file goes with tmp_path)."""
        if self._admin is None:
            return
        name = sa.engine.make_url(url).database
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self._admin is None:
            return
        for name in self._made.values():
            with self._admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def site_templates(tmp_path_factory) -> Iterator[SiteTemplates]:
    """The session's site templates (see :class:`SiteTemplates`), on the database under test."""
    templates = SiteTemplates(tmp_path_factory.mktemp("templates"), os.environ.get(TEST_DATABASE_URL_ENV))
    try:
        yield templates
    finally:
        templates.close()


@pytest.fixture
def site_url(tmp_path, site_templates) -> Iterator[str]:
    """A database URL of the test's own, already holding a site with the shipped packages (a copy
    of the session's template, as if ``tessera db init`` had just run on it)."""
    url = site_templates.copy(tmp_path / "site.sqlite")
    try:
        yield url
    finally:
        site_templates.drop(url)


def pytest_collection_modifyitems(config, items):
    """Tests that take the ``engine`` or ``database_url`` fixture are database tests."""
    for item in items:
        if {"engine", "database_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)
