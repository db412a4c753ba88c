"""Record pages: the detail view drawn from the layout of the record's business type.

Sections hold the layout's fields (those the user may read, and those a field rule does not
hide), formatted per type and locale; related lists show the children whose reference points
here, each with a "new" link pre-filled with this record; the field history is a timeline; a
record in the recycle bin is shown as such, with a restore button instead of edit and delete.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages import i18n
from admin_ui.web.pages import values as v
from admin_ui.web.pages.forms import rule_states, status_of
from admin_ui.web.pages.lists import default_layout, object_or_404, readable_fields
from admin_ui.web.pages.reading import _plain, load_record
from admin_ui.web.pages.navigation import chrome, signed_in
from admin_ui.web.pages.rendering import actor_of, form_of, redirect, render, services_of, sign_in_redirect
from runtime.errors import RecordError
from runtime.records import stages


def related_lists(request: Request, app_name: str, object_name: str, record_id: str, layout, language: str) -> list[dict[str, Any]]:
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    readable_objects = set(services.security.readable_objects(actor))
    lists = []
    for related in layout.related_lists:
        if related.object not in readable_objects:
            continue
        child = site.registry.objects[related.object]
        readable = readable_fields(request, related.object)
        columns = [name for name in related.columns if readable is None or name in readable or name in v.SYSTEM_TYPES]
        sort = [related.sort] if related.sort else ["-created_at"]
        try:
            page = services.records.find(
                actor, related.object, filter={related.field: record_id}, sort=sort, fields=columns,
                expand=v.expandable(site, related.object, columns), limit=related.limit,
            )
            records = page.records
            more = page.next_cursor is not None
        except RecordError:
            records, more = [], False
        field_def = v.definition_of(site, related.object, related.field)
        title = related.label or getattr(field_def, "related_list_label", None) or child.plural_label
        can_create = services.security.object_permissions(actor, related.object).get("create")
        lists.append(
            {
                "object": related.object,
                "field": related.field,
                "label": title.text(language),
                "columns": [{"field": name, "label": v.field_label(site, related.object, name, language)} for name in columns],
                "rows": [
                    {
                        "id": record["id"],
                        "url": f"/app/{app_name}/{related.object}/{record['id']}",
                        "cells": [v.display(site, related.object, name, record, language, app=app_name, zone=actor.time_zone) for name in columns],
                    }
                    for record in records
                ],
                "more": more,
                "view_all_url": f"/app/{app_name}/{related.object}?" + urlencode({f"f.{related.field}": record_id}),
                "new_url": f"/app/{app_name}/{related.object}/new?" + urlencode({related.field: record_id}) if can_create else None,
            }
        )
    return lists


#: the history's record events (runtime.records.history), as the timeline words them
HISTORY_EVENTS = {"_created": "Created", "_deleted": "Moved to the recycle bin", "_restored": "Restored from the recycle bin"}


def timeline(request: Request, app_name: str, object_name: str, record_id: str, language: str) -> list[dict[str, Any]]:
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    if not site.registry.objects[object_name].features.history:
        return []
    try:
        entries = services.records.history(actor, object_name, record_id)
    except RecordError:
        return []
    readable = readable_fields(request, object_name)
    shown = []
    for entry in reversed(entries):
        name = entry["field"]
        if name in HISTORY_EVENTS:  # created, deleted, restored: an event, not a change of value
            shown.append(
                {
                    "field": name,
                    "event": True,
                    "label": i18n.gettext(language, HISTORY_EVENTS[name]),
                    "old": "",
                    "new": "",
                    "changed_by": entry["changed_by"],
                    "changed_at": i18n.datetime(entry["changed_at"], language, actor.time_zone) if entry["changed_at"] else "",
                }
            )
            continue
        if readable is not None and name in site.registry.fields(object_name) and name not in readable:
            continue
        before = v.display(site, object_name, name, {name: entry["old_value"]}, language, app=app_name, zone=actor.time_zone)
        after = v.display(site, object_name, name, {name: entry["new_value"]}, language, app=app_name, zone=actor.time_zone)
        shown.append(
            {
                "field": name,
                "label": v.field_label(site, object_name, name, language) if name in site.registry.fields(object_name) or name in v.SYSTEM_TYPES else i18n.gettext(language, name),
                "old": before["text"],
                "new": after["text"],
                "event": False,
                "changed_by": entry["changed_by"],
                "changed_at": i18n.datetime(entry["changed_at"], language, actor.time_zone) if entry["changed_at"] else "",
            }
        )
    return shown


def lost_fields(request: Request, object_name: str, record: dict[str, Any], path, language: str) -> list[dict[str, Any]]:
    """The fields a field rule shows or requires once the record is at a lost stage (asked with the move)."""
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    lost = next((stage["value"] for stage in path.as_dict(language)["stages"] if stage["outcome"] == "lost"), None)
    if lost is None:
        return []
    now = rule_states(services, actor, object_name, record, record, record.get("business_type"))
    then = rule_states(services, actor, object_name, {**record, path.field: lost}, record, record.get("business_type"))
    found = []
    for name, state in then.items():
        before = now.get(name, {})
        if (state["visible"] and not before.get("visible", True)) or (state["required"] and not before.get("required")):
            kind = v.field_type(site, object_name, name)
            choices = [{"value": key, "label": label} for key, label in v.choice_labels(site, object_name, name, language).items()] if kind == "picklist" else None
            found.append({"field": name, "label": v.field_label(site, object_name, name, language), "required": state["required"], "choices": choices})
    return found


def detail(request: Request) -> Response:
    """One record, laid out by its business type's layout."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name, record_id = request.path_params["app"], request.path_params["object"], request.path_params["id"]
    object_def = object_or_404(request, object_name)
    data = chrome(request, app_name, object_name)
    language = data["language"]
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    record, deleted = load_record(request, object_name, record_id)
    layout = default_layout(site, object_name, record.get("business_type"))
    readable = readable_fields(request, object_name)
    rules = rule_states(services, actor, object_name, _plain(record), _plain(record), record.get("business_type"))
    sections = []
    for section in layout.sections:
        fields = [
            {
                "label": v.field_label(site, object_name, item.field, language),
                **v.display(site, object_name, item.field, record, language, app=app_name, zone=actor.time_zone),
            }
            for item in section.items
            if (readable is None or item.field in readable or item.field in v.SYSTEM_TYPES) and rules.get(item.field, {}).get("visible", True)
        ]
        if fields:
            sections.append({"api_name": section.api_name, "label": section.label.text(language), "columns": section.columns, "collapsed": section.collapsed, "fields": fields})
    permissions = services.security.object_permissions(actor, object_name)
    path = None if deleted else stages.read_path(site, object_name, _plain(record))
    base = f"/app/{app_name}/{object_name}/{record_id}"
    name_value = record.get(object_def.name_field)
    data.update(
        lost_fields=lost_fields(request, object_name, _plain(record), path, language) if path else [],
        title=str(name_value if name_value not in (None, "") else record_id),
        object={"api_name": object_name, "label": object_def.label.text(language), "plural_label": object_def.plural_label.text(language), "permissions": permissions},
        record={
            "id": record_id,
            "name": str(name_value if name_value not in (None, "") else record_id),
            "version": record.get("version"),
            "deleted": deleted,
            "business_type": v.display(site, object_name, "business_type", record, language, app=app_name)["text"] if object_def.business_types else None,
        },
        sections=sections,
        stage_path=path.as_dict(language) if path else None,
        related=[] if deleted else related_lists(request, app_name, object_name, record_id, layout, language),
        history=timeline(request, app_name, object_name, record_id, language),
        urls={
            "self": base,
            "list": f"/app/{app_name}/{object_name}",
            "edit": f"{base}/edit" if permissions.get("edit") and not deleted else None,
            "delete": f"{base}/delete" if permissions.get("delete") and not deleted else None,
            "restore": f"{base}/restore" if permissions.get("delete") and deleted else None,
            "stage": f"{base}/stage" if path and permissions.get("edit") else None,
            "key_event": f"{base}/key-event" if path and permissions.get("edit") else None,
        },
        errors=[],
    )
    return render(request, "app/detail.html", data)


