"""Fixtures for runtime tests: sites on a fresh database, built from small fixture packages.

``zoo`` (in ``fixtures/zoo``) is a package of our own with one field of nearly every type, so
runtime tests never depend on the standard CRM package. ``site`` is a fresh site with the system
and zoo packages installed, on SQLite or on PostgreSQL (see ``tests/conftest.py``).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pytest
import sqlalchemy as sa

from metadata.registry import SYSTEM_PACKAGE
from runtime.ids import new_id
from metadata.registry import Registry
from runtime.site import Site, init_site

FIXTURES = Path(__file__).parent / "fixtures"
ZOO_PACKAGE = FIXTURES / "zoo"


@pytest.fixture
def zoo_roots() -> list[Path]:
    """The package directories of the zoo site: system, then zoo."""
    return [SYSTEM_PACKAGE, ZOO_PACKAGE]


@pytest.fixture
def site(engine, zoo_roots) -> Site:
    """A fresh site with the system and zoo packages installed."""
    return init_site(engine, zoo_roots)


@pytest.fixture
def system_site(engine) -> Site:
    """A fresh site with only the system package installed."""
    return init_site(engine, [SYSTEM_PACKAGE])


def _insert_rows(site: Site, object_name: str, rows: Iterable[dict]) -> list[str]:
    """Insert raw rows (system columns filled in) straight into a table; returns their ids.

    Bypasses the record pipeline on purpose: schema and migration tests need data in the
    tables, not validation.
    """
    table = site.tables[object_name]
    now = dt.datetime.now(dt.timezone.utc)
    filled = [{"id": new_id(), "created_at": now, "updated_at": now, **row} for row in rows]
    keys = {key for row in filled for key in row}
    filled = [{key: row.get(key) for key in keys} for row in filled]  # one shape for executemany
    if filled:
        with site.begin() as connection:
            connection.execute(sa.insert(table), filled)
    return [row["id"] for row in filled]


def _select_rows(site: Site, object_name: str, *columns: str) -> list[tuple]:
    """``(id, *columns)`` of every row of ``object_name``, sorted by id."""
    table = site.tables[object_name]
    with site.engine.connect() as connection:
        query = sa.select(table.c.id, *(table.c[name] for name in columns)).order_by(table.c.id)
        return [tuple(row) for row in connection.execute(query)]


@pytest.fixture
def insert_rows():
    """``insert_rows(site, object_name, rows) -> ids``: raw rows straight into a table."""
    return _insert_rows


@pytest.fixture
def select_rows():
    """``select_rows(site, object_name, *columns) -> [(id, *values)]`` sorted by id."""
    return _select_rows


@pytest.fixture
def zoo_package() -> Path:
    """The zoo fixture package directory."""
    return ZOO_PACKAGE


def _changed(registry: Registry, change) -> Registry:
    """A registry like ``registry`` after ``change(objects, zoo)`` edits the zoo package's documents.

    ``objects`` maps object api name → its document (a dict, as the metadata store keeps it);
    ``zoo`` is the package's documents (append to ``zoo["objects"]`` to add an object).
    """
    from metadata.registry import registry_from_documents
    from runtime.store import documents_of

    documents = copy.deepcopy(documents_of(registry.packages))
    zoo = next(package for package in documents if package["manifest"]["name"] == "zoo")
    change({definition["api_name"]: definition for definition in zoo["objects"]}, zoo)
    return registry_from_documents(documents)


@pytest.fixture
def changed():
    """``changed(registry, change) -> Registry``: the registry after editing the zoo documents."""
    return _changed


def field_document(object_document: dict, name: str) -> dict:
    """The document of field ``name`` in an object document."""
    return next(field for field in object_document["fields"] if field["api_name"] == name)


@pytest.fixture
def field_of():
    """``field_of(object_document, name) -> dict``."""
    return field_document
