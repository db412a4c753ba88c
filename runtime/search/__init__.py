"""Search: an index per searchable object (FTS5 on SQLite, tsvector on PostgreSQL), CJK as pairs.

See :mod:`runtime.search.index` for the storage and the security of results and
:mod:`runtime.search.terms` for what a word is; docs/analytics.md for the API.
"""

from runtime.search.index import IndexSpec, SearchHit, SearchIndex, index_specs, sync_indexes
from runtime.search.terms import SearchQuery, parse_query

__all__ = ["IndexSpec", "SearchHit", "SearchIndex", "SearchQuery", "index_specs", "parse_query", "sync_indexes"]
