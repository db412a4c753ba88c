"""The stage path's actions: move a record to another stage, complete a key event.

The gate is :mod:`runtime.records.stages` (shared with the API): a move it refuses comes back
as the detail page's errors, with the reason — the key events still to complete. A kanban card
moved to another lane goes through the same gate; a refusal redraws the board with the reason.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages.forms import status_of
from admin_ui.web.pages.lists import kanban_data, object_or_404
from admin_ui.web.pages.navigation import chrome, signed_in
from admin_ui.web.pages.rendering import actor_of, form_of, language_of, redirect, render, services_of, sign_in_redirect
from admin_ui.web.pages.records import _failed
from runtime.errors import RecordError
from runtime.records import stages


def move(request: Request) -> Response:
    """Move to the stage posted as ``stage`` (a lost stage with its loss reason and details)."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name, record_id = request.path_params["app"], request.path_params["object"], request.path_params["id"]
    object_or_404(request, object_name)
    chrome(request, app_name, object_name)
    services = services_of(request)
    form = form_of(request)
    target = str(form.get("stage") or "")
    extra = {}
    # a lost stage asks for its reason in the same step: the extra fields are the ones the
    # object's field rules make visible for it; any other field of the object may be passed too
    fields = services.site.registry.fields(object_name)
    for name in form.keys():
        if name in fields and name not in ("stage",) and name != services.site.registry.objects[object_name].stage_field:
            value = form.get(name)
            extra[name] = value if value not in ("",) else None
    version = form.get("version")
    try:
        stages.move(services.records, actor_of(request), object_name, record_id, target,
                    version=int(version) if str(version or "").isdigit() else None, values=extra)
    except RecordError as problem:
        return _failed(request, problem)
    return redirect(request, f"/app/{app_name}/{object_name}/{record_id}", {"stage": target})


def key_event(request: Request) -> Response:
    """Complete (or reopen, with ``completed=false``) a key event of the current stage."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name, record_id = request.path_params["app"], request.path_params["object"], request.path_params["id"]
    object_or_404(request, object_name)
    chrome(request, app_name, object_name)
    form = form_of(request)
    try:
        path = stages.complete_key_event(
            services_of(request).records, actor_of(request), object_name, record_id, str(form.get("event") or ""),
            document=str(form.get("document") or "") or None, completed=form.get("completed", "true") != "false",
        )
    except RecordError as problem:
        return _failed(request, problem)
    return redirect(request, f"/app/{app_name}/{object_name}/{record_id}", {"win_rate": float(path.win_rate)})



def kanban_move(request: Request) -> Response:
    """Move the card posted as ``id`` to the lane posted as ``value`` (the kanban's "move to" form, or a drop)."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_def = object_or_404(request, object_name)
    kanban_data(request, app_name, object_name)  # the board must exist for this user (stage field readable)
    services = services_of(request)
    actor = actor_of(request)
    form = form_of(request)
    record_id, target = str(form.get("id") or ""), str(form.get("value") or "")
    version = form.get("version")
    try:
        record = services.records.get(actor, object_name, record_id)
        if stages.read_path(services.site, object_name, record) is not None:
            stages.move(services.records, actor, object_name, record_id, target,
                        version=int(version) if str(version or "").isdigit() else None)
        else:  # a business type without stages: an ordinary update, still under every field rule
            services.records.update(actor, object_name, record_id, {object_def.stage_field: target},
                                    version=int(version) if str(version or "").isdigit() else None)
    except RecordError as problem:
        data = kanban_data(request, app_name, object_name)
        data.update(errors=[{"id": record_id, **message} for message in problem.messages(language_of(request))], failed=record_id)
        return render(request, "app/kanban.html", data, status=status_of(problem))
    return redirect(request, f"/app/{app_name}/{object_name}/kanban", {"id": record_id, "value": target})
