"""Queries against a database: every operator, sorting, keyset pages, selection, expansion, counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from decimal import Decimal

import pytest
from fixtures_records import lab_service, new_user, sample_input

from runtime.errors import QueryError
from runtime.records.context import Actor


@pytest.fixture
def lab(engine):
    service = lab_service(engine)
    actor = new_user(service)
    north = service.create(actor, "lab_site", {"name": "North"})["id"]
    south = service.create(actor, "lab_site", {"name": "South"})["id"]
    rows = [
        sample_input(north, label_text="a", cost="10", collected_on="2026-03-02", hazards=["toxic"], keywords=["冷藏", "x_y"], received_at="2026-03-18T01:00:00Z"),
        sample_input(north, label_text="B", cost="20", collected_on="2026-02-27", hazards=["toxic", "flammable"], status="testing"),
        sample_input(south, label_text="c%", cost=None, collected_on="2026-03-18", kind="tissue", urgent=True, slot="10:00"),
        sample_input(south, label_text="d", cost="20", collected_on="2025-12-31", status="done"),
        sample_input(south, label_text=None, cost="5", collected_on="2026-03-10", keywords=["100%"]),
    ]
    ids = service.bulk_create(actor, "lab_sample", rows)
    # a fixed "now" so relative dates are stable: Wednesday 18 March 2026
    reader = Actor(user_id=actor.user_id, now=dt.datetime(2026, 3, 18, 12, tzinfo=dt.timezone.utc))
    return service, reader, dict(zip("abcde", ids)), north, south


def labels(service, actor, **query):
    page = service.find(actor, "lab_sample", fields=["label_text"], limit=50, **query)
    return sorted((record["label_text"] or "-") for record in page.records)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"cost": {"eq": 20}}, ["B", "d"]),
        ({"cost": {"ne": "20"}}, ["-", "a", "c%"]),  # ne keeps blanks
        ({"cost": {"gt": 5, "lte": "20"}}, ["B", "a", "d"]),
        ({"cost": {"between": [5, 10]}}, ["-", "a"]),
        ({"cost": {"is_null": True}}, ["c%"]),
        ({"status": {"in": ["testing", "done"]}}, ["B", "d"]),
        ({"status": {"not_in": ["received"]}}, ["B", "d"]),
        ({"label_text": {"contains": "%"}}, ["c%"]),  # LIKE wildcards are literal
        ({"label_text": {"contains": "b"}}, ["B"]),  # case-insensitive
        ({"label_text": {"starts_with": "C"}}, ["c%"]),
        ({"label_text": "a"}, ["a"]),
        ({"hazards": {"contains": "toxic"}}, ["B", "a"]),
        ({"hazards": {"contains": "flammable"}}, ["B"]),
        ({"hazards": {"is_null": True}}, ["-", "c%", "d"]),
        ({"keywords": {"contains": "冷藏"}}, ["a"]),
        ({"keywords": {"contains": "100%"}}, ["-"]),
        ({"urgent": True}, ["c%"]),
        ({"collected_on": {"eq": "this_month"}}, ["-", "a", "c%"]),
        ({"collected_on": {"eq": "today"}}, ["c%"]),
        ({"collected_on": {"lt": "this_year"}}, ["d"]),
        ({"collected_on": {"eq": "last_n_days:7"}}, ["c%"]),
        ({"collected_on": {"eq": "last_n_days:9"}}, ["-", "c%"]),
        ({"collected_on": {"ne": "this_month"}}, ["B", "d"]),
        ({"received_at": {"eq": "today"}}, ["a"]),
        ({"collected_on": {"gte": "2026-03-02"}}, ["-", "a", "c%"]),
        ({"slot": {"gt": "09:00"}}, ["c%"]),
        ({"site.name": "South"}, ["-", "c%", "d"]),
        ({"or": [{"site.name": "North"}, {"cost": {"is_null": True}}]}, ["B", "a", "c%"]),
        ({"not": {"site.name": "North"}}, ["-", "c%", "d"]),
        ({"and": [{"kind": "blood"}, {"status": "received"}]}, ["-", "a"]),
        ({"total": {"gte": 10}}, ["B", "a", "d"]),  # a formula field
    ],
)
def test_operators(lab, filter, expected):
    service, actor, *_ = lab
    assert labels(service, actor, filter=filter) == expected


def test_filter_on_references_and_ids(lab):
    service, actor, ids, north, south = lab
    assert labels(service, actor, filter={"site": north}) == ["B", "a"]
    assert labels(service, actor, filter={"id": {"in": [ids["a"], ids["d"]]}}) == ["a", "d"]
    assert labels(service, actor, filter={"instrument": {"is_null": False}}) == []


def test_sorting_by_fields_lookups_and_formulas(lab):
    service, actor, *_ = lab
    page = service.find(actor, "lab_sample", sort=["-cost", "label_text"], fields=["label_text", "cost"])
    present = [r["label_text"] for r in page.records if r["cost"] is not None]
    assert present == ["B", "d", "a", None]
    by_site = service.find(actor, "lab_sample", sort=["-site", "collected_on"], fields=["label_text"])
    assert [r["label_text"] for r in by_site.records] == ["d", None, "c%", "B", "a"]
    by_total = service.find(actor, "lab_sample", sort=["total"], filter={"total": {"is_null": False}}, fields=["label_text", "total"])
    assert [r["total"] for r in by_total.records] == [Decimal("5.00"), Decimal("10.00"), Decimal("20.00"), Decimal("20.00")]


@pytest.mark.parametrize("sort", [["cost"], ["-cost"], ["label_text", "-collected_on"], ["-site.name", "cost"], []])
def test_keyset_pages_visit_every_record_once(lab, sort):
    service, actor, ids, *_ = lab
    seen, cursor, pages = [], None, 0
    full = service.find(actor, "lab_sample", sort=sort, fields=["id"], limit=50).records
    while True:
        page = service.find(actor, "lab_sample", sort=sort, fields=["id"], limit=2, cursor=cursor)
        seen.extend(r["id"] for r in page.records)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [r["id"] for r in full]
    assert sorted(seen) == sorted(ids.values())
    assert pages == 3


@pytest.mark.parametrize(
    ("filter", "sort"),
    [
        ({"cost": {"gte": 5}}, ["-cost"]),  # the filter rules NULLs out: the cursor is a plain range
        ({"cost": {"gte": 5}}, ["cost", "-collected_on"]),
        ({"label_text": {"is_null": False}}, ["-label_text"]),
        ({"or": [{"cost": {"gte": 5}}, {"urgent": True}]}, ["-cost"]),  # NULL costs stay possible
        ({"not": {"cost": {"lt": 6}}}, ["cost"]),
        ({"site": {"is_null": False}}, ["-site", "cost"]),  # sorts by the site's name, not its id
    ],
)
def test_keyset_pages_of_a_filtered_list_match_the_whole_list(lab, filter, sort):
    service, actor, *_ = lab
    full = service.find(actor, "lab_sample", filter=filter, sort=sort, fields=["id"], limit=50).records
    seen, cursor = [], None
    while True:
        page = service.find(actor, "lab_sample", filter=filter, sort=sort, fields=["id"], limit=1, cursor=cursor)
        seen.extend(r["id"] for r in page.records)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [r["id"] for r in full] and len(seen) >= 2


def test_cursors_belong_to_their_query(lab):
    service, actor, *_ = lab
    page = service.find(actor, "lab_sample", sort=["cost"], limit=2)
    with pytest.raises(QueryError) as caught:
        service.find(actor, "lab_sample", sort=["-cost"], limit=2, cursor=page.next_cursor)
    assert caught.value.codes == ["invalid_cursor"]
    for bad in ("garbage", page.next_cursor[:-3] + "AAA", 12):
        with pytest.raises(QueryError):
            service.find(actor, "lab_sample", sort=["cost"], limit=2, cursor=bad)


def test_field_selection_and_expansion(lab):
    service, actor, ids, north, _ = lab
    record = service.get(actor, "lab_sample", ids["a"], fields=["label_text", "site.name", "total"], expand=["site", "owner"])
    assert set(record) == {"id", "version", "label_text", "site.name", "total", "site", "owner"}
    assert record["site"] == {"id": north, "name": "North"}
    assert record["site.name"] == "North"
    assert record["owner"]["name"] == "Ann"
    with pytest.raises(QueryError) as caught:
        service.get(actor, "lab_sample", ids["a"], fields=["nope"], expand=["label_text"])
    assert [(e.field, e.code) for e in caught.value.errors] == [("nope", "unknown_field"), ("label_text", "not_expandable")]


def test_counts_are_capped(lab):
    service, actor, *_ = lab
    assert service.count(actor, "lab_sample") == service.count(actor, "lab_sample", cap=5)
    count = service.count(actor, "lab_sample", filter={"kind": "blood"}, cap=2)
    assert (count.value, count.capped) == (2, True)
    count = service.count(actor, "lab_sample", filter={"kind": "blood"})
    assert (count.value, count.capped) == (4, False)


def test_recycle_bin_state(lab):
    service, actor, ids, *_ = lab
    service.delete(actor, "lab_sample", ids["a"])
    assert "a" not in labels(service, actor)
    assert labels(service, actor, state="deleted") == ["a"]
    assert len(labels(service, actor, state="any")) == 5


@pytest.mark.parametrize("limit", [0, 1001, "5", None])
def test_page_size_is_checked(lab, limit):
    service, actor, *_ = lab
    with pytest.raises(QueryError) as caught:
        service.find(actor, "lab_sample", limit=limit)
    assert caught.value.codes == ["invalid_limit"]


def test_queries_on_unknown_objects_are_refused(lab):
    service, actor, *_ = lab
    with pytest.raises(Exception) as caught:
        service.find(actor, "no_such_object")
    assert caught.value.codes == ["not_found"]


def test_a_polymorphic_lookup_names_a_target_whose_name_field_is_a_formula(engine, tmp_path):
    import shutil

    from metadata.registry import SYSTEM_PACKAGE
    from runtime.records import SYSTEM, RecordService
    from runtime.site import init_site

    zoo = Path(shutil.copytree(Path(__file__).parent / "fixtures" / "zoo", tmp_path / "zoo"))
    enclosure = zoo / "objects" / "zoo_enclosure.yaml"
    enclosure.write_text(
        enclosure.read_text(encoding="utf-8").replace("fields:\n", "name_field: title\nfields:\n")
        + "  - {api_name: mascot, type: lookup, to: zoo_animal, label: {en: Mascot}}\n"
        + '  - {api_name: title, type: formula, return_type: text, expression: \'name & " (" & mascot.name & ")"\', label: {en: Title}}\n',
        encoding="utf-8",
    )
    service = RecordService(init_site(engine, [SYSTEM_PACKAGE, zoo]))
    try:
        rex = service.create(SYSTEM, "zoo_animal", {"name": "Rex"})["id"]
        pen = service.create(SYSTEM, "zoo_enclosure", {"name": "North pen", "mascot": rex})["id"]
        service.create(SYSTEM, "zoo_meal", {"name": "seen by a pen", "animal": rex, "visitor": pen})
        service.create(SYSTEM, "zoo_meal", {"name": "seen by Rex", "animal": rex, "visitor": rex})
        page = service.find(SYSTEM, "zoo_meal", fields=["name"], expand=["visitor"], sort=["name"])
        assert {record["name"]: record["visitor"] for record in page.records} == {
            "seen by a pen": {"id": pen, "name": "North pen (Rex)", "object": "zoo_enclosure"},
            "seen by Rex": {"id": rex, "name": "Rex", "object": "zoo_animal"},
        }
    finally:
        service.site.dispose()
