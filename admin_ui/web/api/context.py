"""What every API endpoint does first: find the services, require a user, read the body, map errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from admin_ui.web.responses import error, error_response, unauthenticated
from runtime.errors import RecordError

T = TypeVar("T")


def services_of(request: Request):
    return request.app.state.services


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


async def read_json(request: Request) -> Any:
    """The JSON body, or a 400 response saying why it is not JSON."""
    language = request.state.language
    try:
        raw = await request.body()
    except ClientDisconnect:
        return error(400, "invalid_json", "The request body was not received.", "未收到请求体。", language)
    if len(raw) > services_of(request).settings.max_body_bytes:
        return error(413, "too_large", "The request body is too large.", "请求体过大。", language)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        detail = problem.msg if isinstance(problem, json.JSONDecodeError) else "not UTF-8"
        return error(400, "invalid_json", f"The body is not valid JSON ({detail}).", f"请求体不是有效的 JSON（{detail}）。", language)


async def call(request: Request, work: Callable[[], T], *, if_match: bool = False) -> T | Response:
    """Run a runtime call in the thread pool; its RecordError becomes the error response."""
    try:
        return await run_in_threadpool(work)
    except RecordError as problem:
        return error_response(problem, request.state.language, if_match=if_match)
