"""The site's security matrix through the API, for token and session callers alike.

Users get the shipped CRM roles and profiles: sales reps own their records (standard_user role,
sales_rep profile: may read but not set an account's credit limit, may not delete accounts);
their manager (manager role) reaches the records of their reports; a partner (partner_sales)
never sees credit limits; an administrator sees everything.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def team(make_user, client, bearer):
    manager = make_user(roles=["manager"], profiles=["sales_manager"])
    rep = make_user(roles=["standard_user"], profiles=["sales_rep"], manager=manager["id"])
    other = make_user(roles=["standard_user"], profiles=["sales_rep"])
    admin = make_user(admin=True)
    return {name: (user, bearer(client, user["username"])) for name, user in {"manager": manager, "rep": rep, "other": other, "admin": admin}.items()}


def _create(client, headers, name, **values):
    response = client.post("/api/v1/objects/account/records", json={"name": name, "industry": "mining", **values}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_record_visibility_follows_ownership_and_the_manager_chain(client, team):
    rep_headers, other_headers = team["rep"][1], team["other"][1]
    mine = _create(client, rep_headers, "Rep's Account")
    url = f"/api/v1/objects/account/records/{mine['id']}"
    assert client.get(url, headers=rep_headers).status_code == 200
    assert client.get(url, headers=team["manager"][1]).status_code == 200
    assert client.get(url, headers=team["admin"][1]).status_code == 200
    hidden = client.get(url, headers=other_headers)
    assert hidden.status_code == 404  # records one may not see do not exist for them
    assert client.patch(url, json={"employees": 1}, headers=other_headers).status_code == 404
    listed = client.get("/api/v1/objects/account/records", params={"fields": "name", "limit": "1000"}, headers=other_headers).json()
    assert mine["id"] not in {record["id"] for record in listed["records"]}
    exported = client.get("/api/v1/objects/account/export", params={"fields": "name"}, headers=other_headers)
    assert "Rep's Account" not in exported.text


def test_object_and_field_permissions_of_profiles(client, team):
    rep_headers = team["rep"][1]
    refused = client.post("/api/v1/objects/account/records", json={"name": "Credit", "industry": "mining", "credit_limit": "10"}, headers=rep_headers)
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "credit_limit"
    mine = _create(client, rep_headers, "Undeletable")
    url = f"/api/v1/objects/account/records/{mine['id']}"
    assert "credit_limit" in client.get(url, headers=rep_headers).json()  # readable
    forbidden = client.delete(url, headers=rep_headers)
    assert forbidden.status_code == 403 and forbidden.json()["errors"][0]["code"] == "object_forbidden"
    described = client.get("/api/v1/objects/account", headers=rep_headers).json()
    assert described["permissions"]["delete"] is False and described["permissions"]["create"] is True
    credit = next(field for field in described["fields"] if field["api_name"] == "credit_limit")
    assert credit["permissions"] == {"read": True, "edit": False}
    assert client.get("/api/v1/objects/account", headers=team["admin"][1]).json()["permissions"]["delete"] is True


def test_sessions_get_the_same_answers_as_tokens(client, team, sign_in, make_user):
    user = make_user(roles=["standard_user"], profiles=["sales_rep"])
    csrf = sign_in(client, user["username"])
    other_account = _create(client, team["other"][1], "Not Yours")
    assert client.get(f"/api/v1/objects/account/records/{other_account['id']}").status_code == 404
    refused = client.post("/api/v1/objects/account/records", json={"name": "C", "industry": "mining", "credit_limit": "1"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403


def test_explain_through_the_api_names_the_grant(client, team):
    rep, rep_headers = team["rep"]
    mine = _create(client, rep_headers, "Explained Account")
    answer = client.get(f"/api/v1/access/account/{mine['id']}/explain", params={"user": team["manager"][0]["username"]}, headers=team["admin"][1])
    assert answer.status_code == 200, answer.text
    explained = answer.json()
    assert explained["operations"]["read"]["allowed"] is True
    # the same explanation as `tessera access explain --json`: usernames, owner, the manager chain
    manager, owner = team["manager"][0]["username"], rep["username"]
    assert explained["username"] == manager and explained["owner"] == {"id": rep["id"], "username": owner}
    through_chain = [grant for grant in explained["operations"]["read"]["grants"] if grant.get("manager_chain")]
    assert through_chain and through_chain[0]["holds"] and through_chain[0]["manager_chain"] == [owner, manager]
    denied = client.get(f"/api/v1/access/account/{mine['id']}/explain", params={"user": team["other"][0]["username"]}, headers=team["admin"][1])
    assert denied.json()["operations"]["read"]["allowed"] is False
    assert client.get(f"/api/v1/access/account/{mine['id']}/explain", params={"user": rep["username"]}, headers=rep_headers).status_code == 403


def test_the_owner_given_must_be_within_the_callers_transfer_scope(client, team, make_user, bearer):
    """A rep (or a partner) could create records owned by the administrator or hand theirs to a peer."""
    rep_headers, other = team["rep"][1], team["other"][0]
    for owner in (other["id"], team["admin"][0]["id"]):
        given = client.post("/api/v1/objects/account/records", json={"name": "Given Away", "industry": "mining", "owner": owner}, headers=rep_headers)
        assert given.status_code == 403, given.text
        assert [(error["field"], error["code"]) for error in given.json()["errors"]] == [("owner", "field_forbidden")]
    mine = _create(client, rep_headers, "Handed Over")
    url = f"/api/v1/objects/account/records/{mine['id']}"
    handed = client.patch(url, json={"owner": other["id"]}, headers=rep_headers)
    assert handed.status_code == 403 and handed.json()["errors"][0]["field"] == "owner"
    assert client.get(url, headers=rep_headers).json()["version"] == 1
    # the manager moves it between the people reporting to them
    peer = make_user(roles=["standard_user"], profiles=["sales_rep"], manager=team["manager"][0]["id"])
    moved = client.patch(url, json={"owner": peer["id"]}, headers=team["manager"][1])
    assert moved.status_code == 200 and moved.json()["owner"] == peer["id"]
    partner = make_user(roles=["partner_user"], profiles=["partner_sales"], user_kind="partner")
    refused = client.post(
        "/api/v1/objects/account/records", json={"name": "Partner's", "industry": "mining", "owner": team["admin"][0]["id"]},
        headers=bearer(client, partner["username"]),
    )
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "owner"