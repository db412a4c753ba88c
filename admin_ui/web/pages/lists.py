"""List views: columns, sorting, filters per field type, quick search, scopes, keyset pages, kanban.

A list page turns its query string into the runtime's filter language and asks
``RecordService.find`` for one page, so the security predicate, the field permissions and the
keyset cursor are the runtime's own. Query parameters:

``sort``      a column, ``-`` in front for descending;
``q``         quick search over the object's searchable text fields (name field included);
``scope``     ``mine`` (records I own), ``team`` (mine and my direct reports') or ``all``;
``f.<field>`` a filter: picklists repeat it for several values, texts match a part, checkboxes
              take ``true``/``false``, references an id; numbers and dates use ``f.<field>.min``
              and ``f.<field>.max``, dates also ``f.<field>.range`` (``this_month``, ``last_n_days:30``…);
``cursor``    the next page's cursor, as the previous page gave it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages import i18n
from admin_ui.web.pages import values as v
from admin_ui.web.pages.navigation import PageNotFound, chrome, signed_in
from admin_ui.web.pages.rendering import actor_of, form_of, render, services_of, sign_in_redirect
from metadata.generated_layouts import layout_for
from runtime import list_views
from runtime.errors import RecordError

PAGE_SIZE = 50
MAX_COLUMNS = 7
SCOPES = ("all", "mine", "team")
BULK_LABELS = {"transfer": "Transfer owner", "delete": "Delete"}
SCOPE_LABELS = {"all": "All records", "mine": "My records", "team": "My team's records"}
LIST_TYPES = frozenset(
    {"text", "email", "phone", "url", "auto_number", "integer", "number", "currency", "percent", "date", "datetime",
     "checkbox", "picklist", "multi_picklist", "lookup", "master_detail", "user", "department", "region", "formula", "rollup"}
)
RELATIVE_RANGES = ("today", "this_week", "last_week", "this_month", "last_month", "next_month", "this_quarter", "this_year", "last_n_days:30", "next_n_days:30")


def object_or_404(request: Request, object_name: str):
    registry = services_of(request).site.registry
    if object_name not in registry.objects:
        raise PageNotFound(f"no object '{object_name}'")
    return registry.objects[object_name]


def default_layout(site, object_name: str, business_type: str | None = None):
    """The layout of a business type (the default one when not given), the object's first layout,
    or, for an object its package gave no layout, the generated one."""
    return layout_for(site.registry, object_name, business_type)


def list_columns(site, object_name: str, readable: set[str] | None) -> list[str]:
    """The name field, then key fields from the top of the default layout, then the owner."""
    object_def = site.registry.objects[object_name]
    columns = [object_def.name_field]
    layout = default_layout(site, object_name)
    candidates = layout.field_names
    if not candidates:
        candidates = [definition.api_name for definition in object_def.fields]
    for name in candidates:
        if len(columns) >= MAX_COLUMNS - 1:
            break
        kind = v.field_type(site, object_name, name)
        if name in columns or name in v.SYSTEM_TYPES or kind not in LIST_TYPES:
            continue
        columns.append(name)
    if object_def.features.owner:
        columns.append("owner")
    return [name for name in columns if readable is None or name in readable or name in v.SYSTEM_TYPES]


def readable_fields(request: Request, object_name: str) -> set[str] | None:
    permissions = services_of(request).security.field_permissions(actor_of(request), object_name)
    return {name for name, allowed in permissions.items() if allowed.get("read")}


def _sortable(site, object_name: str, name: str) -> bool:
    kind = v.field_type(site, object_name, name)
    return kind not in ("multi_picklist", "tags", "file", "image", "geolocation", "long_text", "rich_text", "rollup")


def filter_specs(site, object_name: str, columns: list[str], language: str) -> list[dict[str, Any]]:
    """The filters a list offers: the columns, the stage field, then the default layout's fields."""
    object_def = site.registry.objects[object_name]
    layout = default_layout(site, object_name)
    names = list(columns)
    for name in layout.field_names:
        if name not in names and name not in v.SYSTEM_TYPES:
            names.append(name)
    if object_def.stage_field and object_def.stage_field not in names:
        names.append(object_def.stage_field)
    specs = []
    for name in names:
        kind = v.field_type(site, object_name, name)
        spec: dict[str, Any] = {"field": name, "label": v.field_label(site, object_name, name, language), "type": kind}
        if kind in ("picklist", "multi_picklist"):
            spec["widget"] = "choices"
            spec["choices"] = [{"value": key, "label": label} for key, label in v.choice_labels(site, object_name, name, language).items()]
        elif kind in ("integer", "number", "currency", "percent"):
            spec["widget"] = "range"
        elif kind in ("date", "datetime"):
            spec["widget"] = "dates"
            spec["ranges"] = [{"value": token, "label": i18n.gettext(language, token)} for token in RELATIVE_RANGES]
        elif kind == "checkbox":
            spec["widget"] = "boolean"
        elif kind in ("text", "email", "phone", "url", "auto_number"):
            spec["widget"] = "text"
        elif kind in v.REFERENCE_TYPES and len(v.targets(site, object_name, name)) == 1:
            spec["widget"] = "reference"
        else:
            continue
        specs.append(spec)
    return specs


