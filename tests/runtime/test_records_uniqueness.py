"""Unique groups in the record pipeline: clashes are structured errors naming the group's fields."""

from __future__ import annotations

import pytest

import runtime.records.uniqueness as uniqueness
from runtime.errors import BulkRecordError, RecordValidationError
from runtime.migrations import apply_plan, diff
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService


@pytest.fixture
def service(site, changed):
    def group(objects, zoo):
        objects["zoo_animal"]["unique"] = [["name", "enclosure"]]

    apply_plan(site, diff(site.registry, changed(site.registry, group)))
    return RecordService(site)


@pytest.fixture
def pens(service):
    return [service.create(SYSTEM, "zoo_enclosure", {"name": name})["id"] for name in ("North", "South")]


def _codes(error) -> list[tuple]:
    return [(item.field, item.code, item.message_en) for item in error.errors]


CLASH = [
    ("name", "duplicate_combination", "Another record already has these values of name, enclosure together."),
    ("enclosure", "duplicate_combination", "Another record already has these values of name, enclosure together."),
]


def test_create_refuses_a_repeated_combination(service, pens):
    service.create(SYSTEM, "zoo_animal", {"name": "Rex", "enclosure": pens[0]})
    service.create(SYSTEM, "zoo_animal", {"name": "Rex", "enclosure": pens[1]})  # another pen: fine
    service.create(SYSTEM, "zoo_animal", {"name": "Rex"})  # a blank field: not held
    service.create(SYSTEM, "zoo_animal", {"name": "Rex"})
    with pytest.raises(RecordValidationError) as caught:
        service.create(SYSTEM, "zoo_animal", {"name": "Rex", "enclosure": pens[0]})
    assert _codes(caught.value) == CLASH


def test_update_refuses_moving_onto_a_taken_combination(service, pens):
    service.create(SYSTEM, "zoo_animal", {"name": "Rex", "enclosure": pens[0]})
    other = service.create(SYSTEM, "zoo_animal", {"name": "Rex", "enclosure": pens[1]})
    with pytest.raises(RecordValidationError) as caught:
        service.update(SYSTEM, "zoo_animal", other["id"], {"enclosure": pens[0]})
    assert _codes(caught.value) == CLASH
    # saving the record with its own values again is no clash
    assert service.update(SYSTEM, "zoo_animal", other["id"], {"name": "Rex", "legs": 4})["legs"] == 4


def test_bulk_create_reports_clashes_within_the_input_by_row(service, pens):
    rows = [{"name": "Rex", "enclosure": pens[0]}, {"name": "Tweety", "enclosure": pens[0]}, {"name": "Rex", "enclosure": pens[0]}]
    with pytest.raises(BulkRecordError) as caught:
        service.bulk_create(SYSTEM, "zoo_animal", rows)
    assert list(caught.value.failures) == [2]
    assert [(item.field, item.code) for item in caught.value.failures[2]] == [(field, code) for field, code, _ in CLASH]
    assert service.count(SYSTEM, "zoo_animal").value == 0


def test_a_race_past_the_check_is_caught_by_the_index(service, pens, monkeypatch):
    service.create(SYSTEM, "zoo_animal", {"name": "Rex", "enclosure": pens[0]})
    monkeypatch.setattr(uniqueness, "group_errors", lambda *args, **kwargs: {})  # as if another writer got in between
    with pytest.raises(RecordValidationError) as caught:
        service.create(SYSTEM, "zoo_animal", {"name": "Rex", "enclosure": pens[0]})
    assert _codes(caught.value) == CLASH
    assert caught.value.object_name == "zoo_animal"
