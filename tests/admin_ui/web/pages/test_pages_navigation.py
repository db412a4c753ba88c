"""Navigation: apps and tabs follow the user's read permissions; search goes through the record service."""

from __future__ import annotations

from sample_records import make_account

from runtime.records.context import SYSTEM


def test_apps_and_tabs_follow_metadata_and_permissions(as_rep, as_manager, policy, people, site):
    home = as_manager.json("/app")
    assert [app["api_name"] for app in home["apps"]] == ["sales", "service"]
    sales = home["apps"][0]
    assert [tab["object"] for tab in sales["tabs"]] == site.registry.apps["sales"].tabs
    assert sales["tabs"][1] == {"object": "account", "label": "Accounts", "url": "/app/sales/account"}

    policy.hidden_objects[people.rep] = {"lead", "opportunity", "service_case", "product", "contact", "account", "activity_record", "task"}
    tabs = {app["api_name"]: [tab["object"] for tab in app["tabs"]] for app in as_rep.json("/app")["apps"]}
    assert tabs == {"sales": ["quote", "contract", "order", "event", "goal"]}  # service has no tab left
    assert as_rep.get("/app/service.json").status_code == 404
    assert as_rep.get("/app/sales/opportunity.json").status_code == 404


def test_pages_speak_the_chosen_language(as_rep):
    english = as_rep.json("/app/sales")
    assert english["app"]["label"] == "Sales" and english["language"] == "en"
    response = as_rep.post("/app/language", {"language": "zh", "next": "/app/sales"}, json_twin=False)
    assert response.status_code == 303 and response.headers["location"] == "/app/sales"
    chinese = as_rep.json("/app/sales")
    assert chinese["language"] == "zh"
    assert chinese["app"]["label"] == "销售"
    assert chinese["app"]["tabs"][1]["label"] == "客户"
    html = as_rep.get("/app/sales").text
    assert "搜索" in html and 'lang="zh-CN"' in html


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/app/sales/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fapp%2Fsales%2Faccount"
    assert client.get("/app/sales/account.json").status_code == 401


def test_global_search_respects_the_security_predicate(as_rep, as_manager, services, policy, people):
    account = make_account(services, people.rep, "Hangzhou Tea Trading")
    services.records.create(SYSTEM, "contact", {"name": "Tea Master Chen", "account": account, "mobile": "13800000000"})
    found = as_manager.json("/app/search", q="tea")
    assert {group["object"]: [result["name"] for result in group["results"]] for group in found["groups"]} == {
        "account": ["Hangzhou Tea Trading"],
        "contact": ["Tea Master Chen"],
    }
    policy.hidden_objects[people.rep] = {"contact"}
    found = as_rep.json("/app/search", q="tea")
    assert [group["object"] for group in found["groups"]] == ["account"]
    assert found["groups"][0]["results"][0]["url"].startswith("/app/sales/account/")


def test_refusals_are_pages_not_server_errors(as_rep, services, policy, people):
    account = make_account(services, people.other, "Not yours")
    missing = as_rep.get("/app/sales/account/01zzzzzzzzzzzzzzzzzzzzzzzz.json")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "not_found"
    assert as_rep.get("/app/nowhere").status_code == 404
    assert as_rep.get("/app/sales/nothing.json").status_code == 404
    policy.hidden_objects[people.rep] = {"account"}
    refused = as_rep.get(f"/app/sales/account/{account}.json")
    assert refused.status_code in (403, 404) and refused.json()["errors"]
    html = as_rep.get(f"/app/sales/account/{account}")
    assert html.status_code in (403, 404) and "text/html" in html.headers["content-type"]
    assert "script-src 'self'" in html.headers["content-security-policy"]


def test_page_handlers_run_off_the_event_loop(as_rep, services, people, monkeypatch):
    """Their database work blocks: on the event loop one slow page would hold up every request."""
    import asyncio

    from admin_ui.web.pages import navigation

    on_loop, chrome = [], navigation.chrome

    def watched(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return chrome(*args, **kwargs)

    for module in ("navigation", "lists", "records", "forms"):
        monkeypatch.setattr(f"admin_ui.web.pages.{module}.chrome", watched)
    account = make_account(services, people.rep, "Loop Test")
    as_rep.json("/app/sales/account")
    as_rep.json(f"/app/sales/account/{account}")
    saved = as_rep.post("/app/sales/account/new", {"name": "Posted Off Loop", "industry": "mining"})
    assert saved.status_code in (200, 303), saved.text
    assert on_loop and not any(on_loop), on_loop
