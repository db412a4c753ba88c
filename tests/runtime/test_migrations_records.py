"""Plan steps over records: win rates filled from the stage path when an upgrade changes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metadata.registry import registry_from_documents, shipped_packages
from runtime.migrations import apply_plan, check_plan, diff
from runtime.records import stages
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.site import init_site
from runtime.store import documents_of


@pytest.fixture
def crm(engine):
    site = init_site(engine, shipped_packages())
    service = RecordService(site)
    user = service.create(SYSTEM, "user", {"username": "rep", "name": "Rep", "user_kind": "internal"})["id"]
    account = service.create(SYSTEM, "account", {"name": "A", "industry": "mining", "owner": user})["id"]
    contact = service.create(SYSTEM, "contact", {"name": "C", "account": account, "mobile": "13800000000"})["id"]
    close = (dt.date.today() + dt.timedelta(days=9)).isoformat()
    common = {"account": account, "owner": user, "close_date": close, "amount": "10", "primary_contact": contact}
    ids = {
        "complex": service.create(SYSTEM, "opportunity", {"name": "D1", "business_type": "complex_sales", **common})["id"],
        "complex_done": service.create(SYSTEM, "opportunity", {"name": "D2", "business_type": "complex_sales", **common})["id"],
        "simple": service.create(SYSTEM, "opportunity", {"name": "D3", "business_type": "simple_sales", **common})["id"],
    }
    stages.complete_key_event(service, Actor(user_id=user), "opportunity", ids["complex_done"], "confirm_intent")
    return service, ids


def _edited(registry, change):
    documents = documents_of(registry.packages)
    crm = next(package for package in documents if any(item["api_name"] == "opportunity" for item in package.get("objects", [])))
    change(next(item for item in crm["objects"] if item["api_name"] == "opportunity"))
    return registry_from_documents(documents)


def _rates(service, ids, field="win_rate"):
    return {key: service.get(SYSTEM, "opportunity", record_id)[field] for key, record_id in ids.items()}


def _complex_first_stage(opportunity):
    complex_sales = next(item for item in opportunity["business_types"] if item["api_name"] == "complex_sales")
    return complex_sales["stages"][0]


def test_new_stage_win_rates_are_filled_into_every_record(crm):
    service, ids = crm
    assert _rates(service, ids) == {"complex": 10, "complex_done": 20, "simple": 20}

    def lower(opportunity):
        _complex_first_stage(opportunity)["win_rate"] = 5

    plan = diff(service.site.registry, _edited(service.site.registry, lower))
    assert [step.describe() for step in plan.operations] == ["fill opportunity.win_rate with each record's win rate on its stage path"]
    assert check_plan(service.site, plan) == ["win rate opportunity.win_rate: 2 records filled from the stage path"]
    assert _rates(service, ids) == {"complex": 10, "complex_done": 20, "simple": 20}  # the rehearsal changed nothing
    assert apply_plan(service.site, plan) == ["win rate opportunity.win_rate: 2 records filled from the stage path"]
    assert _rates(service, ids) == {"complex": 5, "complex_done": 15, "simple": 20}
    assert service.get(SYSTEM, "opportunity", ids["complex_done"])["expected_revenue"] == Decimal("1.5")


def test_a_new_win_rate_field_is_filled_from_the_stage_path(crm):
    service, ids = crm

    def introduce(opportunity):
        opportunity["fields"].append({"api_name": "chance", "type": "percent", "label": {"en": "Chance"}, "read_only": True})
        opportunity["win_rate_field"] = "chance"

    plan = diff(service.site.registry, _edited(service.site.registry, introduce))
    assert [step.describe() for step in plan.operations] == [
        "add field opportunity.chance (NUMERIC(18,2))",
        "fill opportunity.chance with each record's win rate on its stage path",
    ]
    assert apply_plan(service.site, plan) == ["win rate opportunity.chance: 3 records filled from the stage path"]
    assert _rates(service, ids, "chance") == {"complex": 10, "complex_done": 20, "simple": 20}


def test_changes_that_leave_the_path_alone_fill_nothing(crm):
    service, _ = crm

    def relabel(opportunity):
        _complex_first_stage(opportunity)["key_events"][0]["label"] = {"en": "Intent", "zh": "意向"}

    plan = diff(service.site.registry, _edited(service.site.registry, relabel))
    assert plan.operations == [] and plan.metadata_changed
