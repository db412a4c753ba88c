"""The record pipeline on the standard CRM package: the engine knows none of these objects.

The fixture packages prove each mechanism in isolation; this module proves they hold together on
the package that ships — default formulas, business-type stages, rules that read prior values,
roll-ups with filters and over formula fields, and queries over lookups and formulas.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from runtime.errors import RecordValidationError
from runtime.records import SYSTEM, Actor, RecordService
from runtime.site import init_site

NOW = dt.datetime(2026, 3, 15, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def registry():
    from metadata.registry import load_registry, shipped_packages

    return load_registry(shipped_packages())


@pytest.fixture
def crm(engine, registry, monkeypatch):
    # Load the shipped packages once per module; each test still gets its own database.
    monkeypatch.setattr("runtime.site.load_registry", lambda roots: registry)
    service = RecordService(init_site(engine))
    user = service.create(SYSTEM, "user", {"username": "mei", "name": "Mei"})
    return service, Actor(user_id=user["id"], now=NOW, time_zone="Asia/Shanghai")


def codes(error: RecordValidationError) -> list[tuple[str | None, str]]:
    return sorted((item.field, item.code) for item in error.errors)


def test_default_formulas_auto_numbers_and_business_type_requirements(crm):
    service, actor = crm
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "account", {"name": "Huaxin"})  # the default type needs an industry
    assert codes(caught.value) == [("industry", "required")]
    account = service.create(actor, "account", {"name": "Huaxin", "industry": "manufacturing"})
    assert account["registered_date"] == dt.date(2026, 3, 15)  # TODAY() in the actor's zone
    assert account["account_number"] == "ACC-2026-00001"
    assert (account["owner"], account["status"], account["open_opportunity_count"]) == (actor.user_id, "potential", 0)
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "account", {"name": "Huaxin", "industry": "mining"})
    assert codes(caught.value) == [("name", "duplicate_value")]


def test_every_failing_rule_is_reported_in_both_languages(crm):
    service, actor = crm
    account = service.create(actor, "account", {"name": "Huaxin", "industry": "manufacturing"})
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "contact", {"name": "Li", "account": account["id"]})
    assert [item.code for item in caught.value.errors] == ["validation_rule"]
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "contact", {"name": "Li", "account": account["id"], "mobile": "12345"})
    (error,) = caught.value.errors
    assert error.field == "mobile" and error.message_en != error.message_zh
    contact = service.create(actor, "contact", {"name": "Li", "account": account["id"], "mobile": "13912345678"})
    assert service.get(actor, "contact", contact["id"], expand=["account"])["account"]["name"] == "Huaxin"


def test_stages_rules_on_prior_values_and_rollups_with_filters(crm):
    service, actor = crm
    account = service.create(actor, "account", {"name": "Huaxin", "industry": "manufacturing"})["id"]
    opportunity = {"name": "Line 2", "account": account, "stage": "initial_contact", "close_date": "2026-06-30", "amount": "50000"}
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "opportunity", {**opportunity, "stage": "bidding"})  # a complex_sales stage only
    assert codes(caught.value) == [("stage", "stage_not_in_business_type")]
    with pytest.raises(RecordValidationError) as caught:
        service.create(actor, "opportunity", {**opportunity, "close_date": "2026-01-01"})  # in the past
    assert [item.code for item in caught.value.errors] == ["validation_rule"]

    # win_rate is read-only: the stage machinery (a platform job) sets it
    platform = Actor(user_id=actor.user_id, now=NOW, system=True)
    first = service.create(platform, "opportunity", {**opportunity, "win_rate": 20})
    second = service.create(actor, "opportunity", {**opportunity, "name": "Line 3", "amount": "8000"})
    assert first["expected_revenue"] == Decimal("10000")
    assert first["days_to_close"] == (dt.date(2026, 6, 30) - dt.date(2026, 3, 15)).days
    assert service.get(actor, "account", account)["open_opportunity_count"] == 2

    # a user may not jump past the key events of the stages on the way (the stage gate) ...
    with pytest.raises(RecordValidationError) as caught:
        service.update(actor, "opportunity", first["id"], {"stage": "won"}, version=first["version"])
    assert {code for code in codes(caught.value)} == {("stage", "key_event_incomplete")}
    # ... a platform job (an import of closed deals, say) may
    service.update(platform, "opportunity", first["id"], {"stage": "won"}, version=first["version"])
    summary = service.get(actor, "account", account)
    assert (summary["open_opportunity_count"], summary["won_amount"]) == (1, Decimal("50000"))
    with pytest.raises(RecordValidationError):  # won is final: a rule reading PRIORVALUE(stage)
        service.update(actor, "opportunity", first["id"], {"stage": "negotiation"})
    service.update(actor, "opportunity", second["id"], {"stage": "lost", "loss_reason": "price_too_high"})
    assert service.get(actor, "account", account)["open_opportunity_count"] == 0

    # re-parenting moves the won amount to the other account
    other = service.create(actor, "account", {"name": "Dongfang", "industry": "construction"})["id"]
    service.update(actor, "opportunity", first["id"], {"account": other})
    assert service.get(actor, "account", account)["won_amount"] == 0
    assert service.get(actor, "account", other)["won_amount"] == Decimal("50000")

    page = service.find(actor, "opportunity", filter={"account.name": {"starts_with": "Dong"}}, sort=["-expected_revenue"], expand=["account"])
    assert [(record["name"], record["account"]["name"]) for record in page.records] == [("Line 2", "Dongfang")]
    page = service.find(actor, "opportunity", filter={"is_closed": {"eq": True}}, sort=["-account.name", "name"])
    assert [record["name"] for record in page.records] == ["Line 3", "Line 2"]


def test_a_rollup_over_a_formula_follows_the_fields_the_formula_reads(crm):
    service, actor = crm
    account = service.create(actor, "account", {"name": "Huaxin", "industry": "manufacturing"})["id"]
    product = service.create(actor, "product", {"name": "Pump", "product_code": "P-1", "standard_price": "100"})["id"]
    quote = service.create(actor, "quote", {"name": "Q1", "account": account})
    assert (quote["quote_date"], quote["valid_until"]) == (dt.date(2026, 3, 15), dt.date(2026, 4, 14))
    line = service.create(actor, "quote_line", {"quote": quote["id"], "product": product, "unit_price": "100", "quantity": 3, "discount": 10})
    assert line["name"] == "Pump" and line["amount"] == Decimal("270")
    assert service.get(actor, "quote", quote["id"])["subtotal"] == Decimal("270")
    # amount is a formula: changing what it reads must refresh the sum over it
    service.update(actor, "quote_line", line["id"], {"quantity": 5})
    refreshed = service.get(actor, "quote", quote["id"])
    assert refreshed["subtotal"] == Decimal("450")
    service.update(actor, "quote", quote["id"], {"discount_amount": 50})
    assert service.get(actor, "quote", quote["id"])["total_amount"] == Decimal("400")
    with pytest.raises(RecordValidationError):  # the discount may not exceed the subtotal
        service.update(actor, "quote", quote["id"], {"discount_amount": 451})


def test_field_rules_hold_on_every_save_not_only_in_forms(crm):
    service, actor = crm
    account = service.create(actor, "account", {"name": "Huaxin", "industry": "manufacturing", "business_type": "enterprise"})
    with pytest.raises(RecordValidationError) as caught:  # required_when: a signed customer needs its credit code
        service.update(actor, "account", account["id"], {"status": "signed"})
    assert codes(caught.value) == [("unified_social_credit_code", "required")]
    signed = service.update(actor, "account", account["id"], {"status": "signed", "unified_social_credit_code": "91310115MA1K4B7X2C"})
    with pytest.raises(RecordValidationError) as caught:  # read_only_when, judged on the stored record
        service.update(actor, "account", account["id"], {"name": "Huaxin Group"})
    assert codes(caught.value) == [("name", "read_only")]
    assert service.get(actor, "account", account["id"])["version"] == signed["version"]  # nothing written
    platform = Actor(user_id=actor.user_id, now=NOW, system=True)
    assert service.update(platform, "account", account["id"], {"name": "Huaxin Group"})["name"] == "Huaxin Group"


def test_the_stage_gate_holds_for_creates_and_updates_through_the_pipeline(crm):
    service, actor = crm
    account = service.create(actor, "account", {"name": "Huaxin", "industry": "manufacturing"})["id"]
    opportunity = {"name": "Line 2", "account": account, "close_date": "2026-06-30", "amount": "50000"}
    with pytest.raises(RecordValidationError) as caught:  # created further along than the first stage
        service.create(actor, "opportunity", {**opportunity, "stage": "negotiation"})
    assert {code for code in codes(caught.value)} == {("stage", "key_event_incomplete")}
    started = service.create(actor, "opportunity", {**opportunity, "stage": "initial_contact"})
    with pytest.raises(RecordValidationError):
        service.update(actor, "opportunity", started["id"], {"stage": "solution_quote"})
    # moving to lost, or staying put, is never gated
    assert service.update(actor, "opportunity", started["id"], {"stage": "lost", "loss_reason": "price_too_high"})["stage"] == "lost"


def test_a_polymorphic_lookup_expands_to_the_record_and_its_object(crm):
    service, actor = crm
    account = service.create(actor, "account", {"name": "Huaxin", "industry": "manufacturing"})
    lead = service.create(actor, "lead", {"name": "Zhao", "company": "Zhao Trading", "mobile": "13800000000"})
    on_account = service.create(actor, "task", {"subject": "Call", "related_to": account["id"], "due_date": "2026-03-20"})
    on_lead = service.create(actor, "task", {"subject": "Visit", "related_to": lead["id"], "due_date": "2026-03-21"})
    loose = service.create(actor, "task", {"subject": "Think", "due_date": "2026-03-22"})
    got = service.get(actor, "task", on_account["id"], expand=["related_to"])
    assert got["related_to"] == {"id": account["id"], "name": "Huaxin", "object": "account"}
    page = service.find(actor, "task", fields=["subject"], expand=["related_to", "owner"], sort=["due_date"])
    assert [(record["subject"], record["related_to"]) for record in page.records] == [
        ("Call", {"id": account["id"], "name": "Huaxin", "object": "account"}),
        ("Visit", {"id": lead["id"], "name": "Zhao", "object": "lead"}),
        ("Think", None),
    ]
    assert page.records[0]["owner"] == {"id": actor.user_id, "name": "Mei"}
    assert service.get(actor, "task", loose["id"], expand=["related_to"])["related_to"] is None
    assert service.get(actor, "task", on_lead["id"])["related_to"] == lead["id"]  # unexpanded: the id
