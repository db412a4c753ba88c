"""The search index: one index table per searchable object, kept current in the save's transaction.

An object is indexed when its ``features.search`` is on and it has text to search: its name field
(the result's title) and its ``searchable`` text fields. On SQLite the index is an FTS5 table
(``tessera_search_<object>``, ranked by bm25) beside a table mapping FTS rows to record ids; on
PostgreSQL it is a ``tsvector`` column with a GIN index, ranked by ``ts_rank``. Terms are made in
Python (:mod:`runtime.search.terms`) and handed to the database as they are — a tsvector literal,
FTS5's simple word splitting — so both databases index exactly the same terms and no database
locale decides what a word is.

A search runs one SELECT per object: the index joined to the object's table through the caller's
base SELECT (:meth:`RecordReader.scope`: recycle bin and security predicate), so a record the
caller may not read is never a result. Where the caller may not read some indexed field, a hit
is kept only if the fields they may read match too, so a hidden value never finds a record.

:func:`sync_indexes` makes the index tables match the metadata — created for new objects, dropped
for objects no longer searched, rebuilt when the indexed fields (or the way terms are made)
change — and runs inside migrations; :meth:`SearchIndex.reindex` rebuilds on request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from runtime.schema import PLATFORM_PREFIX
from runtime.search import terms as t

if TYPE_CHECKING:
    from metadata.registry import Registry
    from runtime.query.reader import RecordReader
    from runtime.records.context import Actor

#: field types whose values are indexed
TEXT_TYPES = frozenset({"text", "textarea", "long_text", "rich_text", "email", "phone", "url", "auto_number"})
STATE_TABLE = f"{PLATFORM_PREFIX}search_state"
#: title terms count this many times as much as other fields' in the ranking (FTS5 bm25 weights)
TITLE_WEIGHT = 10.0
#: rows read per batch when rebuilding an index
BATCH = 2000
#: how many more candidates to read when hits must be checked against the fields a caller may read
RECHECK_FACTOR = 10
SNIPPET_WIDTH = 80


@dataclass(frozen=True)
class IndexSpec:
    """What is indexed of one object: the title field and the other fields, in sequence."""

    object_name: str
    title: str | None
    fields: tuple[str, ...]

    @property
    def all_fields(self) -> tuple[str, ...]:
        return ((self.title,) if self.title else ()) + self.fields

    @property
    def signature(self) -> str:
        text = json.dumps([t.VERSION, t.PINYIN, self.title, self.fields])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SearchHit:
    """One result: the record's object, id, title (its name) and a snippet around the match."""

    object: str
    id: str
    title: str
    snippet: str
    rank: float


def index_specs(registry: Registry) -> dict[str, IndexSpec]:
    """The objects to index and what of each, from the metadata."""
    specs = {}
    for name, object_def in registry.objects.items():
        if not object_def.features.search:
            continue
        by_name = {definition.api_name: definition for definition in object_def.fields}
        title_def = by_name.get(object_def.name_field)
        title = object_def.name_field if title_def is not None and title_def.type in TEXT_TYPES else None
        fields = tuple(
            definition.api_name
            for definition in object_def.fields
            if getattr(definition, "searchable", False) and definition.type in TEXT_TYPES and definition.api_name != title
        )
        if title or fields:
            specs[name] = IndexSpec(name, title, fields)
    return specs


def table_name(object_name: str) -> str:
    return f"{PLATFORM_PREFIX}search_{object_name}"


def _ids_name(object_name: str) -> str:
    return f"{PLATFORM_PREFIX}search_{object_name}_ids"


