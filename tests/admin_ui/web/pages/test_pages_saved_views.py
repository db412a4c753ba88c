"""Saved list views through the pages: save the list as it stands, open it, rename, share, delete."""

from __future__ import annotations

from sample_records import make_account

from runtime import list_views


def names(page) -> list[str]:
    return [row["cells"][0]["text"] for row in page["rows"]]


def accounts(services, people):
    make_account(services, people.rep, "Alpha Steel", industry="manufacturing", employees=120)
    make_account(services, people.rep, "Beta Mining", industry="mining", employees=40)
    make_account(services, people.rep, "Bravo Mining", industry="mining", employees=900)
    make_account(services, people.other, "Gamma Mining", industry="mining", employees=70)


def test_save_the_current_list_and_open_it_again(as_rep, services, people):
    accounts(services, people)
    saved = as_rep.post("/app/sales/account/views", {"name": "My miners", "f.industry": "mining", "q": "b", "scope": "mine", "sort": "-name"})
    assert saved.status_code == 200, saved.text
    view = saved.json()["view"]
    assert saved.json()["redirect"] == f"/app/sales/account?saved={view['id']}"
    assert view["definition"]["filter"] == {"industry": {"in": ["mining"]}}
    assert (view["definition"]["q"], view["definition"]["scope"], view["definition"]["sort"]) == ("b", "mine", "-name")

    page = as_rep.json("/app/sales/account", saved=view["id"])
    assert names(page) == ["Bravo Mining", "Beta Mining"]
    assert (page["q"], page["scope"], page["sort"], page["saved_view"]) == ("b", "mine", "-name", view["id"])
    assert [item["name"] for item in page["saved_views"]] == ["My miners"] and page["saved_views"][0]["current"]
    assert not page["views"][0]["current"]  # "all records" is not the current view any more

    # the page's own parameters still narrow a saved view, and saving from it keeps its filter
    narrowed = as_rep.json("/app/sales/account", saved=view["id"], q="", **{"f.employees.min": "100"})
    assert names(narrowed) == ["Bravo Mining"]
    again = as_rep.post("/app/sales/account/views", {"name": "Big miners", "saved": view["id"], "f.employees.min": "100", "scope": "all"})
    assert again.status_code == 200, again.text
    assert again.json()["view"]["definition"]["filter"] == {"and": [{"industry": {"in": ["mining"]}}, {"employees": {"gte": "100"}}]}
    assert names(as_rep.json("/app/sales/account", saved=again.json()["view"]["id"])) == ["Bravo Mining"]


def test_another_users_private_view_is_neither_visible_nor_deletable(as_rep, as_manager, services, people):
    view = as_rep.post("/app/sales/account/views", {"name": "Private", "scope": "mine"}).json()["view"]
    page = as_manager.json("/app/sales/account")
    assert page["saved_views"] == []
    missing = as_manager.json("/app/sales/account", 404, saved=view["id"])
    assert missing["errors"][0]["code"] == "not_found"
    assert as_manager.post(f"/app/sales/account/views/{view['id']}/delete").status_code == 404
    assert as_manager.post(f"/app/sales/account/views/{view['id']}/rename", {"name": "Mine now"}).status_code == 404
    assert [item.name for item in list_views.list_views(services.records, _actor(people.rep), "account", "sales")] == ["Private"]

    renamed = as_rep.post(f"/app/sales/account/views/{view['id']}/rename", {"name": "Still private"})
    assert renamed.status_code == 200 and renamed.json()["view"]["name"] == "Still private"
    assert as_rep.post(f"/app/sales/account/views/{view['id']}/delete").status_code == 200
    assert as_rep.json("/app/sales/account")["saved_views"] == []


def test_csrf_is_required(as_rep, services, people):
    assert as_rep.post("/app/sales/account/views", {"name": "No token"}, csrf=False).status_code == 403
    view = as_rep.post("/app/sales/account/views", {"name": "Kept"}).json()["view"]
    assert as_rep.post(f"/app/sales/account/views/{view['id']}/delete", csrf=False).status_code == 403
    assert [item["name"] for item in as_rep.json("/app/sales/account")["saved_views"]] == ["Kept"]


