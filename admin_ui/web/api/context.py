"""What every API endpoint does first: find the services, resolve the caller, require a user, read
the body, map errors.

An API endpoint is a plain function ``handler(request) -> Response`` wrapped with
:func:`endpoint`: the wrapper reads the request body on the event loop, then runs, in one worker
thread, the bearer-token lookup the identity middleware deferred
(:func:`admin_ui.web.identity.resolve_pending`) and the handler itself, whose database calls are
blocking. A runtime ``RecordError`` the handler lets through becomes the API's error response.
An endpoint that must stay a coroutine (it reads a multipart form) is wrapped with
:func:`async_endpoint` instead, which resolves the caller in a hop of its own first.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from admin_ui.web.identity import resolve_pending
from admin_ui.web.responses import error, error_response, unauthenticated
from runtime.errors import RecordError

#: methods whose body the endpoint wrapper reads before the hop
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: how deeply a JSON body or ``filter`` may nest: records and filters need far fewer levels, and
#: without a bound a few kilobytes of brackets exhaust the parser's (and the filter checker's) stack
MAX_JSON_DEPTH = 32


class JsonTooDeep(ValueError):
    """A JSON text nesting more than :data:`MAX_JSON_DEPTH` arrays and objects."""


def load_json(text: str) -> Any:
    """``json.loads(text)``, refusing (JsonTooDeep) a document nested past :data:`MAX_JSON_DEPTH`."""
    try:
        value = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise JsonTooDeep(f"nested past {MAX_JSON_DEPTH} levels") from None
    pending = [(value, 1)]  # walked without recursion: the check must not fail the way it guards against
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > MAX_JSON_DEPTH:
            raise JsonTooDeep(f"nested past {MAX_JSON_DEPTH} levels")
        pending.extend((child, depth + 1) for child in children)
    return value


def _parse_int(text: str) -> int | Decimal:
    """A JSON integer; one longer than int() converts (4300 digits) as a Decimal, which the
    pipeline then refuses for the field it was sent for (out of range, too many digits…)."""
    return int(text) if len(text) <= 4000 else Decimal(text)


def too_deep(language: str, field: str | None = None) -> Response:
    """The 400 answer to a JSON document nested too deeply (the body, or the parameter ``field``)."""
    what_en, what_zh = ("The body", "请求体") if field is None else (f"'{field}'", f"“{field}”")
    return error(
        400, "too_deep", f"{what_en} nests more than {MAX_JSON_DEPTH} levels of arrays and objects.",
        f"{what_zh}的数组和对象嵌套超过 {MAX_JSON_DEPTH} 层。", language, field=field,
    )


def services_of(request: Request):
    return request.app.state.services


def endpoint(handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint running ``handler`` (and the caller's lookup) in one worker-thread hop."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        body: bytes | None = b""
        if request.method in BODY_METHODS:
            try:
                body = await request.body()
            except ClientDisconnect:
                body = None
        request.state.body = body
        return await run_in_threadpool(_handle, handler, request)

    run.resolves_identity = True  # type: ignore[attr-defined]
    return run


def _handle(handler: Callable[[Request], Response], request: Request) -> Response:
    # another worker or server may have changed the metadata: catch up before anything reads it
    services_of(request).site.refresh()
    resolve_pending(request)
    try:
        return handler(request)
    except RecordError as problem:
        return error_response(problem, request.state.language)


def async_endpoint(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A coroutine endpoint, called once the caller is resolved (a hop of its own when deferred)."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        if request.state.pending_token is not None:
            await run_in_threadpool(resolve_pending, request)
        return await handler(request)

    run.resolves_identity = True  # type: ignore[attr-defined]
    return run


def require_user(request: Request) -> Response | None:
    """401 unless the request is signed in (session cookie or bearer token)."""
    if request.state.user is None:
        return unauthenticated(request.state.language)
    return None


def unknown_object(request: Request, name: str) -> Response | None:
    """404 naming the object when ``name`` is not installed."""
    if name in services_of(request).site.registry.objects:
        return None
    return error(404, "unknown_object", f"There is no object '{name}'.", f"不存在对象 '{name}'。", request.state.language, field=None)


def json_body(request: Request) -> Any:
    """The JSON body an :func:`endpoint` read, or a 400 (413) response saying why it is not JSON."""
    language = request.state.language
    raw = request.state.body
    if raw is None:
        return error(400, "invalid_json", "The request body was not received.", "未收到请求体。", language)
    if len(raw) > services_of(request).settings.max_body_bytes:
        return error(413, "too_large", "The request body is too large.", "请求体过大。", language)
    try:
        return load_json(raw.decode("utf-8"))
    except JsonTooDeep:
        return too_deep(language)
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        detail = problem.msg if isinstance(problem, json.JSONDecodeError) else "not UTF-8"
        return error(400, "invalid_json", f"The body is not valid JSON ({detail}).", f"请求体不是有效的 JSON（{detail}）。", language)