def _state(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(STATE_TABLE, metadata, sa.Column("object", sa.String(100), primary_key=True), sa.Column("signature", sa.String(64), nullable=False))


# --- the two storages ---------------------------------------------------------------------


def _tsvector(title_terms: list[str], body_terms: list[str]) -> str:
    """A tsvector literal: title terms weighted A, positions kept (for phrases), at most 16383."""
    parts = []
    for position, term in enumerate(title_terms + body_terms, start=1):
        weight = "A" if position <= len(title_terms) else ""
        parts.append(f"'{_escape_lexeme(term)}':{min(position, 16383)}{weight}")
    return " ".join(parts)


def _escape_lexeme(term: str) -> str:
    return term.replace("\\", "\\\\").replace("'", "''")


def _tsquery(query: t.SearchQuery) -> str:
    parts = [f"'{_escape_lexeme(prefix)}':*" for prefix in query.prefixes]
    parts += ["(" + " <-> ".join(f"'{_escape_lexeme(pair)}'" for pair in phrase) + ")" for phrase in query.phrases]
    return " & ".join(parts)


def _fts_match(query: t.SearchQuery) -> str:
    parts = [f'"{prefix}"*' for prefix in query.prefixes]
    parts += ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    return " AND ".join(parts)


class SearchIndex:
    """Writes, removes and searches index entries of a site's objects."""

    def __init__(self, site):
        self.site = site
        self._registry = None
        self._specs: dict[str, IndexSpec] = {}
        self._tables: dict[str, tuple[sa.Table, sa.Table | None]] = {}

    @property
    def dialect(self) -> str:
        return self.site.engine.dialect.name

    @property
    def specs(self) -> dict[str, IndexSpec]:
        if self._registry is not self.site.registry:
            self._registry = self.site.registry
            self._specs = index_specs(self.site.registry)
            self._tables = {}
        return self._specs

    def tables(self, object_name: str) -> tuple[sa.Table, sa.Table | None]:
        """(index table, id map) of an indexed object (the id map on SQLite only)."""
        self.specs
        if object_name not in self._tables:
            self._tables[object_name] = index_tables(sa.MetaData(), object_name, self.dialect)
        return self._tables[object_name]

    # -- upkeep --------------------------------------------------------------------------

    def write(self, connection: sa.Connection, object_name: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Index (or index again) ``records`` (each with its ``id`` and the indexed fields)."""
        spec = self.specs.get(object_name)
        if spec is None or not records:
            return
        self.remove(connection, object_name, [record["id"] for record in records])
        write_entries(connection, self.tables(object_name), spec, records, self.dialect)

    def touches(self, object_name: str, changed: Iterable[str]) -> bool:
        """Whether a change of ``changed`` fields changes the object's index entries."""
        spec = self.specs.get(object_name)
        return spec is not None and not set(spec.all_fields).isdisjoint(changed)

    def remove(self, connection: sa.Connection, object_name: str, ids: Sequence[str]) -> None:
        if object_name not in self.specs or not ids:
            return
        index, id_map = self.tables(object_name)
        if id_map is None:
            connection.execute(sa.delete(index).where(index.c.record_id.in_(list(ids))))
            return
        rowids = sa.select(id_map.c.rowid).where(id_map.c.record_id.in_(list(ids))).scalar_subquery()
        connection.execute(sa.delete(index).where(index.c.rowid.in_(rowids)))
        connection.execute(sa.delete(id_map).where(id_map.c.record_id.in_(list(ids))))

    def reindex(self, connection: sa.Connection, object_name: str) -> int:
        """Rebuild one object's index from its table; returns how many records were indexed."""
        spec = self.specs[object_name]
        return rebuild(connection, self.site.tables[object_name], self.tables(object_name), spec, self.dialect)

    # -- search --------------------------------------------------------------------------

    def search(
        self,
        connection: sa.Connection,
        reader: RecordReader,
        actor: Actor,
        text: str,
        objects: Sequence[str],
        *,
        limit: int = 5,
    ) -> list[SearchHit]:
        """The best ``limit`` hits of each of ``objects`` (the caller must be allowed to read
        them), ranked within each object, objects in the sequence given."""
        query = t.parse_query(text)
        if query.empty:
            return []
        hits: list[SearchHit] = []
        for object_name in objects:
            spec = self.specs.get(object_name)
            if spec is not None:
                hits += self._search_object(connection, reader, actor, spec, query, limit)
        return hits

    def _search_object(self, connection, reader: RecordReader, actor: Actor, spec: IndexSpec, query: t.SearchQuery, limit: int) -> list[SearchHit]:
        visible = reader.access.readable_fields(actor, spec.object_name)
        readable = [name for name in spec.all_fields if visible is None or name in visible]
        recheck = len(readable) < len(spec.all_fields)
        if not readable:
            return []
        scope, where = reader.scope(actor, spec.object_name, "read")
        base = scope.base
        columns = [base.c.id, *(base.c[name] for name in readable)]
        index, id_map = self.tables(spec.object_name)
        if self.dialect == "sqlite":
            quoted = connection.dialect.identifier_preparer.quote(index.name)
            rank = sa.literal_column(f"bm25({quoted}, {TITLE_WEIGHT}, 1.0)")
            source = index.join(id_map, id_map.c.rowid == index.c.rowid).join(scope.from_clause(), base.c.id == id_map.c.record_id)
            match = sa.literal_column(quoted).op("MATCH")(_fts_match(query))
            ordering = rank.asc()
        else:
            tsquery = sa.cast(_tsquery(query), postgresql.TSQUERY)
            rank = sa.func.ts_rank(index.c.terms, tsquery)
            source = index.join(scope.from_clause(), base.c.id == index.c.record_id)
            match = index.c.terms.op("@@")(tsquery)
            ordering = rank.desc()
        wanted = limit * RECHECK_FACTOR if recheck else limit
        statement = sa.select(*columns, rank.label("rank")).select_from(source).where(match, *where).order_by(ordering, base.c.id).limit(wanted)
        hits = []
        for row in connection.execute(statement):
            values = dict(zip(readable, row[1:-1], strict=True))
            if recheck and not query.matches(values.values()):
                continue  # found through a field this caller may not read
            hits.append(self._hit(spec, query, row[0], values, float(row[-1] or 0)))
            if len(hits) == limit:
                break
        return hits

    @staticmethod
    def _hit(spec: IndexSpec, query: t.SearchQuery, record_id: str, values: dict[str, Any], rank: float) -> SearchHit:
        title = str(values.get(spec.title) or record_id) if spec.title else record_id
        # the first field where the query shows, else the title (a pinyin match shows nowhere)
        snippet = _snippet(title, 0)
        for name in (*spec.fields, spec.title):
            text = values.get(name) if name else None
            position = query.first_position(text) if text else None
            if position is not None:
                snippet = _snippet(text, position)
                break
        return SearchHit(spec.object_name, record_id, title, snippet, rank)


def _snippet(text: str, position: int) -> str:
    """About :data:`SNIPPET_WIDTH` characters of ``text`` around ``position``, on one line."""
    start = max(0, position - SNIPPET_WIDTH // 3)
    piece = " ".join(text[start : start + SNIPPET_WIDTH].split())
    return ("…" if start > 0 else "") + piece + ("…" if start + SNIPPET_WIDTH < len(text) else "")


# --- tables and rebuilding (migrations use these) -----------------------------------------


def index_tables(metadata: sa.MetaData, object_name: str, dialect: str) -> tuple[sa.Table, sa.Table | None]:
    """The Table objects of an object's index (for statements; SQLite's FTS5 table is virtual)."""
    if dialect == "sqlite":
        index = sa.Table(table_name(object_name), metadata, sa.Column("rowid", sa.Integer, primary_key=True), sa.Column("title", sa.Text), sa.Column("body", sa.Text))
        id_map = sa.Table(
            _ids_name(object_name), metadata,
            sa.Column("rowid", sa.Integer, primary_key=True), sa.Column("record_id", sa.String(32), nullable=False, unique=True),
        )
        return index, id_map
    index = sa.Table(
        table_name(object_name), metadata,
        sa.Column("record_id", sa.String(32), primary_key=True),
        sa.Column("terms", postgresql.TSVECTOR, nullable=False),
        sa.Index(f"ix_{table_name(object_name)}_terms", "terms", postgresql_using="gin"),
    )
    return index, None


def write_entries(connection: sa.Connection, tables: tuple[sa.Table, sa.Table | None], spec: IndexSpec, records: Sequence[Mapping[str, Any]], dialect: str) -> None:
    """Insert index entries for records that have none."""
    index, id_map = tables
    rows = []
    for record in records:
        title_terms = t.terms(record.get(spec.title)) if spec.title else []
        body_terms = [term for name in spec.fields for term in t.terms(record.get(name))]
        rows.append((record["id"], title_terms, body_terms))
    if dialect == "sqlite":
        assert id_map is not None
        connection.execute(sa.insert(id_map), [{"record_id": record_id} for record_id, _, _ in rows])
        found = dict(connection.execute(sa.select(id_map.c.record_id, id_map.c.rowid).where(id_map.c.record_id.in_([row[0] for row in rows]))).all())
        connection.execute(
            sa.insert(index),
            [{"rowid": found[record_id], "title": " ".join(title), "body": " ".join(body)} for record_id, title, body in rows],
        )
        return
    # the terms travel as text and are cast: a tsvector literal, never PostgreSQL's own parser
    statement = sa.insert(index).values(record_id=sa.bindparam("entry_id"), terms=sa.cast(sa.bindparam("entry_terms", type_=sa.Text), postgresql.TSVECTOR))
    connection.execute(statement, [{"entry_id": record_id, "entry_terms": _tsvector(title, body)} for record_id, title, body in rows])


def _create(connection: sa.Connection, object_name: str) -> tuple[sa.Table, sa.Table | None]:
    dialect = connection.dialect.name
    metadata = sa.MetaData()
    index, id_map = index_tables(metadata, object_name, dialect)
    if dialect == "sqlite":
        assert id_map is not None
        quoted = connection.dialect.identifier_preparer.quote(index.name)
        # FTS5 splits on the spaces between the terms made in Python; nothing else to decide
        connection.exec_driver_sql(f"CREATE VIRTUAL TABLE {quoted} USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')")
        id_map.create(connection)
    else:
        index.create(connection)
    return index, id_map


def _drop(connection: sa.Connection, object_name: str) -> None:
    preparer = connection.dialect.identifier_preparer
    for name in (table_name(object_name), _ids_name(object_name)):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {preparer.quote(name)}")


def rebuild(connection: sa.Connection, table: sa.Table, tables: tuple[sa.Table, sa.Table | None], spec: IndexSpec, dialect: str) -> int:
    """Empty an object's index and index every row of its table again (deleted ones too, so a
    restore needs no upkeep); returns the number of rows."""
    index, id_map = tables
    connection.execute(sa.delete(index))
    if id_map is not None:
        connection.execute(sa.delete(id_map))
    columns = [table.c.id, *(table.c[name] for name in spec.all_fields)]
    count = 0
    last = None
    while True:  # keyset batches: memory stays flat on a large table
        statement = sa.select(*columns).order_by(table.c.id).limit(BATCH)
        if last is not None:
            statement = statement.where(table.c.id > last)
        rows = [dict(row._mapping) for row in connection.execute(statement)]
        if not rows:
            return count
        write_entries(connection, tables, spec, rows, dialect)
        count += len(rows)
        last = rows[-1]["id"]


def sync_indexes(connection: sa.Connection, registry: Registry, tables: Mapping[str, sa.Table], *, force: Iterable[str] = ()) -> list[str]:
    """Make the index tables match ``registry``: create, drop or rebuild as the indexed fields
    changed (and rebuild ``force``); returns the objects rebuilt. Runs in the caller's transaction."""
    metadata = sa.MetaData()
    state = _state(metadata)
    state.create(connection, checkfirst=True)
    known = dict(connection.execute(sa.select(state.c.object, state.c.signature)).all())
    specs = index_specs(registry)
    forced = set(force)
    rebuilt = []
    for name in sorted(known.keys() - specs.keys()):
        _drop(connection, name)
        connection.execute(sa.delete(state).where(state.c.object == name))
    for name, spec in sorted(specs.items()):
        if known.get(name) == spec.signature and name not in forced:
            continue
        _drop(connection, name)
        created = _create(connection, name)
        rebuild(connection, tables[name], created, spec, connection.dialect.name)
        connection.execute(sa.delete(state).where(state.c.object == name))
        connection.execute(sa.insert(state).values(object=name, signature=spec.signature))
        rebuilt.append(name)
    return rebuilt
