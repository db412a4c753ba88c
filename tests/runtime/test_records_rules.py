"""Rules newer than the data: a record that breaks a rule added or tightened since it was saved
stays editable in the fields the rule does not read, and must satisfy the rule once it touches them."""

from __future__ import annotations

import pytest

from runtime.errors import RecordValidationError
from runtime.migrations import apply_plan, check_plan, diff
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService

WALKERS = {
    "api_name": "walkers_have_nicknames",
    "condition": "legs > 2 && ISBLANK(nickname)",
    "message": {"en": "Animals with more than two legs need a nickname."},
    "field": "nickname",
}


def _upgrade(site, changed, change):
    plan = diff(site.registry, changed(site.registry, change))
    found = check_plan(site, plan)
    assert apply_plan(site, plan) == found
    return plan, found


@pytest.fixture
def service(site):
    return RecordService(site)


@pytest.fixture
def animals(service):
    return {
        name: service.create(SYSTEM, "zoo_animal", {"name": name, "legs": legs, "nickname": nickname})["id"]
        for name, legs, nickname in [("Rex", 4, None), ("Tweety", 2, None), ("Bello", 4, "B"), ("Spot", 4, None)]
    }


def _codes(caught) -> list[tuple]:
    return [(error.field, error.code) for error in caught.value.errors]


def test_the_plan_counts_the_records_a_new_rule_finds_broken(site, service, animals, changed):
    service.delete(SYSTEM, "zoo_animal", animals["Spot"])  # the recycle bin is not counted

    def add_rule(objects, zoo):
        objects["zoo_animal"]["validation_rules"] = [WALKERS]

    plan, found = _upgrade(site, changed, add_rule)
    assert "count the records that break validation rule zoo_animal.walkers_have_nicknames" in str(plan)
    assert found == [
        "validation rule zoo_animal.walkers_have_nicknames: 1 existing record breaks it; "
        "they stay editable in the fields it does not read, and must satisfy it when those change"
    ]

    def tighten(objects, zoo):
        objects["zoo_animal"]["validation_rules"][0]["condition"] = "legs > 1 && ISBLANK(nickname)"

    assert _upgrade(site, changed, tighten)[1][0].startswith("validation rule zoo_animal.walkers_have_nicknames: 2 existing records break it")

    def relabel(objects, zoo):
        objects["zoo_animal"]["validation_rules"][0]["message"] = {"en": "Name it."}

    assert _upgrade(site, changed, relabel)[1] == []  # the condition did not change: nothing to count


def test_a_record_breaking_a_newer_rule_stays_editable_elsewhere(site, service, animals, changed):
    def add_rule(objects, zoo):
        objects["zoo_animal"]["validation_rules"] = [WALKERS]

    _upgrade(site, changed, add_rule)
    rex = animals["Rex"]
    assert service.update(SYSTEM, "zoo_animal", rex, {"weight": "80"})["weight"] == 80  # the rule reads neither
    with pytest.raises(RecordValidationError) as caught:
        service.update(SYSTEM, "zoo_animal", rex, {"legs": 6})  # touches the rule: it must hold now
    assert _codes(caught) == [("nickname", "validation_rule")]
    assert service.update(SYSTEM, "zoo_animal", rex, {"nickname": "R", "legs": 6})["legs"] == 6
    with pytest.raises(RecordValidationError):  # new records meet every rule
        service.create(SYSTEM, "zoo_animal", {"name": "Leo", "legs": 4})


def test_a_rule_read_through_a_formula_field_counts_that_field_s_inputs(site, service, animals, changed):
    def add_rule(objects, zoo):
        objects["zoo_animal"]["validation_rules"] = [
            {"api_name": "heavy_needs_nickname", "condition": "heavy && ISBLANK(nickname)", "message": {"en": "Name heavy animals."}}
        ]

    service.update(SYSTEM, "zoo_animal", animals["Rex"], {"weight": "150"})
    _upgrade(site, changed, add_rule)
    assert service.update(SYSTEM, "zoo_animal", animals["Rex"], {"legs": 3})["legs"] == 3
    with pytest.raises(RecordValidationError):  # weight is what the formula field `heavy` reads
        service.update(SYSTEM, "zoo_animal", animals["Rex"], {"weight": "160"})


def test_a_newly_required_field_blocks_only_the_saves_that_blank_it(site, service, animals, changed, field_of):
    def require(objects, zoo):
        field_of(objects["zoo_animal"], "nickname")["required"] = True

    _upgrade(site, changed, require)
    rex = animals["Rex"]
    assert service.update(SYSTEM, "zoo_animal", rex, {"legs": 3})["legs"] == 3
    assert service.update(SYSTEM, "zoo_animal", animals["Bello"], {"legs": 3})["legs"] == 3
    with pytest.raises(RecordValidationError) as caught:
        service.update(SYSTEM, "zoo_animal", animals["Bello"], {"nickname": None})
    assert _codes(caught) == [("nickname", "required")]
    with pytest.raises(RecordValidationError):
        service.create(SYSTEM, "zoo_animal", {"name": "Leo"})
