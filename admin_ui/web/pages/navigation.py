"""Navigation: apps and their tabs, filtered by what the user may read, and the language switch.

Every page's data starts with :func:`chrome` — who is signed in, the language, the apps with the
tabs this user may open — so the ``.json`` twin of any page shows the same navigation the HTML
draws. An object the user may not read has no tab, and an app with no tab left is not listed.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages import i18n
from admin_ui.web.pages.rendering import (
    LANGUAGE_COOKIE,
    actor_of,
    form_of,
    language_of,
    redirect,
    render,
    services_of,
    sign_in_redirect,
)


class PageNotFound(HTTPException):
    def __init__(self, detail: str = "not found"):
        super().__init__(status_code=404, detail=detail)


def visible_apps(request: Request) -> list[dict[str, Any]]:
    """The apps this user sees, each with the tabs of objects they may read, in metadata sequence."""
    services = services_of(request)
    registry = services.site.registry
    language = language_of(request)
    readable = set(services.security.readable_objects(actor_of(request)))
    apps = []
    for app in registry.apps.values():
        tabs = [
            {
                "object": name,
                "label": registry.objects[name].plural_label.text(language),
                "url": f"/app/{app.api_name}/{name}",
            }
            for name in app.tabs
            if name in readable and name in registry.objects
        ]
        if tabs:
            apps.append(
                {
                    "api_name": app.api_name,
                    "label": app.label.text(language),
                    "description": app.description.text(language) if app.description else None,
                    "url": f"/app/{app.api_name}",
                    "tabs": tabs,
                }
            )
    return apps


def chrome(request: Request, app_name: str | None = None, object_name: str | None = None) -> dict[str, Any]:
    """What every page shows around its content (raises 404 for an app the user cannot see)."""
    apps = visible_apps(request)
    current = None
    if app_name is not None:
        current = next((app for app in apps if app["api_name"] == app_name), None)
        if current is None:
            raise PageNotFound(f"no app '{app_name}'")
        if object_name is not None and object_name not in {tab["object"] for tab in current["tabs"]}:
            # an object reached from a link (a lookup, a related list) outside the app's tabs is
            # fine as long as the user may read it
            readable = services_of(request).security.readable_objects(actor_of(request))
            if object_name not in readable:
                raise PageNotFound(f"no object '{object_name}'")
    user = request.state.user or {}
    language = language_of(request)
    return {
        "language": language,
        "user": {"id": user.get("id"), "name": user.get("name") or user.get("username")},
        "apps": apps,
        "app": current,
        "tab": object_name,
        "here": request.url.path.removesuffix(".json"),
        "languages": [{"code": code, "label": label} for code, label in (("en", "English"), ("zh", "中文"))],
    }


def signed_in(request: Request) -> bool:
    return getattr(request.state, "user", None) is not None


def home(request: Request) -> Response:
    """The start page: the user's apps (or straight into the only one)."""
    if not signed_in(request):
        return sign_in_redirect(request)
    data = chrome(request)
    data["title"] = i18n.gettext(data["language"], "Apps")
    return render(request, "app/home.html", data)


def app_home(request: Request) -> Response:
    """An app's start page: its tabs."""
    if not signed_in(request):
        return sign_in_redirect(request)
    data = chrome(request, request.path_params["app"])
    data["title"] = data["app"]["label"]
    return render(request, "app/app.html", data)


def switch_language(request: Request) -> Response:
    """Remember the user's language choice (a cookie) and go back where they were."""
    form = form_of(request)
    language = form.get("language")
    if language not in i18n.LANGUAGES:
        language = "en"
    back = form.get("next")
    if not isinstance(back, str) or not back.startswith("/") or back.startswith("//"):
        back = "/app"
    response = redirect(request, back, {"language": language})
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response
