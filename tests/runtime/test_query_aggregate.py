"""The aggregation path: groupings, date buckets, measures, totals, limits and refusals, on the zoo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from runtime.errors import AggregateError, QueryError
from runtime.query.aggregate import Aggregator
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService

NOW = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.timezone.utc)
ACTOR = Actor(system=True, now=NOW)

ANIMALS = [  # name, diet, legs, weight, born_on, enclosure
    ("a1", "herbivore", 4, "0.10", dt.date(2026, 1, 15), "north"),
    ("a2", "herbivore", 4, "0.20", dt.date(2026, 3, 31), "north"),
    ("a3", "carnivore", 2, "120.55", dt.date(2026, 4, 1), "south"),
    ("a4", "carnivore", 4, "99.99", dt.date(2025, 12, 31), None),
    ("a5", None, None, None, None, "south"),
    ("a6", "herbivore", 0, "0.05", dt.date(2026, 5, 18), "south"),
]


@pytest.fixture
def zoo(site):
    records = RecordService(site)
    enclosures = {name: records.create(SYSTEM, "zoo_enclosure", {"name": name, "capacity": 10})["id"] for name in ("north", "south")}
    for name, diet, legs, weight, born, enclosure in ANIMALS:
        records.create(
            SYSTEM,
            "zoo_animal",
            {"name": name, "diet": diet, "legs": legs, "weight": weight, "born_on": born.isoformat() if born else None, "enclosure": enclosures.get(enclosure)},
        )
    return records


def run(records, spec, *, fiscal_year_start=1, actor=ACTOR):
    aggregator = Aggregator(records.reader, fiscal_year_start=fiscal_year_start)
    with records.site.engine.connect() as connection:
        return aggregator.run(connection, actor, aggregator.parse(actor, "zoo_animal", spec))


def test_groups_measure_in_order_and_totals_cover_every_record(zoo):
    result = zoo.aggregate(
        ACTOR,
        "zoo_animal",
        {
            "group_by": ["diet"],
            "measures": [
                {"fn": "sum", "field": "weight"}, {"fn": "count"}, {"fn": "avg", "field": "legs"},
                {"fn": "min", "field": "born_on"}, {"fn": "max", "field": "weight"}, {"fn": "count_distinct", "field": "legs"},
            ],
        },
    )
    assert [(row.group, row.values) for row in result.rows] == [
        ({"diet": "carnivore"}, [Decimal("220.54"), 2, Decimal("3.00"), dt.date(2025, 12, 31), Decimal("120.55"), 2]),
        ({"diet": "herbivore"}, [Decimal("0.35"), 3, Decimal("2.67"), dt.date(2026, 1, 15), Decimal("0.20"), 2]),
        ({"diet": None}, [Decimal("0.00"), 1, None, None, None, 0]),  # no value groups last
    ]
    assert result.totals == [Decimal("220.89"), 6, Decimal("2.80"), dt.date(2025, 12, 31), Decimal("120.55"), 3]
    assert not result.truncated


def test_sums_are_exact_where_decimals_are_stored_as_floats(zoo):
    # 0.10 + 0.20 + 0.05 is 0.35000000000000003 in binary floating point
    result = run(zoo, {"measures": [{"fn": "sum", "field": "weight"}], "filter": {"diet": "herbivore"}})
    assert result.totals == [Decimal("0.35")] and str(result.totals[0]) == "0.35"


@pytest.mark.parametrize(
    ("bucket", "fiscal", "expected"),
    [
        ("year", 1, {dt.date(2025, 1, 1): 1, dt.date(2026, 1, 1): 4}),
        # a fiscal year from April: 2026-01-15 and 2026-03-31 belong to the year that began 2025-04
        ("year", 4, {dt.date(2025, 4, 1): 3, dt.date(2026, 4, 1): 2}),
        ("quarter", 1, {dt.date(2025, 10, 1): 1, dt.date(2026, 1, 1): 2, dt.date(2026, 4, 1): 2}),
        ("quarter", 2, {dt.date(2025, 11, 1): 2, dt.date(2026, 2, 1): 2, dt.date(2026, 5, 1): 1}),
        ("month", 4, {dt.date(2025, 12, 1): 1, dt.date(2026, 1, 1): 1, dt.date(2026, 3, 1): 1, dt.date(2026, 4, 1): 1, dt.date(2026, 5, 1): 1}),
        ("week", 1, {dt.date(2025, 12, 29): 1, dt.date(2026, 1, 12): 1, dt.date(2026, 3, 30): 2, dt.date(2026, 5, 18): 1}),
        ("day", 1, {dt.date(2025, 12, 31): 1, dt.date(2026, 1, 15): 1, dt.date(2026, 3, 31): 1, dt.date(2026, 4, 1): 1, dt.date(2026, 5, 18): 1}),
    ],
)
def test_date_buckets_start_where_the_fiscal_year_does(zoo, bucket, fiscal, expected):
    result = run(zoo, {"group_by": [f"born_on:{bucket}"], "filter": {"born_on": {"is_null": False}}}, fiscal_year_start=fiscal)
    assert {row.group[f"born_on:{bucket}"]: row.values[0] for row in result.rows} == expected


def test_datetime_buckets_are_days_of_the_callers_time_zone(site):
    records = RecordService(site)
    # 23:30 UTC on 1 March is already 2 March in Shanghai
    records.create(SYSTEM, "zoo_animal", {"name": "late", "checked_at": "2026-03-01T23:30:00Z"})
    spec = {"group_by": [{"field": "checked_at", "bucket": "day"}], "filter": {"checked_at": {"is_null": False}}}
    utc = run(records, spec)
    shanghai = run(records, spec, actor=Actor(system=True, time_zone="Asia/Shanghai", now=NOW))
    assert [row.group["checked_at:day"] for row in utc.rows] == [dt.date(2026, 3, 1)]
    assert [row.group["checked_at:day"] for row in shanghai.rows] == [dt.date(2026, 3, 2)]


def test_paths_through_references_pivots_and_sorting_by_a_measure(zoo):
    result = run(zoo, {"group_by": ["enclosure.name"], "pivot": "diet", "measures": [{"fn": "count"}], "sort": ["-measure:0"]})
    # the largest group first, then the others by their keys (no value last)
    assert [(row.group["enclosure.name"], row.group["diet"], row.values) for row in result.rows] == [
        ("north", "herbivore", [2]),
        ("south", "carnivore", [1]),
        ("south", "herbivore", [1]),
        ("south", None, [1]),
        (None, "carnivore", [1]),
    ]
    assert [(row.group, row.values) for row in result.row_totals] == [({"enclosure.name": "south"}, [3]), ({"enclosure.name": "north"}, [2]), ({"enclosure.name": None}, [1])]
    assert {row.group["diet"]: row.values[0] for row in result.column_totals} == {"herbivore": 3, "carnivore": 2, None: 1}
    assert result.totals == [6]


def test_relative_date_filters_and_the_row_limit(zoo):
    recent = run(zoo, {"measures": [{"fn": "count"}], "filter": {"born_on": {"eq": "last_n_days:7"}}})
    assert recent.totals == [1]  # a6, born 2026-05-18
    quarter = run(zoo, {"measures": [{"fn": "count"}], "filter": {"born_on": {"eq": "this_quarter"}}})
    assert quarter.totals == [2]  # a3 and a6 (April–June)
    limited = run(zoo, {"group_by": ["name"], "limit": 2})
    assert limited.truncated and len(limited.rows) == 2 and limited.totals == [6]


def test_formula_fields_group_through_their_sql(zoo):
    result = run(zoo, {"group_by": ["heavy"], "measures": [{"fn": "count"}]})
    # a blank weight is not over 100: the formula is false there, as the record shows it
    assert [(row.group["heavy"], row.values[0]) for row in result.rows] == [(False, 5), (True, 1)]


@pytest.mark.parametrize(
    ("spec", "field", "code"),
    [
        ({"measures": [{"fn": "sum", "field": "name"}]}, "name", "not_aggregatable"),
        ({"measures": [{"fn": "avg", "field": "born_on"}]}, "born_on", "not_aggregatable"),
        ({"measures": [{"fn": "max", "field": "diet"}]}, "diet", "not_aggregatable"),
        ({"group_by": ["notes"]}, "notes", "not_groupable"),
        ({"group_by": ["habitats"]}, "habitats", "not_groupable"),
        ({"group_by": ["location"]}, "location", "not_groupable"),
        ({"group_by": ["legs:month"]}, "legs:month", "not_groupable"),
        ({"group_by": ["born_on:fortnight"]}, "born_on:fortnight", "invalid_aggregate"),
        ({"group_by": ["diet", "legs", "name", "born_on"]}, "group_by", "invalid_aggregate"),
        ({"group_by": ["no_such"]}, "no_such", "unknown_field"),
        ({"measures": [{"fn": "median", "field": "legs"}]}, "measures[0]", "invalid_aggregate"),
        ({"measures": [{"fn": "sum"}]}, "measures[0]", "invalid_aggregate"),
        ({"measures": []}, "measures", "invalid_aggregate"),
        ({"limit": 0}, "limit", "invalid_aggregate"),
        ({"limit": True}, "limit", "invalid_aggregate"),
        ({"group_by": ["diet"], "sort": ["legs"]}, "sort", "invalid_aggregate"),
        ({"pivot": ["diet", "legs"]}, "pivot", "invalid_aggregate"),
        ({"colour": "red"}, None, "invalid_aggregate"),
        ("count everything", None, "invalid_aggregate"),
    ],
)
def test_what_does_not_fit_is_refused_naming_the_field(zoo, spec, field, code):
    with pytest.raises(AggregateError) as raised:
        run(zoo, spec)
    assert (raised.value.errors[0].field, raised.value.errors[0].code) == (field, code)


def test_a_bad_filter_is_the_list_s_query_error(zoo):
    with pytest.raises(QueryError) as raised:
        run(zoo, {"filter": {"legs": {"contains": "x"}}})
    assert not isinstance(raised.value, AggregateError)
    assert raised.value.errors[0].field == "legs"


def test_the_fiscal_year_start_is_a_month():
    with pytest.raises(ValueError):
        Aggregator(None, fiscal_year_start=13)  # type: ignore[arg-type]