def test_bad_input_is_refused_with_a_clear_error(as_rep, services, people):
    no_name = as_rep.post("/app/sales/account/views", {"name": "  "})
    assert no_name.status_code == 422 and no_name.json()["errors"][0]["code"] == "invalid_view_name"
    bad_number = as_rep.post("/app/sales/account/views", {"name": "Bad", "f.employees.min": "lots"})
    assert bad_number.status_code == 400, bad_number.text
    assert bad_number.json()["errors"][0]["field"] == "employees"
    as_rep.post("/app/sales/account/views", {"name": "Twice"})
    twice = as_rep.post("/app/sales/account/views", {"name": "Twice"})
    assert twice.status_code == 422 and twice.json()["errors"][0]["code"] == "duplicate_view_name"
    assert [item["name"] for item in as_rep.json("/app/sales/account")["saved_views"]] == ["Twice"]
    # a stored view whose filter no longer checks out is refused when opened, not run
    view = list_views.save(services.records, _actor(people.rep), "account", "sales", "Odd", {"filter": {"industry": "mining"}})
    # the definition below bypasses the checks, as a later metadata change could
    table = services.site.platform[list_views.TABLE]
    with services.site.begin() as connection:
        connection.execute(table.update().where(table.c.id == view.id).values(definition='{"scope": "all", "filter": {"nowhere": 1}}'))
    broken = as_rep.json("/app/sales/account", 400, saved=view.id)
    assert broken["rows"] == [] and broken["errors"][0]["field"] == "nowhere"


def test_sharing_is_for_administrators(as_rep, as_manager, services, people, policy, monkeypatch):
    refused = as_rep.post("/app/sales/account/views", {"name": "For all", "shared": "true"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "share_forbidden"
    assert as_rep.json("/app/sales/account")["can_share"] is False
    monkeypatch.setattr(policy, "is_admin", lambda actor: actor.user_id == people.manager)
    shared = as_manager.post("/app/sales/account/views", {"name": "Team list", "shared": "on", "scope": "team"})
    assert shared.status_code == 200 and shared.json()["view"]["shared"] is True
    seen = as_rep.json("/app/sales/account")["saved_views"]
    assert [(item["name"], item["shared"], item["mine"]) for item in seen] == [("Team list", True, False)]
    assert as_rep.post(f"/app/sales/account/views/{seen[0]['id']}/delete").status_code == 403
    unshared = as_manager.post(f"/app/sales/account/views/{seen[0]['id']}/rename", {"name": "Team list", "shared": "false"})
    assert unshared.json()["view"]["shared"] is False
    assert as_rep.json("/app/sales/account")["saved_views"] == []


def test_field_security_applies_when_a_saved_view_is_opened(as_rep, services, people, policy):
    accounts(services, people)
    view = as_rep.post("/app/sales/account/views", {"name": "Sized", "f.employees.min": "50", "sort": "name"}).json()["view"]
    assert names(as_rep.json("/app/sales/account", saved=view["id"])) == ["Alpha Steel", "Bravo Mining", "Gamma Mining"]
    policy.hidden_fields[(people.rep, "account")] = {"employees"}
    page = as_rep.json("/app/sales/account", 400, saved=view["id"])
    assert page["rows"] == [] and page["errors"][0]["field"] == "employees"
    assert "employees" not in [column["field"] for column in page["columns"]]
    assert "employees" not in [spec["field"] for spec in page["filters"]]


def test_list_page_html_offers_save_and_shows_saved_views(as_rep, services, people):
    view = as_rep.post("/app/sales/account/views", {"name": "<b>Bold</b>"}).json()["view"]
    html = as_rep.get("/app/sales/account", saved=view["id"]).text
    assert 'action="/app/sales/account/views"' in html and "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html
    assert f'action="/app/sales/account/views/{view["id"]}/delete"' in html


def _actor(user_id):
    from runtime.records.context import Actor

    return Actor(user_id=user_id)
