"""Sorting and keyset pagination: sort keys, the opaque page cursor, and the "after" condition.

Pages are cut by keyset, never by OFFSET: the cursor holds the sort values and id of the last
record shown, and the next page asks for what sorts after them. The id is always the last sort
key, so the order is total and no record is skipped or shown twice when rows arrive in between.
NULLs sort where the database puts them natively (first in ascending order on SQLite, last on
PostgreSQL), so an index on the sort column still serves the query; the "after" condition
follows the same rule.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from runtime.query import filters as f
from runtime.query.compiler import literal_for_kind
from runtime.records import coercion as c
from runtime.records import model as m
from runtime.errors import FieldError, QueryError
from runtime.records.messages import field_error

UNSORTABLE = frozenset({m.CHOICES, m.JSON_LIST, m.GEOLOCATION})


@dataclass(frozen=True)
class SortKey:
    """One sort key: a checked path and a direction."""

    path: f.FieldPath
    descending: bool


def parse_sort(models: m.ObjectModels, object_name: str, sort: Sequence[str] | str | None) -> list[SortKey]:
    """Sort keys from ``["-amount", "parent.name"]`` (a reference sorts by its record's name)."""
    if sort is None:
        return []
    items = [sort] if isinstance(sort, str) else list(sort)
    errors: list[FieldError] = []
    keys = []
    for item in items:
        if not isinstance(item, str) or not item.lstrip("-"):
            errors.append(field_error(None, "invalid_sort", detail=f"a sort key is a field name, got {item!r}"))
            continue
        descending = item.startswith("-")
        text = item[1:] if descending else item
        path = f.resolve_path(models, object_name, text, errors, code="invalid_sort")
        if path is None:
            continue
        leaf = path.leaf
        if leaf.kind == m.REFERENCE and len(leaf.targets) == 1 and leaf.targets[0] in models and len(path.specs) <= f.MAX_PATH_HOPS:
            target = models.get(leaf.targets[0])
            name_spec = target.fields.get(target.name_field)
            if name_spec is not None:
                path = f.FieldPath(text, path.specs + (name_spec,), path.objects + (target.name,))
        if path.leaf.kind in UNSORTABLE:
            errors.append(field_error(text, "not_sortable"))
            continue
        keys.append(SortKey(path, descending))
    if errors:
        raise QueryError(errors, object_name=object_name)
    return keys


# --- cursors ----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, (Decimal, dt.date, dt.datetime, dt.time)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def fingerprint(*parts: Any) -> str:
    """A short digest of what a cursor belongs to (object, filter, sort), so it is not reused elsewhere."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_cursor(query: str, values: Sequence[Any], last_id: str) -> str:
    """The opaque cursor after a record with sort ``values`` and id ``last_id``."""
    payload = json.dumps({"q": query, "v": [_plain(value) for value in values], "id": last_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: Any, query: str, kinds: Sequence[str], object_name: str) -> tuple[list[Any], str]:
    """The sort values and id a cursor holds; QueryError if it is malformed or from another query."""
    try:
        if not isinstance(token, str) or len(token) > 4096:
            raise ValueError("not a cursor")
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if payload["q"] != query or len(payload["v"]) != len(kinds) or not isinstance(payload["id"], str):
            raise ValueError("another query")
        values = [_checked(kind, literal_for_kind(kind, value)) for kind, value in zip(kinds, payload["v"], strict=True)]
        return values, payload["id"]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, c.Invalid):
        raise QueryError([field_error(None, "invalid_cursor")], object_name=object_name) from None


_CURSOR_CHECKS = {
    m.INTEGER: c.integer_coercer(None, None),
    m.DECIMAL: c.to_decimal,
    m.DATETIME: c.coerce_datetime,
    m.TEXT: c.check_text,
    m.CHOICE: c.check_text,
    m.REFERENCE: c.check_text,
    m.ID: c.check_text,
}


def _checked(kind: str, value: Any) -> Any:
    """A cursor value the database can bind: a cursor is the caller's text, so a forged one gets the
    checks a filter value gets (64-bit integers, finite decimals, moments in range, storable text)."""
    check = _CURSOR_CHECKS.get(kind)
    return value if value is None or check is None else check(value)


#: operators whose condition is false for NULL: a field filtered with one is never NULL in the result
NULL_REJECTING_OPS = frozenset({"eq", "lt", "lte", "gt", "gte", "in", "between", "contains", "starts_with", "range"})


def never_null(node: f.Filter | None) -> frozenset[tuple[str, int]]:
    """The paths a filter requires to be non-NULL (conditions ANDed at its top level), as
    (text, hops): a sort by reference ``site`` reads ``site.name``, which a filter on ``site`` does not cover."""
    if node is None:
        return frozenset()
    if isinstance(node, f.Condition):
        rejects = node.op in NULL_REJECTING_OPS or (node.op == "is_null" and not node.value)
        return frozenset({(node.path.text, len(node.path.specs))}) if rejects else frozenset()
    if isinstance(node, f.All):
        return frozenset().union(*(never_null(child) for child in node.children))
    return frozenset()


def after(
    expressions: Sequence[sa.ColumnElement],
    descending: Sequence[bool],
    values: Sequence[Any],
    *,
    nulls_smallest: bool,
    non_null: Sequence[bool] | None = None,
) -> sa.ColumnElement[bool]:
    """Rows strictly after ``values`` in the order (expressions, directions), with native NULL ordering.

    ``non_null`` marks expressions that cannot be NULL in the result (the filter rejects NULLs);
    the last expression is the id, never NULL. Where the first expression's NULLs cannot come
    after its value, the condition starts with a plain range on it (``amount <= v AND (…)``),
    which lets the database walk an index in sort sequence and stop after one page, instead of
    collecting every row after the cursor and sorting them.
    """
    flags = list(non_null) if non_null is not None else [False] * len(expressions)
    flags[-1] = True
    branches = []
    equal_so_far: list[sa.ColumnElement[bool]] = []
    for expression, desc, value, not_null in zip(expressions, descending, values, flags, strict=True):
        # NULLs come after every value when they are the largest and the order ascends, or the
        # smallest and it descends.
        nulls_after_values = nulls_smallest == desc and not not_null
        if value is None:
            beyond = expression.is_not(None) if not nulls_after_values else sa.false()
            same = expression.is_(None)
        else:
            beyond = expression < value if desc else expression > value
            if nulls_after_values:
                beyond = sa.or_(beyond, expression.is_(None))
            same = expression == value
        branches.append(sa.and_(*equal_so_far, beyond) if equal_so_far else beyond)
        equal_so_far.append(same)
    condition = sa.or_(*branches)
    first_value, first_desc = values[0], descending[0]
    first_nulls_after = nulls_smallest == first_desc and not flags[0]
    if len(expressions) > 1 and first_value is not None and not first_nulls_after:
        bound = expressions[0] <= first_value if first_desc else expressions[0] >= first_value
        condition = sa.and_(bound, condition)
    return condition
