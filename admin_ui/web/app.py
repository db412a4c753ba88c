"""The web app: :func:`create_app` builds it from :class:`Settings`; nothing lives in module globals.

What the rest of the web layer (the REST API here, the end-user pages in ``admin_ui.web.pages``)
can rely on:

``app.state.services`` — a :class:`Services`:
    ``site`` (the open :class:`runtime.site.Site`), ``records`` (a ``RecordService`` wired to the
    site's security policy), ``security`` (the ``SecurityPolicy``), ``auth`` (the
    ``runtime.auth.Authenticator``), ``settings`` and ``templates`` (Jinja2, autoescaping, loading
    from ``admin_ui/web/templates``).

``request.state`` (filled for every request by :class:`admin_ui.web.identity.IdentityMiddleware`;
under ``/api/`` a bearer token is resolved by the endpoint wrapper of
``admin_ui.web.api.context``, which every API route must use, in the endpoint's own worker-thread
hop — ``create_app`` refuses an API route without it):
    ``user`` — the signed-in user's record, or None;
    ``actor`` — the runtime ``Actor`` (user id, language, time zone) to pass to ``records``;
    ``language`` — ``"en"`` or ``"zh"`` (Accept-Language, else the user's setting, else en);
    ``auth`` — ``"session"`` (cookie), ``"token"`` (bearer) or None;
    ``csrf_token`` — the session's CSRF token: every form posted with the session cookie must
    carry it as the field ``csrf_token`` (or the header ``X-CSRF-Token`` for fetch/htmx), or the
    middleware answers 403 before any route runs.

Sign-in: ``GET/POST /login`` (form; ``?next=/path`` to come back), ``POST /logout`` (form with
``csrf_token``). The session cookie (``settings.session_cookie``, default ``tessera_session``) is
HttpOnly and SameSite=Lax, and is revoked server-side on sign-out or when the user is disabled.
Pages that need a user should redirect anonymous visitors to ``/login?next=…``
(:func:`admin_ui.web.auth_routes.login_redirect`).

Routes: the API under ``/api/v1`` (see docs/api.md), ``/api/docs`` (the OpenAPI page), the
sign-in pages, then whatever ``admin_ui.web.pages.routes()`` returns, when that package exists.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute
from starlette.templating import Jinja2Templates

from admin_ui.web import auth_routes
from admin_ui.web.api import routes as api_routes
from admin_ui.web.identity import DEFERRED_PREFIX, IdentityMiddleware, resolve_pending
from admin_ui.web.responses import error
from admin_ui.web.settings import Settings
from runtime.auth import Authenticator
from runtime.records.service import RecordService
from runtime.site import Site, configure_engine, init_site, is_initialised, open_site

__all__ = ["Services", "Settings", "create_app", "open_or_init_site"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
PAGES_MODULE = "admin_ui.web.pages"


@dataclass
class Services:
    """What every request handler needs, built once per app."""

    site: Site
    records: RecordService
    security: object  # runtime.security.SecurityPolicy
    auth: Authenticator
    settings: Settings
    templates: Jinja2Templates


def security_policy(site: Site):
    """The site's access policy (the one place the web layer names the security package)."""
    from runtime.security import SecurityPolicy

    return SecurityPolicy(site)


def open_or_init_site(settings: Settings) -> Site:
    """Open the site in the configured database, initialising an empty one when allowed."""
    engine = configure_engine(settings.engine if settings.engine is not None else settings.database_url)
    if settings.initialise and not is_initialised(engine):
        return init_site(engine)
    return open_site(engine)


def build_services(settings: Settings, site: Site | None = None, security=None) -> Services:
    site = site if site is not None else open_or_init_site(settings)
    security = security if security is not None else security_policy(site)
    return Services(
        site=site,
        records=RecordService(site, access=security),
        security=security,
        auth=Authenticator(site, settings.auth),
        settings=settings,
        templates=Jinja2Templates(directory=str(TEMPLATES_DIR)),
    )


def _page_routes() -> list[BaseRoute]:
    try:
        module = importlib.import_module(PAGES_MODULE)
    except ModuleNotFoundError as error:
        if error.name == PAGES_MODULE:
            return []  # the end-user pages are not part of this build
        raise
    routes = getattr(module, "routes", None)
    return list(routes()) if callable(routes) else []


_HTTP_ERRORS = {
    404: ("not_found", "There is nothing at this address.", "该地址不存在。"),
    405: ("method_not_allowed", "This address does not accept that method.", "该地址不支持此请求方法。"),
}


async def _http_error(request: Request, problem: Exception) -> Response:
    """Routing errors: the API's error shape under /api, plain text elsewhere."""
    assert isinstance(problem, HTTPException)
    if not request.url.path.startswith("/api/"):
        return PlainTextResponse(problem.detail, status_code=problem.status_code, headers=problem.headers)
    code, en, zh = _HTTP_ERRORS.get(problem.status_code, ("http_error", str(problem.detail), str(problem.detail)))
    if getattr(request.state, "pending_token", None) is not None:  # the signed-in user's language
        await run_in_threadpool(resolve_pending, request)
    language = getattr(request.state, "language", "en")
    return error(problem.status_code, code, en, zh, language, headers=problem.headers)


def _check_api_routes(routes: list[BaseRoute]) -> None:
    """Every route under /api/ must resolve the bearer token the identity middleware defers there
    (``admin_ui.web.api.context.endpoint`` or ``async_endpoint``); without it the route would see
    every token caller as anonymous."""
    for route in routes:
        path = getattr(route, "path", "")
        if path.startswith(DEFERRED_PREFIX) and not getattr(getattr(route, "endpoint", None), "resolves_identity", False):
            raise TypeError(f"the API route {path} must be wrapped with admin_ui.web.api.context.endpoint")


def create_app(settings: Settings | None = None, *, site: Site | None = None, security=None) -> Starlette:
    """The Starlette app for ``settings`` (opening, or initialising, its database).

    ``site`` and ``security`` replace the site opened from the settings and its SecurityPolicy
    (an already open site; another access policy with the same interface).
    """
    settings = settings or Settings()
    services = build_services(settings, site, security)
    routes = [*api_routes.routes(), *auth_routes.routes(), *_page_routes()]
    _check_api_routes(routes)
    app = Starlette(
        routes=routes,
        middleware=[Middleware(IdentityMiddleware, services=services)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.services = services
    return app
