"""``GET /api/v1/access/{object}/{id}/explain?user=…``: why a user may or may not reach a record (admins only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, require_user, services_of, unknown_object
from admin_ui.web.responses import JSONResponse, error
from runtime.records.context import SYSTEM, Actor


def _find_user(services, key: str) -> str | None:
    """A user id from an id or a username."""
    if "\x00" in key:  # no id or username holds one (and PostgreSQL refuses it in a query)
        return None
    page = services.records.find(SYSTEM, "user", filter={"or": [{"id": key}, {"username": key}]}, fields=["id"], limit=1)
    return page.records[0]["id"] if page.records else None


def explain(request: Request) -> Response:
    if (refused := require_user(request)) is not None:
        return refused
    services, actor, language = services_of(request), request.state.actor, request.state.language
    if not services.security.is_admin(actor):
        return error(403, "admin_only", "Only administrators may explain access.", "只有管理员可以查看访问原因。", language)
    name, record_id = request.path_params["object"], request.path_params["id"]
    if (missing := unknown_object(request, name)) is not None:
        return missing
    key = request.query_params.get("user")
    if not key:
        return error(400, "required", "Give the user to explain for: ?user=<id or username>.", "请指定用户：?user=<用户 ID 或用户名>。", language, field="user")
    user_id = _find_user(services, key)
    if user_id is None:
        return error(404, "unknown_user", f"There is no user '{key}'.", f"不存在用户 '{key}'。", language, field="user")
    subject = Actor(user_id=user_id, language=language)
    explanation = services.security.explain(subject, name, record_id)
    return JSONResponse(explanation)


def routes() -> list[Route]:
    return [Route("/api/v1/access/{object}/{id}/explain", endpoint(explain), methods=["GET"], name="api_explain_access")]