def parse_filters(params, site, object_name: str, specs: list[dict[str, Any]]) -> tuple[list[dict], dict[str, Any]]:
    """The filter-language conditions the ``f.*`` parameters (a query string or a posted form) ask for, and the values to redisplay."""
    conditions: list[dict] = []
    chosen: dict[str, Any] = {}
    for spec in specs:
        name, widget = spec["field"], spec["widget"]
        key = f"f.{name}"
        if widget == "choices":
            picked = [value for value in params.getlist(key) if value]
            if picked:
                chosen[name] = picked
                if spec["type"] == "multi_picklist":
                    conditions.append({"or": [{name: {"contains": value}} for value in picked]})
                else:
                    conditions.append({name: {"in": picked}})
        elif widget in ("range", "dates"):
            low, high = params.get(f"{key}.min") or None, params.get(f"{key}.max") or None
            relative = params.get(f"{key}.range") or None if widget == "dates" else None
            if low is not None:
                conditions.append({name: {"gte": low}})
            if high is not None:
                conditions.append({name: {"lte": high}})
            if relative is not None:
                conditions.append({name: {"eq": relative}})
            if low or high or relative:
                chosen[name] = {"min": low, "max": high, "range": relative}
        elif widget == "boolean":
            value = params.get(key)
            if value in ("true", "false"):
                chosen[name] = value
                conditions.append({name: value == "true"})
        elif widget in ("text", "reference"):
            value = (params.get(key) or "").strip()
            if value:
                chosen[name] = value
                conditions.append({name: {"contains": value}} if widget == "text" else {name: value})
    return conditions, chosen


def quick_search(site, object_name: str, text: str) -> dict | None:
    """Any searchable text field (the name field always) containing ``text``."""
    object_def = site.registry.objects[object_name]
    names = [object_def.name_field] + [
        definition.api_name
        for definition in object_def.fields
        if getattr(definition, "searchable", False) and definition.type in v.TEXT_TYPES and definition.api_name != object_def.name_field
    ]
    if v.field_type(site, object_name, object_def.name_field) not in v.TEXT_TYPES:
        names = names[1:]
    if not names or not text:
        return None
    return {"or": [{name: {"contains": text}} for name in names]}


#: at most this many of the best index matches make a list's quick search (the filter's IN limit)
QUICK_SEARCH_HITS = 1000


def indexed_search(services, actor, object_name: str, text: str) -> dict | None:
    """The quick search of a list as a filter: the ids the search index finds (through the
    caller's security predicate), or the LIKE filter of :func:`quick_search` for an object
    without an index."""
    if not text:
        return None
    if object_name not in services.records.search.specs:
        return quick_search(services.site, object_name, text)
    hits = services.records.search_records(actor, text, [object_name], limit=QUICK_SEARCH_HITS)
    # no hit: an id no record has, so the list is empty rather than unfiltered
    return {"id": {"in": [hit.id for hit in hits] or ["-"]}}


def scope_filter(scope: str, user_id: str | None, has_owner: bool) -> dict | None:
    if not has_owner or scope == "all" or user_id is None:
        return None
    if scope == "mine":
        return {"owner": user_id}
    return {"or": [{"owner": user_id}, {"owner.manager": user_id}]}


