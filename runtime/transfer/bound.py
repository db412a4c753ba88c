"""A view of a site whose every read and write goes through one connection, in one transaction.

An import must be all-or-nothing across many pipeline calls (bulk creates and updates), each of
which opens its own transaction on the site. Given a :class:`BoundSite`, a ``RecordService``
runs each of its write transactions as a SAVEPOINT inside the caller's transaction and reads on
the same connection (so it sees the rows written so far). A failed call rolls back to its
savepoint and the import goes on or stops; nothing is committed until the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import sqlalchemy as sa


class _BoundEngine:
    """Looks like the site's engine to the record pipeline; hands out the one connection."""

    def __init__(self, engine: sa.Engine, connection: sa.Connection):
        self._engine = engine
        self._connection = connection

    @property
    def dialect(self):
        return self._engine.dialect

    @property
    def url(self):
        return self._engine.url

    def connect(self):
        return nullcontext(self._connection)

    def begin(self):
        return self._nested()

    @contextmanager
    def _nested(self) -> Iterator[sa.Connection]:
        with self._connection.begin_nested():
            yield self._connection


class BoundSite:
    """The site's metadata and tables, with its engine bound to ``connection``."""

    def __init__(self, site, connection: sa.Connection):
        self._site = site
        self.engine = _BoundEngine(site.engine, connection)

    @property
    def registry(self):
        return self._site.registry

    @property
    def tables(self):
        return self._site.tables

    @property
    def metadata(self):
        return self._site.metadata

    @property
    def platform(self):
        return self._site.platform

    def table(self, object_name: str) -> sa.Table:
        return self._site.table(object_name)

    def begin(self):
        return self.engine.begin()