def delete(request: Request) -> Response:
    """Move a record to the recycle bin."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name, record_id = request.path_params["app"], request.path_params["object"], request.path_params["id"]
    object_or_404(request, object_name)
    form = form_of(request)
    version = form.get("version")
    try:
        services_of(request).records.delete(actor_of(request), object_name, record_id, version=int(version) if version and str(version).isdigit() else None)
    except RecordError as problem:
        return _failed(request, problem)
    return redirect(request, f"/app/{app_name}/{object_name}/{record_id}", {"deleted": True})


def restore(request: Request) -> Response:
    """Bring a record back from the recycle bin."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name, record_id = request.path_params["app"], request.path_params["object"], request.path_params["id"]
    object_or_404(request, object_name)
    try:
        services_of(request).records.restore(actor_of(request), object_name, record_id)
    except RecordError as problem:
        return _failed(request, problem)
    return redirect(request, f"/app/{app_name}/{object_name}/{record_id}", {"restored": True})


def _failed(request: Request, problem: RecordError) -> Response:
    """The errors of a refused action, with a way back to the record."""
    data = chrome(request)
    data.update(title=i18n.gettext(data["language"], "Not done"), errors=problem.messages(data["language"]), back=request.url.path.rsplit("/", 1)[0])
    return render(request, "app/message.html", data, status=status_of(problem))
