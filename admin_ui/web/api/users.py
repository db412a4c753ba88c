"""The user routes: ``POST /api/v1/users/{id}/disable``.

Disabling runs :func:`runtime.auth.users.disable_user`, the path the command line shares: the
record change and the end of the user's sessions and tokens in one transaction, refused for
oneself and for the last active administrator. A PATCH of a user record that sets ``active`` to
false takes the same path (see :mod:`admin_ui.web.api.records`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, require_user, services_of
from admin_ui.web.responses import JSONResponse
from runtime.auth.users import disable_user


def disable(request: Request) -> Response:
    if (refused := require_user(request)) is not None:
        return refused
    services = services_of(request)
    record = disable_user(services.records, request.state.actor, request.path_params["id"])
    return JSONResponse(record, headers={"ETag": f'"{record["version"]}"'})


def routes() -> list[Route]:
    return [
        Route("/api/v1/users/{id}/disable", endpoint(disable), methods=["POST"], name="api_disable_user"),
    ]
