"""A site with the shipped packages, two users (a rep and their manager) and the pages mounted.

The app here is the smallest one that gives the pages what the web app core promises them
(``request.state.user/actor/language/csrf_token`` and ``app.state.services``), with the same
CSRF rule: an unsafe request must carry the token as a form field or the ``X-CSRF-Token`` header.
Tests pick the signed-in user with the ``X-Test-User`` header.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import parse_qsl
from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from admin_ui.web import pages
from metadata.registry import shipped_packages
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService
from runtime.site import init_site

CSRF = "test-csrf-token"


class PageState:
    """Fills request.state as the app core does, and refuses unsafe requests without the token."""

    def __init__(self, app, services):
        self.app = app
        self.services = services

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        user_id = request.headers.get("x-test-user")
        user = self.services.records.get(SYSTEM, "user", user_id) if user_id else None
        language = "zh" if request.headers.get("accept-language", "").startswith("zh") else "en"
        scope.setdefault("state", {}).update(
            user=user, language=language, csrf_token=CSRF if user else None,
            actor=Actor(user_id=user["id"] if user else None, language=language),
        )
        if scope["method"] not in ("GET", "HEAD") and user is not None:
            body = await request.body()
            sent = request.headers.get("x-csrf-token") or dict(parse_qsl(body.decode())).get("csrf_token")
            if not isinstance(sent, str) or not secrets.compare_digest(sent, CSRF):
                await PlainTextResponse("csrf", status_code=403)(scope, receive, send)
                return
            await self.app(scope, _replay(body), send)
            return
        await self.app(scope, receive, send)


def _replay(body: bytes):
    # the body was read to check the token: hand the same bytes to the route
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class DenyingPolicy:
    """The policy interface pages use (see runtime.security.SecurityPolicy), over every record,
    except that named users may not read named objects, nor read or edit named fields."""

    def __init__(self, site):
        self.site = site
        self.hidden_objects: dict[str, set[str]] = {}
        self.hidden_fields: dict[tuple[str, str], set[str]] = {}
        self.locked_fields: dict[tuple[str, str], set[str]] = {}

    def predicate(self, actor, object_name, table, operation):
        return None

    def allows(self, actor, object_name, action):
        return object_name not in self.hidden_objects.get(actor.user_id, set())

    def object_permissions(self, actor, object_name):
        return {action: self.allows(actor, object_name, action) for action in ("create", "read", "edit", "delete")}

    def field_permissions(self, actor, object_name):
        readable = self.readable_fields(actor, object_name)
        editable = self.editable_fields(actor, object_name)
        return {
            name: {"read": readable is None or name in readable, "edit": editable is None or name in editable}
            for name in self.site.registry.fields(object_name)
        }

    def readable_objects(self, actor):
        return [name for name in self.site.registry.objects if self.allows(actor, name, "read")]

    def is_admin(self, actor):
        return actor.system

    def readable_fields(self, actor, object_name):
        hidden = self.hidden_fields.get((actor.user_id, object_name))
        if not hidden:
            return None
        return frozenset(name for name in self.site.registry.fields(object_name) if name not in hidden) | frozenset(
            ("id", "owner", "created_by", "created_at", "updated_by", "updated_at", "business_type", "version", "deleted_at")
        )

    def editable_fields(self, actor, object_name):
        locked = self.locked_fields.get((actor.user_id, object_name))
        if not locked:
            return None
        return frozenset(name for name in self.site.registry.fields(object_name) if name not in locked) | {"owner", "business_type"}


@pytest.fixture(scope="session")
def site_template(tmp_path_factory):
    """On SQLite, one initialised site file that each test copies (initialising takes seconds)."""
    if os.environ.get("TESSERA_TEST_DATABASE_URL"):
        return None
    path = tmp_path_factory.mktemp("pages") / "template.sqlite"
    init_site(f"sqlite:///{path}", shipped_packages()).dispose()
    return path


@pytest.fixture
def site(engine, site_templates):
    """A fresh site with the shipped packages, in the test's own database (on SQLite a copy of
    the session's template; the PostgreSQL ``engine`` is a schema, which no template can fill)."""
    if engine.dialect.name != "sqlite":
        return init_site(engine, shipped_packages())
    site_templates.copy(Path(engine.url.database))  # before the engine's first connection
    return site_templates.site(engine)


@pytest.fixture
def policy(site):
    return DenyingPolicy(site)


@pytest.fixture
def services(site, policy):
    return SimpleNamespace(site=site, records=RecordService(site, access=policy), security=policy)


@pytest.fixture
def people(services):
    """A manager and a rep who reports to them, and a rep of another team."""
    create = services.records.create
    manager = create(SYSTEM, "user", {"username": "wang", "name": "Wang Fang", "user_kind": "internal"})
    rep = create(SYSTEM, "user", {"username": "li", "name": "Li Lei", "user_kind": "internal", "manager": manager["id"]})
    other = create(SYSTEM, "user", {"username": "zhao", "name": "Zhao Min", "user_kind": "internal"})
    return SimpleNamespace(manager=manager["id"], rep=rep["id"], other=other["id"])


@pytest.fixture
def app(services):
    application = Starlette(routes=pages.routes(), middleware=[Middleware(PageState, services=services)])
    application.state.services = services
    return application


class Pages:
    """A TestClient speaking as one user, with helpers for the .json twins."""

    def __init__(self, client: TestClient, user_id: str | None, language: str = "en"):
        self.client = client
        self.headers = {"accept-language": language}
        if user_id:
            self.headers["x-test-user"] = user_id

    def get(self, path: str, **params):
        return self.client.get(path, params=params or None, headers=self.headers, follow_redirects=False)

    def json(self, path: str, status: int = 200, **params):
        response = self.get(path + ".json", **params)
        assert response.status_code == status, response.text
        return response.json()

    def post(self, path: str, data=None, *, csrf: bool = True, json_twin: bool = True):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = CSRF
        target = path + ".json" if json_twin else path
        return self.client.post(target, data=form, headers=self.headers, follow_redirects=False)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def as_rep(client, people):
    return Pages(client, people.rep)


@pytest.fixture
def as_manager(client, people):
    return Pages(client, people.manager)


def actor(user_id: str) -> Actor:
    return Actor(user_id=user_id)

