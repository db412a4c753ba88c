"""The user routes: disabling ends the user's grants for good, never oneself, never the last admin."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(make_user, client, bearer):
    user = make_user(admin=True)
    return user, bearer(client, user["username"])


@pytest.mark.parametrize("how", ["patch", "disable"])
def test_disabling_through_the_api_revokes_the_users_tokens_and_sessions(client, client_for, app, admin, make_user, bearer, sign_in, services, how):
    user, headers = admin
    target = make_user(roles=["standard_user"], profiles=["sales_rep"])
    their_token = bearer(client, target["username"])
    browser = client_for(app)
    sign_in(browser, target["username"])
    url = f"/api/v1/objects/user/records/{target['id']}"
    if how == "patch":
        done = client.patch(url, json={"active": False, "rank": 2}, headers=headers)
    else:
        done = client.post(f"/api/v1/users/{target['id']}/disable", headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["active"] is False
    # enabled again, nothing issued before works
    assert client.patch(url, json={"active": True}, headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=their_token).status_code == 401
    assert browser.get("/api/v1/auth/me").status_code == 401


def test_an_admin_cannot_disable_themselves(client, admin):
    user, headers = admin
    for response in (
        client.patch(f"/api/v1/objects/user/records/{user['id']}", json={"active": False}, headers=headers),
        client.post(f"/api/v1/users/{user['id']}/disable", headers=headers),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == "cannot_disable_self"
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200


def test_a_rep_cannot_disable_anyone(client, make_user, bearer):
    rep = make_user(roles=["standard_user"], profiles=["sales_rep"])
    other = make_user(roles=["standard_user"], profiles=["sales_rep"])
    refused = client.post(f"/api/v1/users/{other['id']}/disable", headers=bearer(client, rep["username"]))
    assert refused.status_code == 403, refused.text
