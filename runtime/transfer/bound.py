"""A view of a site whose every read and write goes through one connection, in one transaction.

An import must be all-or-nothing across many pipeline calls (bulk creates and updates), each of
which opens its own transaction on the site. Given a :class:`BoundSite`, a ``RecordService``
runs each of its write transactions as a SAVEPOINT inside the caller's transaction and reads on
the same connection (so it sees the rows written so far). A failed call rolls back to its
savepoint and the import goes on or stops; nothing is committed until the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator
import copy
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

    def __getattr__(self, name: str):
        # anything else a subsystem asks of a site (its helpers, caches) is the real site's
        return getattr(self._site, name)


def bound_access(access, site: BoundSite):
    """The access policy reading through the bound connection too.

    A policy built on a site (the security policy reads its membership tables) would otherwise
    read on connections of its own while the import holds the write lock: on SQLite those reads
    wait for the import to commit, which waits for them. A shallow copy pointed at the bound site
    shares the policy's caches and reads what the import's transaction sees.
    """
    if getattr(access, "site", None) is None:
        return access
    bound = copy.copy(access)
    bound.site = site
    return bound
