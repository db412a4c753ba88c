"""The pages mounted in the real web app: its sign-in, session CSRF, security policy and headers."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest

from admin_ui.web.app import create_app
from admin_ui.web.settings import Settings
from runtime.auth import AuthSettings
from runtime.records.context import SYSTEM
from runtime.security import ADMINISTRATOR, assign
from runtime.site import init_site
from metadata.registry import shipped_packages

from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

FAST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1, max_failures=3, lockout=dt.timedelta(minutes=5))


@pytest.fixture
def real_app(engine):
    site = init_site(engine, shipped_packages())
    return create_app(Settings(auth=FAST_AUTH), site=site)


def signed_in(app, username: str, *, admin: bool) -> TestClient:
    services = app.state.services
    user = services.records.create(SYSTEM, "user", {"username": username, "name": username.title(), "user_kind": "internal", "language": "en"})
    services.auth.set_password(user["id"], "pass phrase 1")
    if admin:
        assign(services.site, user["id"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
    client = TestClient(app, headers={"Accept-Language": "en"})
    token = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/login").text).group(1)  # the login form's CSRF token
    response = client.post("/login", data={"username": username, "password": "pass phrase 1", "next": "/app", "csrftoken": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_pages_run_inside_the_web_app(real_app):
    with signed_in(real_app, "boss", admin=True) as client:
        home = client.get("/app.json").json()
        assert [app["api_name"] for app in home["apps"]] == ["sales", "service"]
        page = client.get("/app/sales/account/new?business_type=enterprise")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        token = csrf_of(page.text)
        refused = client.post("/app/sales/account/new", data={"business_type": "enterprise", "name": "No token", "industry": "mining"}, follow_redirects=False)
        assert refused.status_code == 403
        created = client.post("/app/sales/account/new", data={"csrf_token": token, "business_type": "enterprise", "name": "With token", "industry": "mining"}, follow_redirects=False)
        assert created.status_code == 303, created.text
        detail = client.get(created.headers["location"] + ".json").json()
        assert detail["record"]["name"] == "With token"
        assert client.get("/static/htmx.min.js").status_code == 200


def test_anonymous_visitors_go_to_the_app_sign_in_page(real_app):
    with TestClient(real_app) as client:
        response = client.get("/app/sales", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
        assert client.get(response.headers["location"]).status_code == 200
