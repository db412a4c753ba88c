"""Create and edit forms drawn from the layout of a business type.

A form lists the layout's fields with an input per field type. Field rules (visible / required /
read-only while a formula holds) are evaluated here with the record pipeline's own compiled
formulas; the form posts its values to ``…/form`` through htmx whenever a field changes, and gets
the fields back re-drawn, so a rule reacts while the user types. The save itself goes through
``RecordService``: its errors come back next to their fields and at the top, and a version
conflict (someone saved in between) is explained with a link to reload.

Fields the user may not read are left out; fields they may not edit, computed fields and fields
a rule makes read-only are shown but not sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import formula
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages import i18n
from admin_ui.web.pages import values as v
from admin_ui.web.pages.lists import default_layout, object_or_404
from admin_ui.web.pages.navigation import chrome, signed_in
from admin_ui.web.pages.reading import _plain, load_record
from admin_ui.web.pages.rendering import actor_of, form_of, redirect, render, services_of, sign_in_redirect
from runtime.records import stages
from runtime.records.coercion import Invalid
from runtime.records.messages import field_error
from runtime.records.context import SYSTEM
from runtime.errors import (
    QueryError,
    RecordConflictError,
    RecordError,
    RecordNotFoundError,
    RecordPermissionError,
    RecordValidationError,
)

COMPUTED = frozenset({"auto_number", "formula", "rollup"})
NOT_ON_FORMS = frozenset({"file", "image", "geolocation"})
INPUT_TYPES = {
    "text": "text", "email": "email", "phone": "tel", "url": "url", "integer": "number", "number": "number",
    "currency": "number", "percent": "number", "date": "date", "datetime": "datetime-local", "time": "time",
}
STATUS = ((QueryError, 400), (RecordNotFoundError, 404), (RecordPermissionError, 403), (RecordConflictError, 409), (RecordValidationError, 422))


def status_of(problem: RecordError) -> int:
    return next((status for kind, status in STATUS if isinstance(problem, kind)), 422)


# -- field rules -----------------------------------------------------------------------------


def rule_states(services, actor, object_name: str, values: dict[str, Any], prior: dict[str, Any] | None, business_type: str | None) -> dict[str, dict[str, bool]]:
    """field → {"visible", "required", "read_only"} under the object's active field rules."""
    object_def = services.site.registry.objects[object_name]
    support = services.records.formulas
    env = support.env(actor)
    states: dict[str, dict[str, bool]] = {}
    for rule in object_def.field_rules:
        if not rule.active or (rule.business_types and business_type not in rule.business_types):
            continue
        state = states.setdefault(rule.field, {"visible": True, "required": False, "read_only": False})
        for key, text in (("visible", rule.visible_when), ("required", rule.required_when), ("read_only", rule.read_only_when)):
            if not text:
                continue
            try:
                compiled = support.compiled(object_name, text, "rule")
                if compiled.cross_object:
                    continue  # rules over related records are left to the save
                result = compiled.run(values, prior=prior, is_new=prior is None, env=env) is True
            except formula.FormulaError:
                result = key == "visible"
            state[key] = result if key != "visible" else bool(result)
    return states


# -- reading a posted form -------------------------------------------------------------------


def _blank(text: Any) -> Any:
    return None if text is None or (isinstance(text, str) and text.strip() == "") else text


def posted_value(form: FormData, name: str, kind: str, levels: int = 3) -> Any:
    """One field's value from the form, as the record service takes it."""
    if kind == "checkbox":
        return form.get(name) in ("on", "true", "1")
    if kind == "multi_picklist":
        return [value for value in form.getlist(name) if value] or None
    if kind == "tags":
        raw = form.get(name) or ""
        return [part.strip() for part in str(raw).split(",") if part.strip()] or None
    if kind == "region":
        chosen = [form.get(f"{name}__{level}") for level in range(1, levels + 1)]
        chosen = [value for value in chosen if value]
        return chosen[-1] if chosen else _blank(form.get(name))
    value = form.get(name)
    if isinstance(value, str) and kind not in ("textarea", "long_text", "rich_text"):
        value = value.strip()
    return _blank(value)


