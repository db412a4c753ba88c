"""The stage path through the pages: win rate, the key-event gate, won and lost."""

from __future__ import annotations

from sample_records import make_account, make_opportunity

from runtime.records.context import SYSTEM


def test_stage_gate_blocks_until_key_events_are_complete(as_rep, services, people):
    account = make_account(services, people.rep, "Stage Co")
    deal = make_opportunity(services, people.rep, account, "Stage deal", amount="5000")
    page = as_rep.json(f"/app/sales/opportunity/{deal}")
    path = page["stage_path"]
    assert [stage["value"] for stage in path["stages"]] == ["initial_contact", "solution_quote", "negotiation", "won", "lost"]
    assert path["current"] == "initial_contact" and path["win_rate"] == 20
    assert [error["code"] for error in path["moves"]["solution_quote"]] == ["key_event_incomplete", "key_event_incomplete"]
    assert path["moves"]["lost"] == []

    blocked = as_rep.post(f"/app/sales/opportunity/{deal}/stage", {"stage": "solution_quote"})
    assert blocked.status_code == 422
    assert blocked.json()["errors"][0]["message"] == "Complete 'Purchase intent confirmed' in stage 'Initial Contact' first."
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "initial_contact"

    for event in ("confirm_intent", "confirm_budget"):
        done = as_rep.post(f"/app/sales/opportunity/{deal}/key-event", {"event": event})
        assert done.status_code == 200, done.text
    assert done.json()["win_rate"] == 60
    assert as_rep.json(f"/app/sales/opportunity/{deal}")["stage_path"]["moves"]["solution_quote"] == []
    moved = as_rep.post(f"/app/sales/opportunity/{deal}/stage", {"stage": "solution_quote"})
    assert moved.status_code == 200, moved.text
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "solution_quote"

    # skipping ahead to won needs this stage's events too; a document is needed for the quote
    assert as_rep.post(f"/app/sales/opportunity/{deal}/stage", {"stage": "won"}).status_code == 422
    no_document = as_rep.post(f"/app/sales/opportunity/{deal}/key-event", {"event": "submit_quote"})
    assert no_document.status_code == 422 and no_document.json()["errors"][0]["code"] == "document_required"
    assert as_rep.post(f"/app/sales/opportunity/{deal}/key-event", {"event": "submit_quote", "document": "quote-v1.pdf"}).status_code == 200
    assert as_rep.post(f"/app/sales/opportunity/{deal}/stage", {"stage": "negotiation"}).status_code == 200
    assert as_rep.post(f"/app/sales/opportunity/{deal}/stage", {"stage": "solution_quote"}).status_code == 200  # back is never gated


def test_lost_needs_a_reason_and_the_page_asks_for_it(as_rep, services, people):
    account = make_account(services, people.rep, "Lost Co")
    deal = make_opportunity(services, people.rep, account, "Lost deal")
    page = as_rep.json(f"/app/sales/opportunity/{deal}")
    assert [field["field"] for field in page["lost_fields"]] == ["loss_reason", "loss_description"]
    refused = as_rep.post(f"/app/sales/opportunity/{deal}/stage", {"stage": "lost"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "loss_reason"
    lost = as_rep.post(f"/app/sales/opportunity/{deal}/stage", {"stage": "lost", "loss_reason": "price_too_high", "loss_description": "Too dear"})
    assert lost.status_code == 200, lost.text
    record = services.records.get(SYSTEM, "opportunity", deal)
    assert (record["stage"], record["loss_reason"], record["loss_description"]) == ("lost", "price_too_high", "Too dear")
    after = as_rep.json(f"/app/sales/opportunity/{deal}")["stage_path"]
    assert after["closed"] is True and after["win_rate"] == 0


def test_objects_without_stages_have_no_path(as_rep, services, people):
    account = make_account(services, people.rep, "Plain Co")
    assert as_rep.json(f"/app/sales/account/{account}")["stage_path"] is None
    assert as_rep.post(f"/app/sales/account/{account}/stage", {"stage": "won"}).status_code == 422


def test_forms_cannot_jump_the_stage_gate(as_rep, services, people):
    account = make_account(services, people.rep, "Form Gate Co")
    deal = make_opportunity(services, people.rep, account, "Form gate deal", amount="100")
    version = services.records.get(SYSTEM, "opportunity", deal)["version"]
    edited = as_rep.post(f"/app/sales/opportunity/{deal}/edit", {"version": str(version), "stage": "negotiation"})
    assert edited.status_code == 422
    fields = {field["field"]: field for section in edited.json()["sections"] for field in section["fields"]}
    assert fields["stage"]["errors"] == [
        "Complete 'Purchase intent confirmed' in stage 'Initial Contact' first.",
        "Complete 'Budget confirmed' in stage 'Initial Contact' first.",
        "Complete 'Quote submitted' in stage 'Solution and Quote' first.",  # the stage skipped over
    ]
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "initial_contact"
    # the same form may still move it to lost (with the reason), or change other fields
    assert as_rep.post(f"/app/sales/opportunity/{deal}/edit", {"version": str(version), "next_step": "Call back"}).status_code == 200

    import datetime as dt

    created = as_rep.post("/app/sales/opportunity/new", {
        "business_type": "simple_sales", "name": "Born won", "account": account, "stage": "won", "amount": "5",
        "close_date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
    })
    assert created.status_code == 422 and created.json()["errors"][0]["code"] == "key_event_incomplete"
    fresh = as_rep.post("/app/sales/opportunity/new", {
        "business_type": "simple_sales", "name": "Born fresh", "account": account, "stage": "initial_contact",
        "close_date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
    })
    assert fresh.status_code == 200, fresh.text
