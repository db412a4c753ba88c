"""The objects the caller may read, and one object described: fields, picklists, layouts, relations.

Everything comes from the installed metadata (nothing here knows an object by name); labels are
given in both languages (``{"en", "zh"}``) so one answer serves a bilingual client, and the
caller's permissions are added on the object and on every field.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, require_user, services_of, unknown_object
from admin_ui.web.responses import JSONResponse, error
from metadata.generated_layouts import generated_layout
from runtime.site_layer.components import component_owner, field_packages


def _label(label: Any) -> dict[str, str] | None:
    if label is None:
        return None
    return {"en": label.en, "zh": label.zh or label.en}


def list_objects_data(services, actor) -> list[dict[str, Any]]:
    registry = services.site.registry
    found = []
    for name in services.security.readable_objects(actor):
        definition = registry.objects[name]
        found.append({
            "api_name": name,
            "label": _label(definition.label),
            "plural_label": _label(definition.plural_label),
            "permissions": services.security.object_permissions(actor, name),
        })
    return found


def _picklists(services, name: str) -> dict[str, dict[str, Any]]:
    """Picklist values per field: all of them, and per business type (its subset or all)."""
    registry = services.site.registry
    definition = registry.objects[name]
    fields = {}
    for field in definition.fields:
        if field.type not in ("picklist", "multi_picklist"):
            continue
        values = registry.picklist_values(name, field.api_name)
        everything = [value.api_name for value in values]
        per_type = {}
        for business_type in definition.business_types:
            subset = business_type.picklist_values.get(field.api_name)
            per_type[business_type.api_name] = list(subset) if subset is not None else everything
        fields[field.api_name] = {
            "values": [value.model_dump(mode="json", exclude_none=True) for value in values],
            "by_business_type": per_type,
        }
    return fields


def describe_data(services, actor, name: str) -> dict[str, Any]:
    registry = services.site.registry
    definition = registry.objects[name]
    model = services.records.model(name)
    field_permissions = services.security.field_permissions(actor, name)
    owners = field_packages(registry, name)  # which layer added each field: a package, or the site
    fields = []
    for spec in model.fields.values():
        if spec.definition is not None:
            entry = spec.definition.model_dump(mode="json", exclude_none=True)
        else:
            entry = {"api_name": spec.name, "type": spec.type, "label": {"en": spec.name, "zh": spec.name}}
        entry["system"] = spec.system
        if spec.name in owners:
            entry["package"] = owners[spec.name]
        entry["writable"] = spec.name in model.inputs
        if spec.targets:
            entry["targets"] = list(spec.targets)
        entry["permissions"] = field_permissions.get(spec.name, {"read": True, "edit": spec.name in model.inputs})
        fields.append(entry)
    children = [
        {"object": relation.child, "field": relation.field, "kind": relation.kind}
        for relation in registry.children(name)
    ]
    parents = [
        {"field": spec.name, "objects": list(spec.targets), "kind": spec.type}
        for spec in model.fields.values()
        if spec.targets and not spec.system
    ]
    return {
        "api_name": name,
        "label": _label(definition.label),
        "plural_label": _label(definition.plural_label),
        "description": _label(definition.description),
        "name_field": definition.name_field,
        "package": component_owner(registry, "objects", name),
        "features": definition.features.model_dump(mode="json"),
        "permissions": services.security.object_permissions(actor, name),
        "fields": fields,
        "business_types": [business_type.model_dump(mode="json", exclude_none=True) for business_type in definition.business_types],
        "picklists": _picklists(services, name),
        # an object its package gave no layout is described with the layout the pages generate
        "layouts": [layout.model_dump(mode="json", exclude_none=True) for layout in registry.layouts.values() if layout.object == name]
        or [generated_layout(registry, name).model_dump(mode="json", exclude_none=True)],
        "relations": {"parents": parents, "children": children},
        "validation_rules": [
            {"api_name": rule.api_name, "field": rule.field, "message": _label(rule.message)}
            for rule in definition.validation_rules
            if rule.active
        ],
    }


def list_objects(request: Request) -> Response:
    if (refused := require_user(request)) is not None:
        return refused
    return JSONResponse({"objects": list_objects_data(services_of(request), request.state.actor)})


def describe_object(request: Request) -> Response:
    if (refused := require_user(request)) is not None:
        return refused
    name = request.path_params["object"]
    if (missing := unknown_object(request, name)) is not None:
        return missing
    services, actor = services_of(request), request.state.actor
    if not services.security.object_permissions(actor, name).get("read"):
        return error(
            403, "object_forbidden", f"You may not read '{name}' records.", f"你没有查看 '{name}' 记录的权限。", request.state.language
        )
    return JSONResponse(describe_data(services, actor, name))


def routes() -> list[Route]:
    return [
        Route("/api/v1/objects", endpoint(list_objects), methods=["GET"], name="api_list_objects"),
        Route("/api/v1/objects/{object}", endpoint(describe_object), methods=["GET"], name="api_describe_object"),
    ]
