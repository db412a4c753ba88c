"""The user routes: ``POST /api/v1/users/{id}/disable`` and ``POST /api/v1/users/{id}/unlock``.

Disabling runs :func:`runtime.auth.users.disable_user`, the path the command line shares: the
record change and the end of the user's sessions and tokens in one transaction, refused for
oneself and for the last active administrator. A PATCH of a user record that sets ``active`` to
false takes the same path (see :mod:`admin_ui.web.api.records`). Unlocking clears the failed
sign-in lock of the user's username (administrators only).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, require_user, services_of
from admin_ui.web.responses import JSONResponse, error
from runtime.auth.users import USER_OBJECT, disable_user
from runtime.records.context import SYSTEM


def disable(request: Request) -> Response:
    if (refused := require_user(request)) is not None:
        return refused
    services = services_of(request)
    record = disable_user(services.records, request.state.actor, request.path_params["id"])
    return JSONResponse(record, headers={"ETag": f'"{record["version"]}"'})


def unlock(request: Request) -> Response:
    if (refused := require_user(request)) is not None:
        return refused
    services, actor, language = services_of(request), request.state.actor, request.state.language
    if not services.security.is_admin(actor):
        return error(403, "admin_only", "Only administrators may unlock sign-in.", "只有管理员可以解除登录锁定。", language)
    # read as the platform: an administrator reaches every user anyway
    user = services.records.get(SYSTEM, USER_OBJECT, request.path_params["id"], fields=["username"])
    services.auth.unlock(user["username"])
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route("/api/v1/users/{id}/disable", endpoint(disable), methods=["POST"], name="api_disable_user"),
        Route("/api/v1/users/{id}/unlock", endpoint(unlock), methods=["POST"], name="api_unlock_user"),
    ]