def row_of(site, object_name: str, record: dict, columns: list[str], language: str, app: str, zone: str) -> dict[str, Any]:
    return {
        "id": record["id"],
        "url": f"/app/{app}/{object_name}/{record['id']}",
        "cells": [v.display(site, object_name, name, record, language, app=app, zone=zone) for name in columns],
    }


def list_state(request: Request, params, app_name: str, object_name: str, language: str) -> dict[str, Any]:
    """What a list shows for these parameters: the declared or saved view, columns, filters, search, scope, sort.

    A saved view (``saved=<id>``) supplies its filter, columns and, unless the parameters say
    otherwise, its quick search, scope and sort. Field permissions apply to it as to anything
    else: a column the user may not read is dropped, and a filter or sort on such a field is
    refused by the record pipeline (the page shows the error, never the records).
    """
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    object_def = site.registry.objects[object_name]
    readable = readable_fields(request, object_name)
    app_def = site.registry.apps.get(app_name)
    declared = [view for view in (app_def.list_views if app_def else []) if view.object == object_name]
    saved = list_views.get(services.records, actor, object_name, str(params["saved"])) if params.get("saved") else None
    view = None if saved is not None else next((item for item in declared if item.api_name == params.get("view")), None)
    definition: dict[str, Any] = dict(saved.definition) if saved is not None else {}
    if view is not None:
        definition = {"scope": view.scope, "filter": view.filter, "columns": view.columns, "sort": view.sort}
    columns = list_columns(site, object_name, readable)
    if definition.get("columns"):
        columns = [name for name in definition["columns"] if readable is None or name in readable or name in v.SYSTEM_TYPES]
    specs = [spec for spec in filter_specs(site, object_name, columns, language) if readable is None or spec["field"] in readable or spec["field"] in v.SYSTEM_TYPES]
    picked, chosen = parse_filters(params, site, object_name, specs)
    text = (params.get("q") if "q" in params else definition.get("q") or "").strip()
    scope = params.get("scope") if params.get("scope") in SCOPES else definition.get("scope") or "all"
    view_sort = definition.get("sort") or None
    sort = params.get("sort") or view_sort or "-created_at"
    sort_field = sort.lstrip("-")
    allowed_sorts = columns + ["created_at", "updated_at"] + ([view_sort.lstrip("-")] if view_sort else [])
    if sort_field not in allowed_sorts or not _sortable(site, object_name, sort_field):
        sort = "-created_at"
    return {
        "declared": declared, "view": view, "saved": saved, "base_filter": definition.get("filter") or None,
        "readable": readable, "columns": columns, "specs": specs, "picked": picked, "chosen": chosen,
        "text": text, "scope": scope, "sort": sort, "owner": object_def.features.owner,
    }


def saved_view_links(request: Request, app_name: str, object_name: str, current) -> list[dict[str, Any]]:
    """The user's own saved views of this list, then those shared with everyone."""
    services = services_of(request)
    actor = actor_of(request)
    here = f"/app/{app_name}/{object_name}"
    return [
        {
            "id": item.id, "name": item.name, "shared": item.shared, "mine": item.owner_id == actor.user_id,
            "url": here + "?" + urlencode({"saved": item.id}), "current": current is not None and current.id == item.id,
            "rename_url": f"{here}/views/{item.id}/rename", "delete_url": f"{here}/views/{item.id}/delete",
        }
        for item in list_views.list_views(services.records, actor, object_name, app_name)
    ]


