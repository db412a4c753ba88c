"""Kanban in a real browser: dragging a card to another lane submits its move form under the CSP."""

from __future__ import annotations

import datetime as dt

from runtime.records.context import SYSTEM


def test_dragging_a_card_moves_it_and_a_gated_drop_shows_the_reason(page_for, server, artifacts):
    services = server["services"]
    owner = server["rep"]["id"]
    account = services.records.create(SYSTEM, "account", {"name": "Drag Works", "industry": "mining", "owner": owner})["id"]
    close = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    deal = services.records.create(SYSTEM, "opportunity", {"name": "Dragged deal", "account": account, "owner": owner, "close_date": close,
                                                           "amount": "100", "stage": "solution_quote"})["id"]
    page = page_for()
    url = server["url"] + "/app/sales/opportunity/kanban"
    page.goto(url)
    page.locator("html[data-app-script=ready]").wait_for(state="attached")
    card = page.locator(f".card[data-id='{deal}']")
    card.drag_to(page.locator(".lane[data-value=initial_contact]"))  # back: never gated
    page.wait_for_url(url)
    page.locator(f".lane[data-value=initial_contact] .card[data-id='{deal}']").wait_for()
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "initial_contact"

    page.locator(f".card[data-id='{deal}']").drag_to(page.locator(".lane[data-value=solution_quote]"))  # forward: gated
    page.locator("#errors").wait_for()
    assert "Purchase intent confirmed" in page.locator("#errors").inner_text()
    assert services.records.get(SYSTEM, "opportunity", deal)["stage"] == "initial_contact"
    page.screenshot(path=str(artifacts / "kanban_blocked_move.png"), full_page=True)
    assert page.problems == []
