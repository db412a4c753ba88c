"""Fixtures for the web tests: a site of its own per test (SQLite, or PostgreSQL when asked).

Each test's site is a copy of one installed once per session with every shipped object
(``site_url`` of tests/conftest.py: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL), so no test sees another's users, records or settings, and the order tests run in
does not matter.
"""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from admin_ui.web.app import create_app
from admin_ui.web.settings import Settings
from runtime.auth import Authenticator, AuthSettings
from runtime.records.context import SYSTEM
from runtime.security import ADMINISTRATOR, assign

from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette asks for httpx2; the test client works the same with httpx, which the project pins.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

#: argon2 at its cheapest: the tests check behaviour, not hashing cost (and every test client
#: signs in from the same address, "testclient": a test of the address limit sets a low one)
FAST_AUTH = AuthSettings(
    argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1, max_failures=3, lockout=dt.timedelta(minutes=5), max_address_failures=100_000
)
PASSWORD = "correct horse"


@pytest.fixture
def web_engine(site_url) -> Iterator[sa.Engine]:
    engine = sa.create_engine(site_url)
    try:
        yield engine
    finally:
        engine.dispose()  # before site_url drops a PostgreSQL copy


@pytest.fixture
def web_site(web_engine, site_templates):
    return site_templates.site(web_engine)


@pytest.fixture
def app(web_site):
    return create_app(Settings(auth=FAST_AUTH), site=web_site)


@pytest.fixture
def services(app):
    return app.state.services


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, headers={"Accept-Language": "en"}) as test_client:
        yield test_client


@pytest.fixture
def client_for():
    """``client_for(app)``: a test client for another app (closed after the test)."""
    opened = []

    def make(other_app) -> TestClient:
        test_client = TestClient(other_app, headers={"Accept-Language": "en"})
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.close()


@pytest.fixture
def fast_auth() -> AuthSettings:
    return FAST_AUTH


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_user(services):
    """Create a user who can sign in: ``make_user(admin=False, roles=…, profiles=…, **values)`` → the record."""

    def make(*, admin: bool = False, password: str = PASSWORD, roles=None, profiles=None, **values):
        values.setdefault("username", unique("user"))
        values.setdefault("name", values["username"].title())
        values.setdefault("language", "en")
        user = services.records.create(SYSTEM, "user", values)
        services.auth.set_password(user["id"], password)
        if admin:
            roles, profiles = [ADMINISTRATOR], [ADMINISTRATOR]
        if roles is not None or profiles is not None:
            assign(services.site, user["id"], roles=roles, profiles=profiles)
        return user

    return make


@pytest.fixture
def bearer():
    """``bearer(client, username)`` → headers with a fresh API token for the user."""

    def headers(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers


@pytest.fixture
def sign_in():
    """``sign_in(client, username)``: sign in through the login form; returns the session's CSRF token."""

    def session(client: TestClient, username: str, password: str = PASSWORD) -> str:
        fields = {"username": username, "password": password, "next": "/api/v1/auth/me", "csrftoken": _login_token(client)}
        response = client.post("/login", data=fields, follow_redirects=False)
        assert response.status_code == 303, response.text
        me = client.get("/api/v1/auth/me")
        assert me.status_code == 200, me.text
        return me.json()["csrf_token"]

    return session


def _login_token(client: TestClient) -> str:
    """The CSRF token of the login form, as a browser takes it from the page (the client keeps
    the cookie that goes with it)."""
    import re

    page = client.get("/login")
    return re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def login_token():
    """``login_token(client)``: the login form's CSRF token for that client."""
    return _login_token
