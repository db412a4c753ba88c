"""List views through their .json twins: columns, filters per type, quick search, scopes, pages, kanban."""

from __future__ import annotations

from sample_records import make_account, make_opportunity

from runtime.records.context import SYSTEM


def names(page) -> list[str]:
    return [row["cells"][0]["text"] for row in page["rows"]]


def test_list_columns_filters_search_scope_and_pages(as_rep, as_manager, services, people, monkeypatch):
    make_account(services, people.rep, "Alpha Steel", industry="manufacturing", employees=120)
    make_account(services, people.rep, "Beta Mining", industry="mining", employees=40)
    make_account(services, people.other, "Gamma Mining", industry="mining", employees=900)

    page = as_manager.json("/app/sales/account", sort="name")
    assert page["columns"][0]["field"] == "name" and page["columns"][-1]["field"] == "owner"
    assert names(page) == ["Alpha Steel", "Beta Mining", "Gamma Mining"]
    assert page["rows"][0]["cells"][-1]["text"] == "Li Lei"  # the owner's name, not an id

    picked = as_manager.json("/app/sales/account", **{"f.industry": "mining", "sort": "-name"})
    assert names(picked) == ["Gamma Mining", "Beta Mining"]
    assert picked["chosen"] == {"industry": ["mining"]}
    assert names(as_manager.json("/app/sales/account", q="steel")) == ["Alpha Steel"]

    assert names(as_rep.json("/app/sales/account", scope="mine", sort="name")) == ["Alpha Steel", "Beta Mining"]
    assert names(as_manager.json("/app/sales/account", scope="team", sort="name")) == ["Alpha Steel", "Beta Mining"]
    assert names(as_manager.json("/app/sales/account", scope="mine")) == []

    monkeypatch.setattr("admin_ui.web.pages.lists.PAGE_SIZE", 2)
    first = as_manager.json("/app/sales/account", sort="name")
    assert names(first) == ["Alpha Steel", "Beta Mining"] and first["next_cursor"]
    second = as_manager.json("/app/sales/account", sort="name", cursor=first["next_cursor"])
    assert names(second) == ["Gamma Mining"] and second["next_cursor"] is None


def test_numeric_and_date_filters_and_bad_input(as_manager, services, people):
    account = make_account(services, people.rep, "Delta")
    make_opportunity(services, people.rep, account, "Small deal", amount="1000")
    make_opportunity(services, people.rep, account, "Big deal", amount="250000")
    page = as_manager.json("/app/sales/opportunity", **{"f.amount.min": "5000"})
    assert names(page) == ["Big deal"]
    assert len(as_manager.json("/app/sales/opportunity", **{"f.close_date.range": "next_n_days:60"})["rows"]) == 2
    assert as_manager.json("/app/sales/opportunity", **{"f.close_date.range": "last_week"})["rows"] == []
    stage_filter = next(spec for spec in page["filters"] if spec["field"] == "stage")
    assert stage_filter["widget"] == "choices" and stage_filter["choices"][0] == {"value": "initial_contact", "label": "Initial Contact"}
    bad = as_manager.json("/app/sales/opportunity", 400, **{"f.amount.min": "lots"})
    assert bad["errors"][0]["field"] == "amount"


def test_kanban_groups_by_stage(as_manager, services, people):
    account = make_account(services, people.rep, "Epsilon")
    make_opportunity(services, people.rep, account, "Early")
    make_opportunity(services, people.rep, account, "Quoted", stage="solution_quote")
    board = as_manager.json("/app/sales/opportunity/kanban")
    lanes = {lane["value"]: [card["cells"][0]["text"] for card in lane["cards"]] for lane in board["lanes"]}
    assert lanes["initial_contact"] == ["Early"] and lanes["solution_quote"] == ["Quoted"] and lanes["won"] == []
    assert as_manager.get("/app/sales/account/kanban.json").status_code == 404


def test_bulk_transfer_and_delete(as_rep, services, policy, people):
    from runtime.records.context import SYSTEM

    first = make_account(services, people.rep, "Bulk One")
    second = make_account(services, people.rep, "Bulk Two")
    page = as_rep.json("/app/sales/account")
    assert [item["value"] for item in page["bulk_actions"]] == ["transfer", "delete"]
    owners = as_rep.json("/app/sales/account/lookup", field="owner", q="Zhao")["options"]
    assert owners == [{"id": people.other, "name": "Zhao Min"}]

    refused = as_rep.post("/app/sales/account/bulk", {"action": "transfer", "ids": [first]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "owner"
    moved = as_rep.post("/app/sales/account/bulk", {"action": "transfer", "ids": [first, second], "owner": people.other})
    assert moved.json() == {"redirect": "/app/sales/account", "done": 2, "action": "transfer"}
    assert {services.records.get(SYSTEM, "account", key)["owner"] for key in (first, second)} == {people.other}

    make_opportunity(services, people.rep, second, "Keeps its account")  # a restrict reference blocks deleting it
    partly = as_rep.post("/app/sales/account/bulk", {"action": "delete", "ids": [first, second]})
    assert partly.status_code == 422
    body = partly.json()
    assert body["done"] == 1 and {error["id"] for error in body["errors"]} == {second}
    assert names(as_rep.json("/app/sales/account")) == ["Bulk Two"]


def test_list_views_declared_in_the_app(as_rep, as_manager, services, people):
    account = make_account(services, people.rep, "Views Co")
    make_opportunity(services, people.rep, account, "Open small", amount="10")
    make_opportunity(services, people.rep, account, "Open big", amount="900")
    make_opportunity(services, people.other, account, "Someone else's", amount="50")
    lost = make_opportunity(services, people.rep, account, "Lost one", amount="70")
    services.records.update(SYSTEM, "opportunity", lost, {"stage": "lost", "loss_reason": "price_too_high"})

    page = as_rep.json("/app/sales/opportunity")
    assert [view["api_name"] for view in page["views"]] == [None, "my_open_opportunities", "team_pipeline", "closing_this_month"]
    mine = as_rep.json("/app/sales/opportunity", view="my_open_opportunities")
    assert mine["scope"] == "mine" and mine["view"] == "my_open_opportunities"
    assert [column["field"] for column in mine["columns"]] == ["name", "account", "stage", "amount", "close_date"]
    assert sorted(names(mine)) == ["Open big", "Open small"]
    team = as_manager.json("/app/sales/opportunity", view="team_pipeline")
    assert names(team) == ["Open big", "Open small"]  # sorted by -amount; the other team's and the lost one left out
    assert team["sort"] == "-amount"
    assert as_manager.json("/app/sales/opportunity", view="team_pipeline", scope="all")["scope"] == "all"
    assert len(names(as_manager.json("/app/sales/opportunity", view="team_pipeline", scope="all"))) == 3


def test_quick_search_goes_through_the_search_index(as_manager, services, people):
    make_account(services, people.rep, "Delta 北京分公司")
    make_account(services, people.rep, "Epsilon 北京总部")
    assert names(as_manager.json("/app/sales/account", q="北京", sort="name")) == ["Delta 北京分公司", "Epsilon 北京总部"]
    assert names(as_manager.json("/app/sales/account", q="del 北京")) == ["Delta 北京分公司"]
    # the index finds words by their beginning, not any part of a word as LIKE '%elta%' did
    assert names(as_manager.json("/app/sales/account", q="elta")) == []
