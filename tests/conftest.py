"""Shared fixtures: a fresh database per test, SQLite by default, PostgreSQL when asked.

Set ``TESSERA_TEST_DATABASE_URL`` (for example ``postgresql+psycopg://postgres@127.0.0.1:55432/postgres``)
to run every test marked ``database`` against PostgreSQL. Each test then gets a schema of its own,
dropped afterwards, so tests never see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

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
def cli_url(database_url) -> Iterator[str]:
    """A database URL of the test's own, for commands that open the URL themselves: a new SQLite
    file, or a new PostgreSQL schema (the server's URL with ``search_path`` set), dropped afterwards."""
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


def pytest_collection_modifyitems(config, items):
    """Tests that take the ``engine`` or ``database_url`` fixture are database tests."""
    for item in items:
        if {"engine", "database_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)