def list_view(request: Request) -> Response:
    """A page of an object's records, as a table."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_def = object_or_404(request, object_name)
    data = chrome(request, app_name, object_name)
    language = data["language"]
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    permissions = services.security.object_permissions(actor, object_name)
    if not permissions.get("read"):
        raise PageNotFound(f"no object '{object_name}'")
    params = request.query_params
    state = list_state(request, params, app_name, object_name, language)
    view, saved, declared, columns, specs = state["view"], state["saved"], state["declared"], state["columns"], state["specs"]
    conditions = list(state["picked"])
    text, scope, sort, chosen = state["text"], state["scope"], state["sort"], state["chosen"]
    search = indexed_search(services, actor, object_name, text)
    if search:
        conditions.append(search)
    if state["base_filter"]:
        conditions.append(state["base_filter"])
    owned = scope_filter(scope, actor.user_id, object_def.features.owner)
    if owned:
        conditions.append(owned)
    errors: list[dict] = []
    records: list[dict] = []
    next_cursor = None
    try:
        page = services.records.find(
            actor, object_name,
            filter={"and": conditions} if conditions else None,
            sort=[sort],
            fields=columns,
            expand=v.expandable(site, object_name, columns),
            limit=PAGE_SIZE,
            cursor=params.get("cursor") or None,
        )
        records, next_cursor = page.records, page.next_cursor
    except RecordError as problem:
        errors = problem.messages(language)
    base = {key: value for key, value in params.multi_items() if key != "cursor"}
    data.update(
        title=object_def.plural_label.text(language),
        object={
            "api_name": object_name,
            "label": object_def.label.text(language),
            "plural_label": object_def.plural_label.text(language),
            "permissions": permissions,
            "kanban": bool(object_def.stage_field),
        },
        columns=[
            {
                "field": name,
                "label": v.field_label(site, object_name, name, language),
                "type": v.field_type(site, object_name, name),
                "sortable": _sortable(site, object_name, name),
                "sorted": "asc" if sort == name else ("desc" if sort == f"-{name}" else None),
                "sort_url": "?" + urlencode([*[(k, val) for k, val in params.multi_items() if k not in ("sort", "cursor")], ("sort", f"-{name}" if sort == name else name)]),
            }
            for name in columns
        ],
        rows=[row_of(site, object_name, record, columns, language, app_name, actor.time_zone) for record in records],
        filters=specs,
        chosen=chosen,
        q=text,
        sort=sort,
        scope=scope,
        scopes=[{"value": name, "label": i18n.gettext(language, SCOPE_LABELS[name])} for name in SCOPES],
        view=view.api_name if view is not None else None,
        views=[
            {"api_name": None, "label": i18n.gettext(language, "All records"), "url": f"/app/{app_name}/{object_name}", "current": view is None and saved is None},
            *[
                {"api_name": item.api_name, "label": item.label.text(language), "url": f"/app/{app_name}/{object_name}?" + urlencode({"view": item.api_name}), "current": view is item}
                for item in declared
            ],
        ],
        saved_view=saved.id if saved is not None else None,
        saved_views=saved_view_links(request, app_name, object_name, saved),
        save_url=f"/app/{app_name}/{object_name}/views" if actor.user_id else None,
        can_share=bool(services.security.is_admin(actor)),
        next_cursor=next_cursor,
        next_url=("?" + urlencode([*base.items(), ("cursor", next_cursor)])) if next_cursor else None,
        errors=errors,
        new_url=f"/app/{app_name}/{object_name}/new" if permissions.get("create") else None,
        bulk_url=f"/app/{app_name}/{object_name}/bulk" if permissions.get("edit") or permissions.get("delete") else None,
        bulk_actions=[
            {"value": action, "label": i18n.gettext(language, BULK_LABELS[action])}
            for action, allowed in (("transfer", object_def.features.owner and permissions.get("edit")), ("delete", permissions.get("delete")))
            if allowed
        ],
    )
    return render(request, "app/list.html", data, status=400 if errors else 200)


def kanban_data(request: Request, app_name: str, object_name: str) -> dict[str, Any]:
    """The kanban page's data: one lane per value of the stage field, each card with its move form."""
    object_def = object_or_404(request, object_name)
    if not object_def.stage_field:
        raise PageNotFound("no kanban for this object")
    data = chrome(request, app_name, object_name)
    language = data["language"]
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    field = object_def.stage_field
    readable = readable_fields(request, object_name)
    if readable is not None and field not in readable:
        raise PageNotFound("no kanban for this object")  # lanes would show a field the user may not read
    columns = list_columns(site, object_name, readable)
    choices = v.choice_labels(site, object_name, field, language)
    lanes = []
    for key, label in choices.items():
        page = services.records.find(
            actor, object_name, filter={field: key}, sort=["-updated_at"], fields=columns,
            expand=v.expandable(site, object_name, columns), limit=20,
        )
        total = services.records.count(actor, object_name, filter={field: key})
        lanes.append(
            {
                "value": key,
                "label": label,
                "count": total.value,
                "cards": [row_of(site, object_name, record, columns, language, app_name, actor.time_zone) for record in page.records],
            }
        )
    editable = services.security.object_permissions(actor, object_name).get("edit")
    data.update(
        title=object_def.plural_label.text(language),
        object={"api_name": object_name, "label": object_def.label.text(language), "plural_label": object_def.plural_label.text(language)},
        field=field,
        lanes=lanes,
        choices=[{"value": key, "label": label} for key, label in choices.items()],
        list_url=f"/app/{app_name}/{object_name}",
        move_url=f"/app/{app_name}/{object_name}/kanban/move" if editable else None,
        errors=[],
    )
    return data


