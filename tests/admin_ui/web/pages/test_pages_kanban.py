"""Kanban moves: a card moved to another lane goes through the stage gate, with its reason when refused."""

from __future__ import annotations

from sample_records import make_account, make_opportunity

from runtime.records.context import SYSTEM


def lanes(board) -> dict[str, list[str]]:
    return {lane["value"]: [card["cells"][0]["text"] for card in lane["cards"]] for lane in board["lanes"]}


def test_a_move_past_an_incomplete_key_event_is_refused_with_the_reason(as_rep, services, people):
    account = make_account(services, people.rep, "Kanban Co")
    deal = make_opportunity(services, people.rep, account, "Gated deal", amount="100")
    board = as_rep.json("/app/sales/opportunity/kanban")
    assert board["move_url"] == "/app/sales/opportunity/kanban/move"
    assert {"initial_contact", "solution_quote", "won", "lost"} <= {choice["value"] for choice in board["choices"]}

    blocked = as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "solution_quote"})
    assert blocked.status_code == 422
    body = blocked.json()
    assert body["failed"] == deal
    assert body["errors"][0]["code"] == "key_event_incomplete"
    assert body["errors"][0]["message"] == "Complete 'Purchase intent confirmed' in stage 'Initial Contact' first."
    assert lanes(body)["initial_contact"] == ["Gated deal"]  # the board is drawn again, unchanged
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "initial_contact"

    html = as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "solution_quote"}, json_twin=False)
    assert html.status_code == 422 and "Purchase intent confirmed" in html.text and 'class="card failed"' in html.text


def test_an_allowed_move_changes_the_record(as_rep, services, people):
    account = make_account(services, people.rep, "Moving Co")
    deal = make_opportunity(services, people.rep, account, "Moving deal", amount="100", stage="solution_quote")
    back = as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "initial_contact"})
    assert back.status_code == 200, back.text
    assert back.json() == {"redirect": "/app/sales/opportunity/kanban", "id": deal, "value": "initial_contact"}
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "initial_contact"
    for event in ("confirm_intent", "confirm_budget"):
        assert as_rep.post(f"/app/sales/opportunity/{deal}/key-event", {"event": event}).status_code == 200
    assert as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "solution_quote"}).status_code == 200
    assert lanes(as_rep.json("/app/sales/opportunity/kanban"))["solution_quote"] == ["Moving deal"]
    # lost needs its reason, which a card move cannot give: refused by the object's own rule
    lost = as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "lost"})
    assert lost.status_code == 422 and lost.json()["errors"][0]["field"] == "loss_reason"
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "solution_quote"


def test_moves_need_the_csrf_token_and_a_real_record_and_lane(as_rep, services, people):
    account = make_account(services, people.rep, "Token Co")
    deal = make_opportunity(services, people.rep, account, "Token deal", amount="100", stage="solution_quote")
    assert as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "initial_contact"}, csrf=False).status_code == 403
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "solution_quote"
    nowhere = as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "nowhere"})
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["code"] == "unknown_stage"
    assert as_rep.post("/app/sales/opportunity/kanban/move", {"id": "no-such-id", "value": "initial_contact"}).status_code == 404
    assert as_rep.post("/app/sales/account/kanban/move", {"id": deal, "value": "initial_contact"}).status_code == 404


def test_the_board_offers_no_moves_without_edit_rights_and_hides_an_unreadable_stage(as_rep, services, people, policy, monkeypatch):
    account = make_account(services, people.rep, "Read Co")
    deal = make_opportunity(services, people.rep, account, "Read deal", amount="100", stage="solution_quote")
    monkeypatch.setattr(policy, "object_permissions", lambda actor, name: {"create": False, "read": True, "edit": False, "delete": False})
    board = as_rep.get("/app/sales/opportunity/kanban")
    assert board.status_code == 200 and "card-move" not in board.text and 'draggable="true"' not in board.text
    assert as_rep.json("/app/sales/opportunity/kanban")["move_url"] is None
    policy.hidden_fields[(people.rep, "opportunity")] = {"stage"}
    assert as_rep.json("/app/sales/opportunity/kanban", 404)["errors"][0]["code"] == "not_found"
    assert as_rep.post("/app/sales/opportunity/kanban/move", {"id": deal, "value": "initial_contact"}).status_code == 404
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "solution_quote"
