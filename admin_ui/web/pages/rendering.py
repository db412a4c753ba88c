"""Rendering a page: one data dict, drawn as HTML by a template or sent as its ``.json`` twin.

Every page handler computes a plain dict and hands it to :func:`render`. A request whose path
ends in ``.json`` gets that dict as JSON; any other gets the template, which sees exactly the same
dict (plus the translation functions). So tests check data through the twin, and the markup can
only show what the data holds.

HTML responses carry a content security policy that allows scripts, styles and images from this
site only: no inline script, no ``eval`` (htmx is told not to use it), nothing from elsewhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_ui.web.pages import i18n

TEMPLATES_DIR = Path(__file__).parents[1] / "templates"
STATIC_DIR = Path(__file__).parents[1] / "static"
LANGUAGE_COOKIE = "tessera_language"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def wants_json(request: Request) -> bool:
    """Whether the request asked for the page's ``.json`` twin."""
    return request.url.path.endswith(".json")


def language_of(request: Request) -> str:
    """The page language: the user's switch (cookie) first, then what the app core decided."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in i18n.LANGUAGES:
        return chosen
    language = getattr(request.state, "language", "en") or "en"
    return "zh" if language.startswith("zh") else "en"


def actor_of(request: Request):
    """The request's runtime Actor, speaking the page language."""
    actor = request.state.actor
    language = language_of(request)
    return actor if actor.language == language else dataclasses.replace(actor, language=language)


def form_of(request: Request) -> FormData:
    """The submitted form: read and parsed on the event loop before the page handler ran in a
    worker thread (see :mod:`admin_ui.web.pages`)."""
    return request.state.form


def services_of(request: Request):
    return request.app.state.services


def _environment(request: Request) -> jinja2.Environment:
    # One environment per app (kept on app.state, never in a module global): templates are
    # compiled once, and autoescaping is on for every template whatever its name.
    environment = getattr(request.app.state, "pages_environment", None)
    if environment is None:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": True}
        request.app.state.pages_environment = environment
    return environment


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def to_json(data: Any) -> bytes:
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(request: Request, template: str, data: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The page as HTML (``template`` over ``data``) or, for ``….json``, ``data`` itself."""
    extra = {**SECURITY_HEADERS, **(headers or {})}
    if wants_json(request):
        return Response(to_json(data), status_code=status, media_type="application/json", headers=extra)
    language = data.get("language") or language_of(request)
    translations = i18n.translations(language)
    html = _environment(request).get_template(template).render(
        **data,
        _=translations.gettext,
        ngettext=translations.ngettext,
        csrf_token=getattr(request.state, "csrf_token", None) or "",
        htmx_headers=json.dumps({"X-CSRF-Token": getattr(request.state, "csrf_token", None) or ""}),
    )
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=extra)


def redirect(request: Request, url: str, data: dict[str, Any] | None = None) -> Response:
    """After a successful form post: 303 to ``url`` (HTML) or the result as JSON (``.json``)."""
    if wants_json(request):
        return Response(to_json({"redirect": url, **(data or {})}), media_type="application/json", headers=SECURITY_HEADERS)
    response = RedirectResponse(url, status_code=303)
    if request.headers.get("hx-request"):
        response = Response(status_code=204, headers={"HX-Redirect": url})
    return response


def sign_in_redirect(request: Request) -> Response:
    """Anonymous visitors go to the sign-in page and come back here afterwards."""
    from urllib.parse import urlencode

    if wants_json(request):
        body = {"errors": [{"field": None, "code": "unauthenticated", "message": i18n.translations(language_of(request)).gettext("Sign in first.")}]}
        return Response(to_json(body), status_code=401, media_type="application/json", headers=SECURITY_HEADERS)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
