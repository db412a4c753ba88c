"""The filter language checked without a database: typed trees, relative dates, clear errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fixtures_records import LAB_PACKAGE

from metadata.registry import SYSTEM_PACKAGE, load_registry
from runtime.errors import QueryError
from runtime.query import filters as f
from runtime.query.dates import resolve_relative
from runtime.query.sorting import parse_sort
from runtime.records.model import ObjectModels

TODAY = dt.date(2026, 3, 18)  # a Wednesday
UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def models():
    return ObjectModels(load_registry([SYSTEM_PACKAGE, LAB_PACKAGE]))


def parse(models, tree, zone=UTC):
    return f.parse_filter(models, "lab_sample", tree, today=TODAY, zone=zone)


def test_a_tree_becomes_typed_conditions(models):
    node = parse(models, {"and": [{"cost": {"gte": "10.5", "lt": 20}}, {"or": [{"status": "done"}, {"not": {"kind": {"in": ["blood"]}}}]}]})
    assert isinstance(node, f.All)
    conditions = list(f.walk(node))
    assert [(c.path.text, c.op, c.value) for c in conditions] == [
        ("cost", "gte", Decimal("10.5")),
        ("cost", "lt", Decimal(20)),
        ("status", "eq", "done"),
        ("kind", "in", ("blood",)),
    ]


def test_paths_follow_references(models):
    node = parse(models, {"site.name": {"starts_with": "No"}, "site.owner.name": {"is_null": False}})
    paths = [c.path for c in f.walk(node)]
    assert [p.objects for p in paths] == [("lab_sample", "lab_site"), ("lab_sample", "lab_site", "user")]
    assert paths[1].leaf.name == "name"


def test_empty_filters_mean_everything(models):
    assert parse(models, None) is None
    assert parse(models, {}) is None


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        ({"nope": 1}, [("nope", "unknown_field")]),
        ({"site.nope": 1}, [("site.nope", "unknown_field")]),
        ({"label_text.name": 1}, [("label_text.name", "invalid_filter")]),
        ({"cost": {"like": 1}}, [("cost", "unknown_operator")]),
        ({"cost": {"contains": "1"}}, [("cost", "operator_not_allowed")]),
        ({"hazards": {"eq": "toxic"}}, [("hazards", "operator_not_allowed")]),
        ({"status": {"eq": "lost"}}, [("status", "invalid_choice")]),
        ({"cost": "ten"}, [("cost", "invalid_type")]),
        ({"collected_on": {"eq": "this_fortnight"}}, [("collected_on", "invalid_relative_date")]),
        ({"collected_on": {"between": ["2026-01-01"]}}, [("collected_on", "invalid_filter")]),
        ({"status": {"in": []}}, [("status", "invalid_filter")]),
        ({"status": {"eq": None}}, [("status", "invalid_filter")]),
        ({"status": {"is_null": "yes"}}, [("status", "invalid_filter")]),
        ({"and": {}}, [(None, "invalid_filter")]),
        ([1, 2], [(None, "invalid_filter")]),
        ({"nope": 1, "cost": {"xx": 2}, "or": [{"bad": 1}]}, [("nope", "unknown_field"), ("cost", "unknown_operator"), ("bad", "unknown_field")]),
    ],
)
def test_bad_filters_name_the_field_and_operator(models, tree, expected):
    with pytest.raises(QueryError) as caught:
        parse(models, tree)
    assert [(e.field, e.code) for e in caught.value.errors] == expected
    assert all(e.message_en and e.message_zh for e in caught.value.errors)


def test_error_messages_name_the_allowed_operators(models):
    with pytest.raises(QueryError) as caught:
        parse(models, {"urgent": {"gt": True}})
    assert caught.value.errors[0].message_en == (
        "Operator 'gt' does not apply to a checkbox field; use one of eq, ne, is_null."
    )


def test_limits_on_size_and_depth(models):
    deep: dict = {"status": "done"}
    for _ in range(f.MAX_DEPTH + 1):
        deep = {"not": deep}
    with pytest.raises(QueryError):
        parse(models, deep)
    with pytest.raises(QueryError):
        parse(models, {"status": {"in": ["done"] * (f.MAX_IN_VALUES + 1)}})


@pytest.mark.parametrize(
    ("token", "start", "end"),
    [
        ("today", dt.date(2026, 3, 18), dt.date(2026, 3, 19)),
        ("yesterday", dt.date(2026, 3, 17), dt.date(2026, 3, 18)),
        ("tomorrow", dt.date(2026, 3, 19), dt.date(2026, 3, 20)),
        ("this_week", dt.date(2026, 3, 16), dt.date(2026, 3, 23)),
        ("last_week", dt.date(2026, 3, 9), dt.date(2026, 3, 16)),
        ("this_month", dt.date(2026, 3, 1), dt.date(2026, 4, 1)),
        ("last_month", dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        ("next_month", dt.date(2026, 4, 1), dt.date(2026, 5, 1)),
        ("this_quarter", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
        ("next_quarter", dt.date(2026, 4, 1), dt.date(2026, 7, 1)),
        ("last_year", dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
        ("last_n_days:7", dt.date(2026, 3, 12), dt.date(2026, 3, 19)),
        ("next_n_days:3", dt.date(2026, 3, 19), dt.date(2026, 3, 22)),
        ("last_n_months:2", dt.date(2026, 2, 1), dt.date(2026, 4, 1)),
    ],
)
def test_relative_dates(token, start, end):
    assert resolve_relative(token, TODAY) == (start, end)


def test_relative_dates_become_ranges_in_the_users_time_zone(models):
    node = parse(models, {"collected_on": {"eq": "this_month"}})
    assert (node.op, node.value) == ("range", (dt.date(2026, 3, 1), dt.date(2026, 4, 1)))
    node = parse(models, {"collected_on": {"lt": "this_month"}})
    assert (node.op, node.value) == ("range", (None, dt.date(2026, 3, 1)))
    node = parse(models, {"collected_on": {"ne": "today"}})
    assert node.op == "outside"
    node = parse(models, {"received_at": {"eq": "today"}}, zone=ZoneInfo("Asia/Shanghai"))
    assert node.value == (dt.datetime(2026, 3, 17, 16, tzinfo=dt.timezone.utc), dt.datetime(2026, 3, 18, 16, tzinfo=dt.timezone.utc))


def test_sort_keys(models):
    keys = parse_sort(models, "lab_sample", ["-cost", "site", "site.budget"])
    assert [(k.path.text, k.path.leaf.name, k.descending) for k in keys] == [
        ("cost", "cost", True),
        ("site", "name", False),  # a reference sorts by the referenced record's name
        ("site.budget", "budget", False),
    ]
    with pytest.raises(QueryError) as caught:
        parse_sort(models, "lab_sample", ["hazards", "nope", 3])
    assert [(e.field, e.code) for e in caught.value.errors] == [("hazards", "not_sortable"), ("nope", "unknown_field"), (None, "invalid_sort")]


def test_a_malformed_sort_key_has_a_code_of_its_own(models):
    for sort in (["-"], ["label_text.site"], ["site.site.site.site.name"]):
        with pytest.raises(QueryError) as caught:
            parse_sort(models, "lab_sample", sort)
        assert caught.value.codes == ["invalid_sort"], sort


@pytest.mark.parametrize(
    ("kind", "value"),
    [("integer", 2**64), ("decimal", "NaN"), ("datetime", "0001-01-01T00:00:00+05:00"), ("text", "\ud800"), ("text", "a\x00")],
)
def test_a_forged_cursor_value_the_database_cannot_bind_is_an_invalid_cursor(kind, value):
    """A cursor is the caller's text: a value past what the column binds used to reach the driver."""
    from runtime.query.sorting import decode_cursor, encode_cursor

    token = encode_cursor("q", [value], "01abc")
    with pytest.raises(QueryError) as caught:
        decode_cursor(token, "q", [kind], "lab_sample")
    assert caught.value.codes == ["invalid_cursor"]
    assert decode_cursor(encode_cursor("q", [None], "01abc"), "q", [kind], "lab_sample") == ([None], "01abc")
