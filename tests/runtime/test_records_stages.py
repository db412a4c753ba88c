"""The stage gate every entry point shares: key events, skipped stages, backward and lost moves."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from metadata.registry import shipped_packages
from runtime.errors import RecordError, RecordValidationError
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


# -- the win-rate field (win_rate_field: win_rate on the opportunity) ------------------------


def stored(service, record_id):
    return service.get(SYSTEM, "opportunity", record_id)


def win_rate_history(service, record_id):
    return [(row["old_value"], row["new_value"]) for row in service.history(SYSTEM, "opportunity", record_id) if row["field"] == "win_rate"]


def test_a_new_record_gets_the_win_rate_of_its_stage(deal):
    service, actor, record_id = deal
    record = stored(service, record_id)
    assert record["stage"] == "initial_contact" and record["win_rate"] == 10
    assert record["expected_revenue"] == 1  # amount 10 at 10 %
    account, contact = record["account"], record["primary_contact"]
    close = record["close_date"]
    simple = service.create(actor, "opportunity", {"name": "S", "account": account, "close_date": close, "amount": "500"})
    assert simple["business_type"] == "simple_sales" and simple["win_rate"] == 20 and simple["expected_revenue"] == 100
    # platform jobs (imports, package data) may create a record further along; it gets that stage's rate
    rows = [
        {"name": name, "account": account, "close_date": close, "amount": "1000", "primary_contact": contact, "business_type": "complex_sales", "stage": stage, "purchase_method": "public_tender"}
        for name, stage in (("B", "bidding"), ("W", "won"))
    ] + [{"name": "L", "account": account, "close_date": close, "stage": "lost", "loss_reason": "no_budget"}]
    ids = service.bulk_create(SYSTEM, "opportunity", rows)
    assert [(stored(service, i)["win_rate"], stored(service, i)["expected_revenue"]) for i in ids] == [(70, 700), (100, 1000), (0, None)]


def test_moving_the_stage_sets_the_win_rate_of_the_new_stage(deal):
    service, actor, record_id = deal
    service.update(SYSTEM, "opportunity", record_id, {"amount": "1000"})
    stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent")
    stages.complete_key_event(service, actor, "opportunity", record_id, "identify_decision_maker")
    moved = stages.move(service, actor, "opportunity", record_id, "needs_confirmed")
    assert moved["win_rate"] == 30 and moved["expected_revenue"] == 300  # nothing completed in the new stage yet
    back = service.update(actor, "opportunity", record_id, {"stage": "initial_contact"})  # an ordinary save
    assert back["win_rate"] == 30  # the stage's 10 and the two events completed there earlier
    lost = service.update(actor, "opportunity", record_id, {"stage": "lost", "loss_reason": "no_budget"})
    assert lost["win_rate"] == 0 and lost["expected_revenue"] == 0
    won = service.update(SYSTEM, "opportunity", record_id, {"stage": "won"})  # a platform job moves freely
    assert won["win_rate"] == 100 and won["expected_revenue"] == 1000
    assert win_rate_history(service, record_id) == [("10", "20"), ("20", "30"), ("30", "0"), ("0", "100")]


def test_changing_the_business_type_sets_the_win_rate_of_its_process(deal):
    service, actor, record_id = deal
    stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent")
    assert stored(service, record_id)["win_rate"] == 20
    # the simple process's first stage is worth 20, and its own confirm_intent event 20 more
    assert service.update(SYSTEM, "opportunity", record_id, {"business_type": "simple_sales"})["win_rate"] == 40


def test_completing_a_key_event_adds_its_share_through_the_pipeline(deal):
    service, actor, record_id = deal
    service.update(SYSTEM, "opportunity", record_id, {"amount": "1000"})
    before = stored(service, record_id)
    path = stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent")
    after = stored(service, record_id)
    assert path.win_rate == after["win_rate"] == 20 and after["expected_revenue"] == 200
    assert after["version"] == before["version"] + 1 and after["updated_at"] >= before["updated_at"] and after["updated_by"] == actor.user_id
    reopened = stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent", completed=False)
    after = stored(service, record_id)
    assert reopened.win_rate == after["win_rate"] == 10 and after["expected_revenue"] == 100
    assert win_rate_history(service, record_id) == [("10", "20"), ("20", "10")]


def _stale(service, record_id):
    table = service.site.tables["opportunity"]
    with service.site.begin() as connection:  # a record saved before its process required a close date
        connection.execute(sa.update(table).where(table.c.id == record_id).values(close_date=None))


def test_a_record_older_than_its_rules_still_completes_key_events(deal):
    service, actor, record_id = deal
    _stale(service, record_id)
    # the completion changes the win rate, which no rule the record breaks reads
    path = stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent")
    assert path.win_rate == 20 and stored(service, record_id)["win_rate"] == 20
    assert service.update(actor, "opportunity", record_id, {"amount": "50"})["amount"] == 50  # other fields stay editable
    with pytest.raises(RecordValidationError) as refused:  # another business type: its required fields apply in full
        service.update(actor, "opportunity", record_id, {"business_type": "simple_sales"})
    assert [error.field for error in refused.value.errors] == ["close_date"]


def _with_rule(site, rule):
    from metadata.registry import registry_from_documents
    from runtime.migrations import apply_plan, diff
    from runtime.store import documents_of

    documents = documents_of(site.registry.packages)
    crm = next(package for package in documents if any(item["api_name"] == "opportunity" for item in package.get("objects", [])))
    opportunity = next(item for item in crm["objects"] if item["api_name"] == "opportunity")
    opportunity["validation_rules"].append(rule)
    return apply_plan(site, diff(site.registry, registry_from_documents(documents)))


def test_a_completion_refused_by_a_rule_on_the_win_rate_is_not_kept(deal):
    service, actor, record_id = deal
    _stale(service, record_id)
    rule = {"api_name": "close_date_past_15", "condition": "win_rate > 15 && ISBLANK(close_date)", "message": {"en": "Enter a close date."}, "field": "close_date"}
    assert _with_rule(service.site, rule) == ["validation rule opportunity.close_date_past_15: no existing record breaks it"]
    with pytest.raises(RecordValidationError) as refused:
        stages.complete_key_event(service, actor, "opportunity", record_id, "confirm_intent")
    assert [(error.field, error.code) for error in refused.value.errors] == [("close_date", "validation_rule")]
    path = stages.read_path(service.site, "opportunity", stored(service, record_id))
    assert path.win_rate == 10 and stored(service, record_id)["win_rate"] == 10


def test_users_cannot_set_the_win_rate_themselves(deal):
    service, actor, record_id = deal
    with pytest.raises(RecordError) as refused:
        service.update(actor, "opportunity", record_id, {"win_rate": "90"})
    assert [error.field for error in refused.value.errors] == ["win_rate"]
    with pytest.raises(RecordError):
        service.create(actor, "opportunity", {"name": "X", "account": stored(service, record_id)["account"], "win_rate": "90"})
    assert stored(service, record_id)["win_rate"] == 10


def test_a_record_at_no_stage_of_its_process_has_no_win_rate(deal):
    service, _, _ = deal
    definition = service.site.registry.objects["opportunity"]
    assert stages.win_rate_of(definition, {"business_type": "simple_sales", "stage": "bidding"}) is None  # not a stage of that process
    assert stages.win_rate_of(definition, {"business_type": "simple_sales", "stage": None}) is None
    assert stages.win_rate_of(definition, {"business_type": "simple_sales", "stage": "initial_contact"}, {"confirm_intent"}) == 40
    assert stages.win_rate_of(service.site.registry.objects["account"], {"name": "A"}) is None
