"""Sign-in through the web app: login form and session cookie, CSRF, API tokens, lockout, disabling."""

from __future__ import annotations

from runtime.auth import AuthSettings
from runtime.records.context import SYSTEM


def test_login_page_renders_escaped_and_in_the_requested_language(client):
    response = client.get("/login?next=/x", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 200
    assert "用户名" in response.text and 'name="next" value="/x"' in response.text
    hostile = client.get('/login?next=/"><script>alert(1)</script>')
    assert "<script>alert(1)" not in hostile.text


def test_login_sets_an_httponly_lax_cookie_and_logout_revokes_it(client, make_user, sign_in, services, login_token):
    user = make_user()
    fields = {"username": user["username"], "password": "correct horse", "next": "/api/v1/objects", "csrftoken": login_token(client)}
    response = client.post("/login", data=fields, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/api/v1/objects"
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("tessera_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    secret = client.cookies["tessera_session"]
    me = client.get("/api/v1/auth/me").json()
    assert me["user"]["id"] == user["id"] and me["auth"] == "session" and me["csrf_token"]

    # logging out without the CSRF token is refused; with it, the session is revoked server-side
    assert client.post("/logout", follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf_token": me["csrf_token"]}, follow_redirects=False)
    assert out.status_code == 303
    assert services.auth.session(secret) is None
    client.cookies.set("tessera_session", secret)  # replaying the old cookie does not work
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_and_open_redirects_are_refused(client, make_user, login_token):
    user = make_user()
    bad = client.post("/login", data={"username": user["username"], "password": "nope", "csrftoken": login_token(client)})
    assert bad.status_code == 401 and "incorrect" in bad.text
    redirected = client.post(
        "/login", data={"username": user["username"], "password": "correct horse", "next": "//evil.example/", "csrftoken": login_token(client)},
        follow_redirects=False,
    )
    assert redirected.headers["location"] == "/"


def test_csrf_is_required_for_cookie_writes_but_not_for_bearer_calls(client, make_user, sign_in, bearer):
    user = make_user(admin=True)
    csrf = sign_in(client, user["username"])
    body = {"name": "CSRF Dept", "code": "csrf_" + user["username"]}
    refused = client.post("/api/v1/objects/department/records", json=body)
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "csrf_failed"
    wrong = client.post("/api/v1/objects/department/records", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    made = client.post("/api/v1/objects/department/records", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    # a bearer token is used alone, even with the cookie present, and needs no CSRF token
    headers = bearer(client, user["username"])
    body["code"] += "_2"
    assert client.post("/api/v1/objects/department/records", json=body, headers=headers).status_code == 201


def test_token_lifecycle_and_revocation(client, make_user):
    user = make_user()
    issued = client.post("/api/v1/auth/token", json={"username": user["username"], "password": "correct horse"})
    assert issued.status_code == 200
    data = issued.json()
    assert data["token_type"] == "bearer" and data["expires_at"] and len(data["access_token"]) >= 32
    headers = {"Authorization": f"Bearer {data['access_token']}"}
    assert client.get("/api/v1/objects", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    again = client.get("/api/v1/objects", headers=headers)
    assert again.status_code == 401 and again.json()["errors"][0]["code"] == "unauthenticated"
    assert "Bearer" in again.headers["www-authenticate"]
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 401


def test_token_requests_are_checked(client, make_user):
    user = make_user()
    assert client.post("/api/v1/auth/token", content=b"{not json").json()["errors"][0]["code"] == "invalid_json"
    missing = client.post("/api/v1/auth/token", json={"username": user["username"]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "password"
    wrong = client.post("/api/v1/auth/token", json={"username": user["username"], "password": "x"})
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["code"] == "invalid_credentials"
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody_here", "password": "x"})
    assert unknown.json() == wrong.json()  # does not say which usernames exist
    assert client.get("/api/v1/objects", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/api/v1/objects").status_code == 401


def test_repeated_failures_lock_the_username(client, make_user):
    user = make_user()
    attempt = {"username": user["username"], "password": "wrong"}
    statuses = [client.post("/api/v1/auth/token", json=attempt).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = client.post("/api/v1/auth/token", json={"username": user["username"], "password": "correct horse"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert locked.json()["errors"][0]["code"] == "login_locked"
    zh = client.post("/api/v1/auth/token", json=attempt, headers={"Accept-Language": "zh"})
    assert "秒" in zh.json()["errors"][0]["message"]


def test_disabling_a_user_ends_their_session_and_tokens(client, make_user, sign_in, bearer, services):
    user = make_user()
    headers = bearer(client, user["username"])
    sign_in(client, user["username"])
    assert client.get("/api/v1/auth/me").status_code == 200
    services.records.update(SYSTEM, "user", user["id"], {"active": False})
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/objects", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": user["username"], "password": "correct horse"}).status_code == 401


def test_language_follows_accept_language_then_the_users_setting(client, make_user, bearer):
    user = make_user(language="zh")
    headers = bearer(client, user["username"])
    client.headers.pop("Accept-Language")
    assert client.get("/api/v1/auth/me", headers=headers).json()["language"] == "zh"
    assert client.get("/api/v1/auth/me", headers={**headers, "Accept-Language": "en-GB,en;q=0.8"}).json()["language"] == "en"
    assert client.get("/api/v1/auth/me", headers={**headers, "Accept-Language": "fr, zh;q=0.5, en;q=0.4"}).json()["language"] == "zh"


def test_a_token_is_resolved_in_the_endpoints_own_thread_hop(client, make_user, bearer, monkeypatch):
    """Under /api/ the bearer token is looked up by the endpoint, in the same worker-thread call as
    its own work: one lookup and one hop per request. A routing error there still answers in the
    caller's language, and a revoked token is refused."""
    from admin_ui.web import identity
    from admin_ui.web.api import context

    user = make_user(language="zh")
    headers = bearer(client, user["username"])
    client.headers.pop("Accept-Language")
    lookups, hops = [], []
    resolve, hop = identity.resolve, context.run_in_threadpool
    monkeypatch.setattr(identity, "resolve", lambda *args: lookups.append(args) or resolve(*args))
    for module in (identity, context):
        monkeypatch.setattr(module, "run_in_threadpool", lambda *args: hops.append(args) or hop(*args))
    response = client.post("/api/v1/objects/department/records", json={"name": "Hop"}, headers=headers)
    assert response.status_code in (201, 403), response.text  # signed in: not 401
    assert len(lookups) == 1 and len(hops) == 1
    missing = client.get("/api/v1/no-such-thing", headers=headers)
    assert missing.status_code == 404 and missing.json()["errors"][0]["message"] == "该地址不存在。"
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/objects", headers=headers).status_code == 401
    assert client.get("/api/v1/no-such-thing", headers=headers).json()["errors"][0]["message"] == "There is nothing at this address."


def test_an_api_route_that_does_not_resolve_the_token_is_refused_at_startup():
    import pytest
    from starlette.responses import Response
    from starlette.routing import Route

    from admin_ui.web.api.context import endpoint
    from admin_ui.web.app import _check_api_routes

    async def bare(request):
        return Response()

    _check_api_routes([Route("/api/v1/wrapped", endpoint(lambda request: Response())), Route("/elsewhere", bare)])
    with pytest.raises(TypeError, match="/api/v1/bare"):
        _check_api_routes([Route("/api/v1/bare", bare)])


def test_the_callers_record_is_read_again_only_when_it_changed(client, make_user, bearer, services, monkeypatch):
    """The token lookup reads the user's version; their record is kept for that version, so a
    change through the record pipeline (a new language here) shows on the very next request."""
    user = make_user(language="en")
    headers = bearer(client, user["username"])
    client.headers.pop("Accept-Language")
    reads, get = [], services.records.get
    monkeypatch.setattr(services.records, "get", lambda actor, name, *args, **kwargs: reads.append(name) or get(actor, name, *args, **kwargs))
    assert client.get("/api/v1/auth/me", headers=headers).json()["language"] == "en"
    assert client.get("/api/v1/auth/me", headers=headers).json()["language"] == "en"
    assert reads.count("user") == 1
    services.records.update(SYSTEM, "user", user["id"], {"language": "zh"})
    reads.clear()
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["language"] == "zh" and me["user"]["language"] == "zh" and reads.count("user") == 1
    services.records.update(SYSTEM, "user", user["id"], {"active": False})
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_user_object_with_formula_fields_is_read_every_time():
    """A formula may read other records or today's date, so such a record is never kept."""
    from types import SimpleNamespace

    from admin_ui.web.identity import _user

    reads = []

    def get(actor, name, user_id, connection=None):
        reads.append(user_id)
        return {"id": user_id, "version": 3}

    def services_with(field_type):
        registry = SimpleNamespace(objects={"user": SimpleNamespace(fields=[SimpleNamespace(type="text"), SimpleNamespace(type=field_type)])})
        return SimpleNamespace(site=SimpleNamespace(registry=registry), records=SimpleNamespace(get=get))

    plain, computed = services_with("email"), services_with("formula")
    for services in (plain, plain, computed, computed):
        assert _user(services, "u1", 3, None) == {"id": "u1", "version": 3}
    assert reads == ["u1", "u1", "u1"]  # the plain object's record once, the computed one each time


def test_the_login_form_carries_a_csrf_token_and_a_post_without_it_is_refused(client, client_for, app, make_user, login_token, services):
    """Login CSRF: another site must not sign a visitor's browser in to an account of its choosing."""
    user = make_user()
    page = client.get("/login")
    assert 'name="csrftoken"' in page.text and "csrftoken=" in page.headers["set-cookie"]
    attempt = {"username": user["username"], "password": "correct horse", "next": "/api/v1/auth/me"}
    for fields in (attempt, {**attempt, "csrftoken": "forged"}):
        refused = client.post("/login", data=fields, follow_redirects=False)
        assert refused.status_code == 403 and "expired" in refused.text and 'name="csrftoken"' in refused.text
        assert "tessera_session" not in client.cookies
    # a cross-site form carries the field it copied, but never the visitor's cookie
    stranger = client_for(app)
    assert stranger.post("/login", data={**attempt, "csrftoken": login_token(client)}, follow_redirects=False).status_code == 403
    signed = client.post("/login", data={**attempt, "csrftoken": login_token(client)}, follow_redirects=False)
    assert signed.status_code == 303 and client.get("/api/v1/auth/me").status_code == 200


def test_a_browser_that_signed_in_before_is_not_held_by_a_lock_and_an_admin_unlocks(client, client_for, app, make_user, login_token, bearer):
    user = make_user()
    attempt = {"username": user["username"], "password": "correct horse", "next": "/api/v1/auth/me"}
    assert client.post("/login", data={**attempt, "csrftoken": login_token(client)}, follow_redirects=False).status_code == 303
    assert client.cookies.get("tessera_session_device")
    client.post("/logout", data={"csrf_token": client.get("/api/v1/auth/me").json()["csrf_token"]})
    guesser = client_for(app)
    for _ in range(3):  # someone else locks the username
        guesser.post("/api/v1/auth/token", json={"username": user["username"], "password": "wrong"})
    stranger = client_for(app)
    locked = stranger.post("/login", data={**attempt, "csrftoken": login_token(stranger)}, follow_redirects=False)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    # the owner's browser still signs in, and that clears the lock
    assert client.post("/login", data={**attempt, "csrftoken": login_token(client)}, follow_redirects=False).status_code == 303
    assert guesser.post("/api/v1/auth/token", json={"username": user["username"], "password": "correct horse"}).status_code == 200
    # an administrator clears a lock through the API
    for _ in range(3):
        guesser.post("/api/v1/auth/token", json={"username": user["username"], "password": "wrong"})
    admin = make_user(admin=True)
    rep = make_user()
    url = f"/api/v1/users/{user['id']}/unlock"
    assert guesser.post(url, headers=bearer(guesser, rep["username"])).status_code == 403
    assert guesser.post(url, headers=bearer(guesser, admin["username"])).status_code == 204
    assert guesser.post("/api/v1/auth/token", json={"username": user["username"], "password": "correct horse"}).status_code == 200


def test_one_address_guessing_across_usernames_is_throttled(web_site, fast_auth, make_user, login_token):
    """100 usernames × 1 guess each went through: the client address has a limit of its own."""
    import uuid

    from starlette.testclient import TestClient

    from admin_ui.web.app import create_app
    from admin_ui.web.settings import Settings

    app = create_app(Settings(auth=AuthSettings(**{**fast_auth.__dict__, "max_address_failures": 5})), site=web_site)
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    user = make_user()
    with TestClient(app, client=(address, 4000)) as limited, TestClient(app, client=("192.0.2.1", 4000)) as elsewhere:
        statuses = [
            limited.post("/api/v1/auth/token", json={"username": f"guess_{index}", "password": "123456"}).status_code for index in range(6)
        ]
        assert statuses == [401, 401, 401, 401, 429, 429]
        right = {"username": user["username"], "password": "correct horse"}
        assert limited.post("/api/v1/auth/token", json=right).status_code == 429
        form = limited.post("/login", data={**right, "csrftoken": login_token(limited)}, follow_redirects=False)
        assert form.status_code == 429
        assert elsewhere.post("/api/v1/auth/token", json=right).status_code == 200
