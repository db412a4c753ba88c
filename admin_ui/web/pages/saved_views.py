"""Saving, renaming and deleting a user's own list views (stored by :mod:`runtime.list_views`).

The list page's "save view" form posts the list as it stands — quick search, scope, sort, the
``f.*`` filters, and the declared or saved view it started from — and this module turns that into
a view definition: the filters become one condition in the runtime's filter language (together
with the starting view's own filter), so the runtime checks it like any query. Only
administrators may share a view with everyone; each user renames and deletes only their own.
Every action is a POST with the CSRF token, and answers as JSON at its ``.json`` twin.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages.lists import list_state, object_or_404
from admin_ui.web.pages.navigation import chrome, signed_in
from admin_ui.web.pages.rendering import actor_of, form_of, redirect, services_of, sign_in_redirect
from runtime import list_views


def _is_on(value: Any) -> bool:
    return str(value or "").lower() in ("1", "true", "on", "yes")


def definition_of(state: dict[str, Any]) -> dict[str, Any]:
    """The view definition for a list's state (see :func:`admin_ui.web.pages.lists.list_state`)."""
    conditions = [condition for condition in (state["base_filter"], *state["picked"]) if condition]
    definition: dict[str, Any] = {"scope": state["scope"], "columns": state["columns"]}
    if state["text"]:
        definition["q"] = state["text"]
    if state["sort"] and state["sort"] != "-created_at":
        definition["sort"] = state["sort"]
    if conditions:
        definition["filter"] = conditions[0] if len(conditions) == 1 else {"and": conditions}
    return definition


def create(request: Request) -> Response:
    """Save the posted list state under the posted ``name`` (``shared`` for everyone: administrators only)."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_or_404(request, object_name)
    data = chrome(request, app_name, object_name)
    services = services_of(request)
    actor = actor_of(request)
    form = form_of(request)
    state = list_state(request, form, app_name, object_name, data["language"])
    view = list_views.save(
        services.records, actor, object_name, app_name, str(form.get("name") or ""), definition_of(state),
        shared=_is_on(form.get("shared")), may_share=bool(services.security.is_admin(actor)),
    )
    return redirect(request, f"/app/{app_name}/{object_name}?saved={view.id}", {"view": view.as_dict()})


def rename(request: Request) -> Response:
    """Rename one of the user's own views (and share or unshare it, for administrators)."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_or_404(request, object_name)
    chrome(request, app_name, object_name)
    services = services_of(request)
    actor = actor_of(request)
    form = form_of(request)
    shared = _is_on(form.get("shared")) if "shared" in form else None
    view = list_views.rename(
        services.records, actor, object_name, request.path_params["view_id"], str(form.get("name") or ""),
        shared=shared, may_share=bool(services.security.is_admin(actor)),
    )
    return redirect(request, f"/app/{app_name}/{object_name}?saved={view.id}", {"view": view.as_dict()})


def delete(request: Request) -> Response:
    """Delete one of the user's own views."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_or_404(request, object_name)
    chrome(request, app_name, object_name)
    list_views.delete(services_of(request).records, actor_of(request), object_name, request.path_params["view_id"])
    return redirect(request, f"/app/{app_name}/{object_name}", {"deleted": request.path_params["view_id"]})
