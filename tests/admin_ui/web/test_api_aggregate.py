"""``POST /api/v1/objects/{object}/aggregate`` over the demo data: every demo user's totals are the
totals of the list that user sees; refusals answer 403 and 422 naming the field."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from runtime.records.context import Actor
from runtime.sample_data import DEMO_PACKAGE, load_sample_data

pytestmark = pytest.mark.database

#: objects whose totals are checked for every demo user: (object, a decimal field to sum, a path through a reference)
CHECKED = [("opportunity", "amount", "account.industry"), ("account", None, "owner.department"), ("lead", None, None)]


@pytest.fixture
def demo(services):
    summary = load_sample_data(services.site, DEMO_PACKAGE, records=services.records, auth=services.auth)
    return summary.logins


@pytest.fixture
def headers(app, demo):
    from starlette.testclient import TestClient

    found = {}
    with TestClient(app) as client:
        for login in demo:
            response = client.post("/api/v1/auth/token", json={"username": login.username, "password": login.password})
            assert response.status_code == 200, response.text
            found[login.username] = {"Authorization": f"Bearer {response.json()['access_token']}", "Accept-Language": "en"}
    return found


def listed(client, headers, name, fields):
    records, cursor = [], None
    while True:
        params = {"limit": 1000, "fields": ",".join(fields)}
        if cursor:
            params["cursor"] = cursor
        response = client.get(f"/api/v1/objects/{name}/records", params=params, headers=headers)
        assert response.status_code == 200, response.text
        records += response.json()["records"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return records


def test_every_demo_users_totals_equal_the_sums_of_their_list(client, headers):
    checked = 0
    for username, auth in headers.items():
        for name, amount, path in CHECKED:
            measures = [{"fn": "count"}] + ([{"fn": "sum", "field": amount}] if amount else [])
            response = client.post(f"/api/v1/objects/{name}/aggregate", json={"group_by": ["owner"], "measures": measures}, headers=auth)
            if response.status_code == 403:  # may not read the object: neither may they list it
                assert client.get(f"/api/v1/objects/{name}/records", headers=auth).status_code == 403
                continue
            assert response.status_code == 200, (username, name, response.text)
            body = response.json()
            by_path = None
            if path:
                # across a reference: each join carries the reader's access condition, as the list's does
                through = client.post(f"/api/v1/objects/{name}/aggregate", json={"group_by": [path]}, headers=auth)
                if through.status_code == 422:  # a field of the path is hidden from this user (the list refuses it too)
                    assert through.json()["errors"][0] == {"field": path, "code": "unknown_field", "message": f"Unknown field '{path}'."}
                    path = None
                else:
                    assert through.status_code == 200, through.text
                    by_path = {row["group"][path]: row["values"][0] for row in through.json()["rows"]}
            records = listed(client, auth, name, ["owner"] + ([amount] if amount else []) + ([path] if path else []))
            assert body["totals"][0] == len(records), (username, name)
            assert sum(row["values"][0] for row in body["rows"]) == len(records)
            assert {row["group"]["owner"]: row["values"][0] for row in body["rows"]} == dict(Counter(record["owner"] for record in records))
            if amount:
                expected = sum((Decimal(record[amount]) for record in records if record[amount] is not None), Decimal("0.00"))
                assert isinstance(body["totals"][1], str) and Decimal(body["totals"][1]) == expected, (username, name)
            if path:
                assert by_path == dict(Counter(record.get(path) for record in records)), (username, name)
            checked += 1
    assert checked >= len(headers)  # every demo user read at least one object


def test_the_answer_s_shape_decimals_dates_and_the_row_limit(client, headers):
    auth = headers[next(iter(headers))]
    response = client.post(
        "/api/v1/objects/opportunity/aggregate",
        json={"group_by": ["close_date:month"], "pivot": "stage", "measures": [{"fn": "sum", "field": "amount"}, {"fn": "count"}], "limit": 1},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["rows"]) <= 1 and set(body) >= {"rows", "totals", "truncated", "limit", "row_totals", "column_totals"}
    if body["rows"]:
        group = body["rows"][0]["group"]
        assert set(group) == {"close_date:month", "stage"} and (group["close_date:month"] is None or group["close_date:month"].endswith("-01"))
    if body["truncated"]:
        assert body["notice"]["code"] == "row_limit" and "totals still cover every" in body["notice"]["message"]


def test_a_caller_who_may_not_read_the_object_gets_403(client, headers, services, demo):
    for login in demo:
        actor = Actor(user_id=services.records.find(Actor(system=True), "user", filter={"username": login.username}, fields=["id"]).records[0]["id"])
        hidden = [name for name in services.site.registry.objects if not services.security.allows(actor, name, "read")]
        if hidden:
            response = client.post(f"/api/v1/objects/{hidden[0]}/aggregate", json={}, headers=headers[login.username])
            assert response.status_code == 403, response.text
            assert response.json()["errors"][0]["code"] == "object_forbidden"
            return
    pytest.fail("no demo user is refused any object")


def test_a_field_the_caller_may_not_read_cannot_be_grouped_summed_or_filtered(client, headers, services, demo):
    for login in demo:
        actor = Actor(user_id=services.records.find(Actor(system=True), "user", filter={"username": login.username}, fields=["id"]).records[0]["id"])
        for name in services.site.registry.objects:
            if not services.security.allows(actor, name, "read"):
                continue
            visible = services.security.readable_fields(actor, name)
            hidden = sorted(set(services.records.model(name).fields) - set(visible)) if visible is not None else []
            if hidden:
                field = hidden[0]
                for spec in ({"group_by": [field]}, {"measures": [{"fn": "count_distinct", "field": field}]}, {"measures": [{"fn": "count"}], "filter": {field: {"is_null": False}}}):
                    response = client.post(f"/api/v1/objects/{name}/aggregate", json=spec, headers=headers[login.username])
                    assert response.status_code == 422, (spec, response.text)
                    assert response.json()["errors"][0]["field"] == field
                return
    pytest.fail("no demo user has a hidden field")


@pytest.mark.parametrize(
    ("spec", "status", "field"),
    [
        ({"measures": [{"fn": "sum", "field": "name"}]}, 422, "name"),
        ({"group_by": ["description"]}, 422, "description"),
        ({"group_by": ["stage", "owner", "account", "type"]}, 422, "group_by"),
        ({"filter": {"amount": {"contains": 3}}}, 400, "amount"),
        ([], 422, None),
    ],
)
def test_specs_that_do_not_fit(client, headers, spec, status, field):
    auth = headers[next(iter(headers))]
    response = client.post("/api/v1/objects/opportunity/aggregate", json=spec, headers=auth)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field


def test_anonymous_callers_and_unknown_objects(client, headers):
    assert client.post("/api/v1/objects/opportunity/aggregate", json={}).status_code == 401
    auth = headers[next(iter(headers))]
    assert client.post("/api/v1/objects/no_such/aggregate", json={}, headers=auth).status_code == 404
    assert client.post("/api/v1/objects/opportunity/aggregate", content=b"{", headers=auth).status_code == 400