def form_values(services, object_name: str, form: FormData, names: list[str]) -> dict[str, Any]:
    site = services.site
    found = {}
    for name in names:
        kind = v.field_type(site, object_name, name)
        definition = v.definition_of(site, object_name, name)
        if kind == "checkbox" and f"{name}__present" not in form:
            continue
        if kind != "checkbox" and kind != "region" and name not in form and kind != "multi_picklist":
            continue
        if kind == "region":
            found[name] = _region_value(site, definition, form, name)
            continue
        found[name] = posted_value(form, name, kind, getattr(definition, "levels", 3))
    return found


def _region_value(site, definition, form: FormData, name: str) -> Any:
    """The deepest level chosen whose parent is the level chosen above it (a changed province
    drops the city and district still selected under the old one)."""
    value_set = site.registry.value_sets.get(definition.value_set)
    parents = {item.api_name: item.parent for item in (value_set.values or [])} if value_set else {}
    chosen, above = None, None
    for level in range(1, definition.levels + 1):
        value = form.get(f"{name}__{level}")
        if not value or value not in parents or parents[value] != above:
            break
        chosen = above = value
    return chosen if chosen is not None else _blank(form.get(name))


def coerced(services, object_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Values typed as the formulas expect them (those that do not convert stay blank)."""
    model = services.records.model(object_name)
    typed = {}
    for name, value in values.items():
        spec = model.fields.get(name)
        try:
            typed[name] = spec.coerce(value) if spec is not None and spec.coerce is not None else value
        except (Invalid, TypeError, ValueError):  # not a value yet, while the user is typing
            typed[name] = None
    return typed


# -- drawing the fields ----------------------------------------------------------------------


def business_types_for(request: Request, object_name: str) -> list[dict[str, Any]]:
    """The active business types the user's department may use (all when none is restricted)."""
    services = services_of(request)
    object_def = services.site.registry.objects[object_name]
    language = chrome(request)["language"]
    user = request.state.user or {}
    department = user.get("department")
    # a type open to a department is open to the departments below it: collect the codes of the
    # user's department and of every department above it
    codes: set[str] = set()
    current = department.get("id") if isinstance(department, dict) else department
    for _ in range(20):
        if not current:
            break
        try:
            record = services.records.get(SYSTEM, "department", current, fields=["code", "parent"])
        except RecordError:
            break
        codes.add(record.get("code") or "")
        current = record.get("parent")
    return [
        {"api_name": item.api_name, "label": item.label.text(language), "default": item.default}
        for item in object_def.business_types
        if item.active and (item.departments is None or codes & set(item.departments))
    ]


def region_levels(site, object_name: str, name: str, value: str | None, language: str) -> list[dict[str, Any]]:
    """The cascade of selects of a region field: each level's options under the one chosen above."""
    definition = v.definition_of(site, object_name, name)
    value_set = site.registry.value_sets.get(definition.value_set)
    values = list(value_set.values or []) if value_set else []
    by_code = {item.api_name: item for item in values}
    trail: list[str] = []
    current = by_code.get(value) if value else None
    while current is not None:
        trail.insert(0, current.api_name)
        current = by_code.get(current.parent) if current.parent else None
    levels = []
    parent = None
    for depth in range(definition.levels):
        options = [{"value": item.api_name, "label": item.label.text(language)} for item in values if item.parent == parent]
        chosen = trail[depth] if depth < len(trail) else None
        levels.append({"name": f"{name}__{depth + 1}", "options": options, "value": chosen})
        if chosen is None:
            break
        parent = chosen
    return levels


def live_fields(services, object_name: str, business_type: str | None) -> set[str]:
    """Fields whose change can alter the form: those field rules read, controlling picklists, regions."""
    object_def = services.site.registry.objects[object_name]
    live: set[str] = set()
    for rule in object_def.field_rules:
        if not rule.active or (rule.business_types and business_type not in rule.business_types):
            continue
        for text in (rule.visible_when, rule.required_when, rule.read_only_when):
            if text:
                try:
                    live.update(services.records.formulas.compiled(object_name, text, "rule").fields)
                except formula.FormulaError:
                    continue
    for definition in object_def.fields:
        if getattr(definition, "controlling_field", None):
            live.add(definition.controlling_field)
        if definition.type == "region":
            live.add(definition.api_name)
    return live


def field_widgets(
    request: Request, app_name: str, object_name: str, layout, values: dict[str, Any], display_record: dict[str, Any],
    *, prior: dict[str, Any] | None, business_type: str | None, errors: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """The form's sections, each field with its input, value, rule state and errors."""
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    language = chrome(request)["language"]
    permissions = services.security.field_permissions(actor, object_name)
    object_def = site.registry.objects[object_name]
    subset = next((item.picklist_values for item in object_def.business_types if item.api_name == business_type), {})
    states = rule_states(services, actor, object_name, coerced(services, object_name, values), prior, business_type)
    live = live_fields(services, object_name, business_type)
    required_by_type = set(next((item.required_fields for item in object_def.business_types if item.api_name == business_type), []))
    sections = []
    for section in layout.sections:
        fields = []
        for item in section.items:
            name = item.field
            if name in v.SYSTEM_TYPES:
                continue
            definition = v.definition_of(site, object_name, name)
            if definition is None or definition.type in NOT_ON_FORMS:
                continue
            allowed = permissions.get(name, {"read": True, "edit": True})
            if not allowed.get("read"):
                continue
            state = states.get(name, {"visible": True, "required": False, "read_only": False})
            kind = definition.type
            read_only = bool(
                kind in COMPUTED or definition.read_only or item.read_only or not allowed.get("edit") or state["read_only"]
                or (prior is not None and kind == "master_detail")
            )
            value = values.get(name)
            widget: dict[str, Any] = {
                "field": name,
                "label": definition.label.text(language),
                "type": kind,
                "help": definition.help_text.text(language) if definition.help_text else None,
                "value": value,
                "text": v.display(site, object_name, name, display_record, language, app=app_name, zone=actor.time_zone)["text"],
                "required": bool(getattr(definition, "required", False) or item.required or name in required_by_type or state["required"]),
                "read_only": read_only,
                "visible": state["visible"],
                "errors": errors.get(name, []),
                "input": INPUT_TYPES.get(kind, kind),
                "live": name in live,
            }
            if kind in ("picklist", "multi_picklist"):
                labels = v.choice_labels(site, object_name, name, language)
                offered = subset.get(name)
                active = {choice.api_name for choice in site.registry.picklist_values(object_name, name) if choice.active}
                keep = set(value if isinstance(value, list) else [value])
                controlling = getattr(definition, "controlling_field", None)
                allowed_values = None
                if controlling:
                    key = values.get(controlling)
                    key = ("true" if key else "false") if isinstance(key, bool) else key
                    allowed_values = set((definition.dependencies or {}).get(key, [])) if key else set()
                    widget["controlling"] = controlling
                widget["choices"] = [
                    {"value": key, "label": label, "selected": key in keep}
                    for key, label in labels.items()
                    if key in keep or (key in active and (offered is None or key in offered) and (allowed_values is None or key in allowed_values))
                ]
            elif kind in v.REFERENCE_TYPES:
                shown = display_record.get(name)
                widget["value"] = shown.get("id") if isinstance(shown, dict) else value
                widget["display"] = (shown.get("name") if isinstance(shown, dict) else None) or (value if isinstance(value, str) else "")
                found = v.targets(site, object_name, name)
                widget["lookup_url"] = f"/app/{app_name}/{object_name}/lookup?" + urlencode({"field": name}) if any(target in site.registry.objects for target in found) else None
            elif kind == "region":
                widget["levels"] = region_levels(site, object_name, name, value, language)
                widget["region_url"] = f"/app/{app_name}/{object_name}/form"
            elif kind == "tags":
                widget["value"] = ", ".join(value) if isinstance(value, list) else (value or "")
            elif kind in ("integer", "number", "currency", "percent"):
                scale = 0 if kind == "integer" else getattr(definition, "scale", 2)
                widget["step"] = "1" if not scale else "0." + "0" * (scale - 1) + "1"
                if kind == "currency":
                    widget["currency"] = v.currency_of(values)
            elif kind == "datetime" and value is not None:
                # the browser's datetime-local input takes "YYYY-MM-DDTHH:MM" in the user's zone
                if isinstance(value, dt.datetime):
                    local = value.astimezone(ZoneInfo(actor.time_zone)) if value.tzinfo else value
                    widget["value"] = local.strftime("%Y-%m-%dT%H:%M")
                else:
                    widget["value"] = str(value).replace(" ", "T")[:16]
            fields.append(widget)
        if fields:
            sections.append({"api_name": section.api_name, "label": section.label.text(language), "columns": section.columns, "fields": fields})
    return sections


def missing_required(sections: list[dict[str, Any]], values: dict[str, Any]) -> list:
    """Fields the form marks required (layout, business type, field rules) left blank.

    The record pipeline checks the fields that are required everywhere; a layout's or a field
    rule's requirement is the form's to enforce, since that is where it is shown.
    """
    return [
        field_error(field["field"], "required")
        for section in sections
        for field in section["fields"]
        if field["required"] and field["visible"] and not field["read_only"] and values.get(field["field"]) in (None, "", [])
    ]


def input_errors(services, object_name: str, values: dict[str, Any]) -> list:
    """Values that do not convert to their field's type, as the record pipeline words it (so
    they are reported together with the form's own required fields)."""
    model = services.records.model(object_name)
    errors = []
    for name, value in values.items():
        spec = model.fields.get(name)
        if spec is None or spec.coerce is None:
            continue
        try:
            spec.coerce(value)
        except Invalid as invalid:
            errors.append(field_error(name, invalid.code, **invalid.params))
    return errors


def editable_names(sections: list[dict[str, Any]]) -> list[str]:
    return [field["field"] for section in sections for field in section["fields"] if not field["read_only"] and field["visible"]]


def errors_by_field(problem: RecordError, language: str) -> tuple[dict[str, list[str]], list[dict]]:
    fields: dict[str, list[str]] = {}
    for error in problem.errors:
        if error.field:
            fields.setdefault(error.field.split(".")[0], []).append(error.message(language))
    return fields, problem.messages(language)


# -- pages -----------------------------------------------------------------------------------


def _form_page(request: Request, *, app_name: str, object_name: str, record: dict[str, Any] | None, values: dict[str, Any],
               display_record: dict[str, Any], business_type: str | None, errors: dict[str, list[str]], top: list[dict], conflict: bool = False) -> dict[str, Any]:
    services = services_of(request)
    site = services.site
    object_def = site.registry.objects[object_name]
    data = chrome(request, app_name, object_name)
    language = data["language"]
    layout = default_layout(site, object_name, business_type)
    sections = field_widgets(request, app_name, object_name, layout, values, display_record, prior=record, business_type=business_type, errors=errors)
    editing = record is not None
    base = f"/app/{app_name}/{object_name}"
    business_label = next((item.label.text(language) for item in object_def.business_types if item.api_name == business_type), None)
    data.update(
        title=(i18n.gettext(language, "Edit %(object)s", object=object_def.label.text(language)) if editing
               else i18n.gettext(language, "New %(object)s", object=object_def.label.text(language))),
        object={"api_name": object_name, "label": object_def.label.text(language), "plural_label": object_def.plural_label.text(language)},
        record={"id": record["id"], "version": record.get("version")} if editing else None,
        business_type={"api_name": business_type, "label": business_label} if business_type else None,
        sections=sections,
        errors=top,
        conflict=conflict,
        action=f"{base}/{record['id']}/edit" if editing else f"{base}/new",
        rules_url=f"{base}/form",
        cancel_url=f"{base}/{record['id']}" if editing else base,
        reload_url=f"{base}/{record['id']}/edit" if editing else None,
    )
    return data


def _prefill(request: Request, object_name: str) -> dict[str, Any]:
    """Values given in the query string (a related list's "new" link names the parent)."""
    site = services_of(request).site
    names = set(site.registry.fields(object_name))
    return {key: value for key, value in request.query_params.items() if key in names and value}


def _display_with_names(request: Request, object_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with referenced records' names looked up, for the lookup inputs' labels."""
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    shown = dict(values)
    for name in v.expandable(site, object_name, list(values)):
        record_id = values.get(name)
        if not isinstance(record_id, str) or not record_id:
            continue
        shown[name] = {"id": record_id, "name": record_id}
        for target in v.targets(site, object_name, name):  # a polymorphic lookup: whichever holds the id
            if target not in site.registry.objects:
                continue
            name_field = site.registry.objects[target].name_field
            try:
                found = services.records.get(actor, target, record_id, fields=[name_field])
            except RecordError:
                continue
            shown[name] = {"id": record_id, "name": found.get(name_field)}
            break
    return shown


def new_form(request: Request) -> Response:
    """The create form; first the choice of business type when the user may use several."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_def = object_or_404(request, object_name)
    data = chrome(request, app_name, object_name)
    types = business_types_for(request, object_name)
    chosen = request.query_params.get("business_type")
    if types and chosen not in {item["api_name"] for item in types}:
        if len(types) > 1:
            query = {key: value for key, value in request.query_params.items() if key != "business_type"}
            data.update(
                title=i18n.gettext(data["language"], "New %(object)s", object=object_def.label.text(data["language"])),
                object={"api_name": object_name, "label": object_def.label.text(data["language"])},
                choices=[{**item, "url": f"/app/{app_name}/{object_name}/new?" + urlencode({**query, "business_type": item["api_name"]})} for item in types],
            )
            return render(request, "app/choose_type.html", data)
        chosen = types[0]["api_name"]
    values = _defaults(request, object_name)
    values.update(_prefill(request, object_name))
    page = _form_page(request, app_name=app_name, object_name=object_name, record=None, values=values,
                      display_record=_display_with_names(request, object_name, values), business_type=chosen, errors={}, top=[])
    return render(request, "app/form.html", page)


def _defaults(request: Request, object_name: str) -> dict[str, Any]:
    values = {}
    for definition in services_of(request).site.registry.objects[object_name].fields:
        default = getattr(definition, "default", None)
        if default not in (None, False, []):
            values[definition.api_name] = default
    return values


def create(request: Request) -> Response:
    """Save a new record; on errors, the form again with each message next to its field."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_or_404(request, object_name)
    services = services_of(request)
    form = form_of(request)
    business_type = form.get("business_type") or None
    layout = default_layout(services.site, object_name, business_type)
    names = layout.field_names
    values = form_values(services, object_name, form, names)
    sections = field_widgets(request, app_name, object_name, layout, values, values, prior=None, business_type=business_type, errors={})
    sent = {name: values[name] for name in editable_names(sections) if name in values}
    if business_type:
        sent["business_type"] = business_type
    try:
        gate = missing_required(sections, sent)
        gate = gate + input_errors(services, object_name, sent) if gate else stages.check_change(services.site, object_name, None, sent)
        if gate:
            raise RecordValidationError(gate, object_name=object_name)
        record = services.records.create(actor_of(request), object_name, sent)
    except RecordError as problem:
        language = chrome(request)["language"]
        fields, top = errors_by_field(problem, language)
        page = _form_page(request, app_name=app_name, object_name=object_name, record=None, values=values,
                          display_record=_display_with_names(request, object_name, values), business_type=business_type, errors=fields, top=top)
        return render(request, "app/form.html", page, status=status_of(problem))
    return redirect(request, f"/app/{app_name}/{object_name}/{record['id']}", {"id": record["id"]})


def edit_form(request: Request) -> Response:
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name, record_id = request.path_params["app"], request.path_params["object"], request.path_params["id"]
    object_or_404(request, object_name)
    record, deleted = load_record(request, object_name, record_id)
    if deleted:
        return redirect(request, f"/app/{app_name}/{object_name}/{record_id}")
    plain = _plain(record)
    page = _form_page(request, app_name=app_name, object_name=object_name, record=plain, values=plain, display_record=record,
                      business_type=record.get("business_type"), errors={}, top=[])
    return render(request, "app/form.html", page)


def update(request: Request) -> Response:
    """Save changes with the version the form was drawn from; a conflict offers a reload."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name, record_id = request.path_params["app"], request.path_params["object"], request.path_params["id"]
    object_or_404(request, object_name)
    services = services_of(request)
    record, deleted = load_record(request, object_name, record_id)
    plain = _plain(record)
    form = form_of(request)
    business_type = record.get("business_type")
    layout = default_layout(services.site, object_name, business_type)
    names = layout.field_names
    values = {**plain, **form_values(services, object_name, form, names)}
    sections = field_widgets(request, app_name, object_name, layout, values, values, prior=plain, business_type=business_type, errors={})
    changed = {name: values.get(name) for name in editable_names(sections) if name in values and values.get(name) != plain.get(name)}
    version = form.get("version")
    try:
        # a stage changed in the form passes the same gate as the stage path's buttons
        gate = missing_required(sections, values)
        gate = gate + input_errors(services, object_name, changed) if gate else stages.check_change(services.site, object_name, plain, changed)
        if gate:
            raise RecordValidationError(gate, object_name=object_name)
        services.records.update(actor_of(request), object_name, record_id, changed, version=int(version) if str(version or "").isdigit() else None)
    except RecordError as problem:
        language = chrome(request)["language"]
        fields, top = errors_by_field(problem, language)
        page = _form_page(request, app_name=app_name, object_name=object_name, record=plain, values=values,
                          display_record=_display_with_names(request, object_name, values), business_type=business_type,
                          errors=fields, top=top, conflict=isinstance(problem, RecordConflictError))
        return render(request, "app/form.html", page, status=status_of(problem))
    return redirect(request, f"/app/{app_name}/{object_name}/{record_id}", {"id": record_id})


def reevaluate(request: Request) -> Response:
    """The form's fields again for the values typed so far (htmx posts here on every change)."""
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name, object_name = request.path_params["app"], request.path_params["object"]
    object_or_404(request, object_name)
    services = services_of(request)
    form = form_of(request)
    record_id = form.get("record_id") or None
    prior = None
    if record_id:
        record, _ = load_record(request, object_name, str(record_id))
        prior = _plain(record)
        business_type = record.get("business_type")
    else:
        business_type = form.get("business_type") or None
    layout = default_layout(services.site, object_name, business_type)
    names = layout.field_names
    values = {**(prior or {}), **form_values(services, object_name, form, names)}
    sections = field_widgets(request, app_name, object_name, layout, values, _display_with_names(request, object_name, values),
                             prior=prior, business_type=business_type, errors={})
    data = chrome(request, app_name, object_name)
    data.update(sections=sections, object={"api_name": object_name}, rules_url=f"/app/{app_name}/{object_name}/form")
    return render(request, "app/form_fields.html", data)
