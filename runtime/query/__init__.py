"""Queries over records: the filter language, sorting, keyset pages, field selection, counts.

Everything reads through :meth:`RecordReader.scope`, the one base SELECT where the security
predicate plugs in (:class:`AccessPolicy`). See docs/runtime.md (Queries) for the language.
"""

from runtime.query.access import AccessPolicy, AllowAll
from runtime.query.dates import RELATIVE_DATES
from runtime.query.filters import ALL_OPERATORS, OPERATORS, parse_filter
from runtime.query.reader import Count, Page, RecordReader

__all__ = [
    "ALL_OPERATORS",
    "OPERATORS",
    "RELATIVE_DATES",
    "AccessPolicy",
    "AllowAll",
    "Count",
    "Page",
    "RecordReader",
    "parse_filter",
]