def kanban(request: Request) -> Response:
    """Records of an object with stages, in one column per stage value."""
    if not signed_in(request):
        return sign_in_redirect(request)
    data = kanban_data(request, request.path_params["app"], request.path_params["object"])
    return render(request, "app/kanban.html", data)


#: options the type-ahead offers (split between the objects of a polymorphic lookup)
LOOKUP_OPTIONS = 10


def lookup(request: Request) -> Response:
    """Type-ahead for a reference field of a form: records of the target whose name contains ``q``
    (of each target, for a polymorphic lookup)."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_or_404(request, object_name)
    data = chrome(request, app_name, object_name)
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    name = request.query_params.get("field", "")
    found = [target for target in (v.targets(site, object_name, name) if name else ()) if target in site.registry.objects]
    if not found:
        raise PageNotFound(f"no reference field '{name}'")
    text = (request.query_params.get(f"{name}__label") or request.query_params.get("q") or "").strip()
    readable = services.security.readable_objects(actor)
    # a polymorphic lookup searches each of its objects, and each option says which it is
    each = LOOKUP_OPTIONS if len(found) == 1 else max(3, LOOKUP_OPTIONS // len(found))
    options: list[dict[str, Any]] = []
    for target in found:
        if target not in readable:
            continue
        target_def = site.registry.objects[target]
        page = services.records.find(
            actor, target, filter=quick_search(site, target, text) if text else None,
            sort=[target_def.name_field] if _sortable(site, target, target_def.name_field) else None,
            fields=[target_def.name_field], limit=each,
        )
        label = target_def.label.text(data["language"])
        for record in page.records:
            option = {"id": record["id"], "name": str(record.get(target_def.name_field) or record["id"])}
            if len(found) > 1:
                option.update(object=target, object_label=label)
            options.append(option)
    target = found[0] if len(found) == 1 else None
    data.update(field=name, target=target, q=text, options=options)
    return render(request, "app/lookup_options.html", data)


MAX_BULK = 200


def bulk(request: Request) -> Response:
    """Transfer or delete the selected records, one by one: each its own transaction, failures listed."""
    from admin_ui.web.pages.rendering import redirect

    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_or_404(request, object_name)
    data = chrome(request, app_name, object_name)
    language = data["language"]
    services = services_of(request)
    actor = actor_of(request)
    form = form_of(request)
    action = form.get("action")
    ids = [str(value) for value in form.getlist("ids") if value][:MAX_BULK]
    owner = str(form.get("owner") or "").strip()
    failures: list[dict[str, Any]] = []
    if action not in ("transfer", "delete") or not ids or (action == "transfer" and not owner):
        failures.append({"id": None, "field": "owner" if action == "transfer" and ids else None, "code": "invalid_bulk",
                         "message": i18n.gettext(language, "Choose records and an action (and the new owner to transfer to).")})
    else:
        for record_id in ids:
            try:
                if action == "delete":
                    services.records.delete(actor, object_name, record_id)
                else:
                    services.records.update(actor, object_name, record_id, {"owner": owner})
            except RecordError as problem:
                failures.extend({"id": record_id, **message} for message in problem.messages(language))
    done = len(set(ids) - {failure["id"] for failure in failures}) if ids else 0
    if failures:
        data.update(title=i18n.gettext(language, "Not done"), errors=failures, done=done, back=f"/app/{app_name}/{object_name}")
        return render(request, "app/message.html", data, status=422)
    return redirect(request, f"/app/{app_name}/{object_name}", {"done": done, "action": action})
