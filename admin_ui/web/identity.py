"""Who is asking, in which language, and whether an unsafe request really comes from our pages.

:class:`IdentityMiddleware` runs before every route and fills ``request.state``:

* ``user`` — the signed-in user's record (as ``RecordService.get`` returns it) or None;
* ``actor`` — the runtime :class:`~runtime.records.context.Actor` for that user and language;
* ``language`` — ``"en"`` or ``"zh"``: Accept-Language when it names one of them, else the
  user's own setting, else English;
* ``auth`` — ``"token"``, ``"session"`` or None; ``csrf_token`` — the session's CSRF token
  (pages put it in forms as ``csrf_token`` or send it as the ``X-CSRF-Token`` header).

A bearer token (``Authorization: Bearer …``) is used alone when present: the session cookie is
then ignored, and CSRF does not apply, since a browser never adds that header on its own. A
request authenticated by the session cookie with an unsafe method (anything but GET, HEAD,
OPTIONS) must carry the session's CSRF token, or it is refused with 403 before any route runs.

Under ``/api/`` a bearer token is not looked up here: ``request.state.pending_token`` holds it,
and the API endpoint wrapper (:func:`admin_ui.web.api.context.endpoint`) resolves it with
:func:`resolve_pending` in the same worker-thread hop as the endpoint's own database work, so an
API call crosses to the thread pool once rather than twice. Until then the request's state is an
anonymous caller's (``user`` None), so a route that forgot to resolve it refuses rather than
trusts; :func:`admin_ui.web.app.create_app` refuses to build an app with such a route.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_ui.web.responses import error
from runtime.errors import RecordError
from runtime.records.context import SYSTEM, Actor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LANGUAGES = ("en", "zh")
#: unsafe requests that use no ambient authority (they carry a username and password)
CSRF_EXEMPT = frozenset({("POST", "/login"), ("POST", "/api/v1/auth/token")})
#: where a bearer token is resolved by the endpoint, in its own worker-thread hop
DEFERRED_PREFIX = "/api/"


def _anonymous() -> dict[str, Any]:
    return {"user": None, "auth": None, "csrf_token": None, "session_secret": None, "token": None, "pending_token": None}


def accepted_language(header: str | None) -> str | None:
    """The first of en/zh in an Accept-Language header, by quality; None if it names neither."""
    if not header:
        return None
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def bearer_token(headers: Headers) -> str | None:
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class IdentityMiddleware:
    """Fills ``request.state`` with the user, actor and language, and enforces CSRF (pure ASGI)."""

    def __init__(self, app: ASGIApp, services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request = Request(scope)
        token = bearer_token(headers)
        session_secret = None if token is not None else request.cookies.get(self.services.settings.session_cookie)
        if token is not None and scope["path"].startswith(DEFERRED_PREFIX):
            state = _anonymous()
            state["pending_token"] = token
        elif token is None and not session_secret:
            state = _anonymous()
        else:
            state = await run_in_threadpool(resolve, self.services, token, session_secret)
        _complete(state, headers, self.services.site.time_zone)
        scope.setdefault("state", {}).update(state)

        if state["auth"] == "session" and scope["method"] not in SAFE_METHODS and (scope["method"], scope["path"]) not in CSRF_EXEMPT:
            ok, receive = await _check_csrf(headers, receive, state["csrf_token"])
            if not ok:
                response = error(
                    403, "csrf_failed",
                    "The form has expired or did not come from this site; reload the page and try again.",
                    "表单已过期或并非来自本站，请刷新页面后重试。", state["language"],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def resolve(services, token: str | None, session_secret: str | None) -> dict[str, Any]:
    """Who presents this token or session cookie: the request state's identity keys (one
    connection for both lookups; call it in a worker thread)."""
    state = _anonymous()
    with services.site.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            # Reads only, so no transaction: that spares the BEGIN and ROLLBACK round trips around
            # the one lookup (the request's own transaction comes later). SQLite has no round
            # trips to spare, and switching the mode there costs more than it saves.
            connection.execution_options(isolation_level="AUTOCOMMIT")
        if token is not None:
            holder = services.auth.token_holder(token, connection=connection) if token else None
            if holder is not None:
                state.update(auth="token", token=token, user=_user(services, holder.user_id, holder.user_version, connection))
        elif session_secret:
            session = services.auth.session(session_secret, connection=connection)
            if session is not None:
                state.update(
                    auth="session",
                    csrf_token=session.csrf_token,
                    session_secret=session_secret,
                    user=_user(services, session.user_id, session.user_version, connection),
                )
    if state["user"] is None:
        state.update(auth=None, csrf_token=None, session_secret=None, token=None)
    return state


def resolve_pending(request: Request) -> None:
    """Resolve the bearer token the middleware left in ``request.state.pending_token`` (in a
    worker thread: it reads the database); nothing to do when there is none."""
    token = request.state.pending_token
    if token is None:
        return
    state = resolve(request.app.state.services, token, None)
    _complete(state, request.headers, request.app.state.services.site.time_zone)
    request.scope["state"].update(state)


#: user records kept per app, by id and version (the sign-in lookup reads the version with the
#: token or session, so a caller costs one read, not two, while their record is unchanged)
MAX_CACHED_USERS = 10_000


def _user(services, user_id: str, version: int | None, connection) -> dict[str, Any] | None:
    """The user's record as ``RecordService.get`` returns it to a platform job.

    Every change through the record pipeline moves the record's version, so a record read for a
    version stays right for it, unless the user object has fields computed when read (formulas,
    which may read other records or today's date): then it is read every time. The cache is
    dropped with the metadata it was read under.
    """
    registry = services.site.registry
    cache = getattr(services, "_user_records", None)
    if cache is None or cache[0] is not registry:
        computed = any(field.type == "formula" for field in registry.objects["user"].fields)
        cache = services._user_records = (registry, None if computed else {})
    records = cache[1]
    key = (user_id, version)
    if records is not None and version is not None and key in records:
        return dict(records[key])  # a copy: a request may change what it was given
    try:
        record = services.records.get(SYSTEM, "user", user_id, connection=connection)
    except RecordError:
        return None
    if records is not None and record.get("version") == version:
        if len(records) >= MAX_CACHED_USERS:
            records.clear()
        records[key] = dict(record)
    return record


def _complete(state: dict[str, Any], headers: Headers, site_zone: str = "UTC") -> None:
    """Add the language and the runtime actor for the state's user (or the anonymous caller).

    The actor's time zone only changes how datetimes are shown to the user (their own zone, else
    the site's); what day it is for formulas and filters is the site's everywhere.
    """
    user = state["user"]
    language = accepted_language(headers.get("accept-language")) or (user or {}).get("language") or "en"
    state["language"] = language = language if language in LANGUAGES else "en"
    state["actor"] = Actor(user_id=user["id"] if user else None, language=language, time_zone=_zone(user, site_zone))


def _zone(user: dict[str, Any] | None, site_zone: str = "UTC") -> str:
    zone = (user or {}).get("time_zone") or site_zone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return zone


async def _check_csrf(headers: Headers, receive: Receive, expected: str | None) -> tuple[bool, Receive]:
    """Whether the request carries ``expected`` (header or form field); the receive to use next."""
    if not expected:
        return False, receive
    sent = headers.get(CSRF_HEADER)
    if sent is not None:
        return secrets.compare_digest(sent.encode(), expected.encode()), receive
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return False, receive
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    if content_type == "application/x-www-form-urlencoded":
        fields = dict(parse_qsl(body.decode("utf-8", "replace")))
        sent = fields.get(CSRF_FIELD)
    else:
        sent = await _multipart_field(headers, body, CSRF_FIELD)
    ok = isinstance(sent, str) and secrets.compare_digest(sent.encode(), expected.encode())
    return ok, replay


async def _multipart_field(headers: Headers, body: bytes, name: str) -> str | None:
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def stream():
        yield body

    try:
        form = await MultiPartParser(headers, stream()).parse()
    except (MultiPartException, ValueError, KeyError):
        return None
    try:
        value = form.get(name)
        return value if isinstance(value, str) else None
    finally:
        await form.close()
