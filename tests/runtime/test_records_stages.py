"""The stage gate every entry point shares: key events, skipped stages, backward and lost moves."""

from __future__ import annotations

import datetime as dt

import pytest

from metadata.registry import shipped_packages
from runtime.errors import RecordValidationError
from runtime.records import stages
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.site import init_site


@pytest.fixture
def deal(engine):
    site = init_site(engine, shipped_packages())
    service = RecordService(site)
    user = service.create(SYSTEM, "user", {"username": "rep", "name": "Rep", "user_kind": "internal"})["id"]
    account = service.create(SYSTEM, "account", {"name": "A", "industry": "mining", "owner": user})["id"]
    close = (dt.date.today() + dt.timedelta(days=9)).isoformat()
    record = service.create(SYSTEM, "opportunity", {"name": "D", "account": account, "owner": user, "close_date": close, "business_type": "complex_sales",
                                                    "amount": "10", "primary_contact": service.create(SYSTEM, "contact", {"name": "C", "account": account, "mobile": "13800000000"})["id"]})
    return service, Actor(user_id=user), record["id"]


def test_gate_counts_every_stage_passed_and_lets_back_and_lost_through(deal):
    service, actor, record_id = deal
    path = stages.read_path(service.site, "opportunity", service.get(actor, "opportunity", record_id))
    assert path.business_type == "complex_sales" and path.win_rate == 10
    assert len(stages.check_move(path, "needs_confirmed")) == 2
    assert len(stages.check_move(path, "solution_quote")) == 5  # this stage's two and the next one's three
    assert stages.check_move(path, "lost") == []
    assert [error.code for error in stages.check_move(path, "nowhere")] == ["unknown_stage"]
    with pytest.raises(RecordValidationError) as refused:
        stages.move(service, actor, "opportunity", record_id, "needs_confirmed")
    assert refused.value.errors[0].message("zh") == "请先完成“初步接洽”阶段的关键事件“确认采购意向”。"

    stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent")
    path = stages.complete_key_event(service, actor, "opportunity", record_id, "identify_decision_maker")
    assert path.win_rate == 30
    assert stages.move(service, actor, "opportunity", record_id, "needs_confirmed")["stage"] == "needs_confirmed"
    assert stages.move(service, actor, "opportunity", record_id, "initial_contact")["stage"] == "initial_contact"
    reopened = stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent", completed=False)
    assert reopened.win_rate == 20 and len(stages.check_move(reopened, "needs_confirmed")) == 1


def test_only_events_of_the_current_stage_can_be_completed(deal):
    service, actor, record_id = deal
    with pytest.raises(RecordValidationError) as refused:
        stages.complete_key_event(service, actor, "opportunity", record_id, "submit_bid")
    assert refused.value.codes == ["unknown_key_event"]


def test_ordinary_saves_that_set_the_stage_pass_the_same_gate(deal):
    service, actor, record_id = deal
    site = service.site
    stored = service.get(actor, "opportunity", record_id)
    assert [error.code for error in stages.check_change(site, "opportunity", stored, {"stage": "needs_confirmed"})] == ["key_event_incomplete"] * 2
    assert stages.check_change(site, "opportunity", stored, {"stage": "lost"}) == []
    assert stages.check_change(site, "opportunity", stored, {"amount": "5"}) == []
    new = {"business_type": "complex_sales", "stage": "bidding"}
    assert len(stages.check_change(site, "opportunity", None, new)) == 2 + 3 + 2  # every open stage before bidding
    assert stages.check_change(site, "opportunity", None, {"business_type": "complex_sales", "stage": "initial_contact"}) == []
    assert stages.check_change(site, "account", None, {"name": "x"}) == []
