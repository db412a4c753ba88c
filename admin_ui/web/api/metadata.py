"""The metadata API under ``/api/v1/metadata``: read and change components, plan, change sets (admins only).

Each component's body is the JSON of its YAML file, checked by the same models. ``PUT`` creates
or replaces, ``DELETE`` deletes; both answer the plan that ran and the change set recorded, and
with ``?dry_run=true`` only the plan. Every answer about one component carries its ``version``
(also the ``ETag``); sending it back as ``If-Match`` makes a save fail with 412 when another
admin saved the component since. All the work is :mod:`runtime.site_layer`'s; this module maps
HTTP onto it and its errors onto statuses.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, json_body, require_user, services_of
from admin_ui.web.responses import JSONResponse, error
from runtime.errors import MigrationError
from runtime.site_layer import (
    KINDS,
    ChangeSetError,
    ComponentNotFoundError,
    SetupError,
    apply_change,
    component,
    component_owner,
    component_version,
    get_change_set,
    list_change_sets,
    list_components,
    plan_change,
    plan_revert,
)

PREFIX = "/api/v1/metadata"
_TRUE = {"1", "true", "yes"}


def _admin_only(request: Request) -> Response | None:
    if (refused := require_user(request)) is not None:
        return refused
    if not services_of(request).security.is_admin(request.state.actor):
        return error(403, "admin_only", "Only administrators may read or change metadata.", "只有管理员可以查看或修改元数据。", request.state.language)
    return None


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in _TRUE


def _setup_error(problem: SetupError, language: str) -> JSONResponse:
    status = 404 if isinstance(problem, ComponentNotFoundError) else 422
    if isinstance(problem, ChangeSetError):
        status = 404 if problem.codes == ["unknown_change_set"] else 409
    return JSONResponse({"errors": problem.messages(language)}, status_code=status)


def _guarded(handler):
    """Admins only; the site layer's errors as the API's error responses."""

    def run(request: Request) -> Response:
        if (refused := _admin_only(request)) is not None:
            return refused
        language = request.state.language
        try:
            return handler(request)
        except SetupError as problem:
            return _setup_error(problem, language)
        except MigrationError as problem:
            # another admin's change committed between this plan and its apply
            stale = "plan again" in str(problem)
            code = "metadata_changed" if stale else "migration_refused"
            return error(409 if stale else 422, code, str(problem), ("元数据已被他人修改，请重试。" if stale else f"迁移被拒绝：{problem}"), language)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return endpoint(run)


def _unknown_kind(request: Request, kind: str) -> Response | None:
    if kind in KINDS:
        return None
    return error(404, "unknown_kind", f"There is no kind of component '{kind}' (one of {', '.join(KINDS)}).", f"不存在组件类型 '{kind}'。", request.state.language)


def _check_if_match(request: Request, kind: str, name: str) -> Response | None:
    expected = request.headers.get("if-match")
    if expected is None:
        return None
    current = component(services_of(request).site.registry, kind, name)
    version = component_version(current) if current is not None else None
    if expected.strip().strip('"') not in (version, "*" if version is not None else None):
        return error(
            412, "stale_version",
            f"{kind}/{name} changed since you read it (version {version}); read it again and reapply your change.",
            f"{kind}/{name} 在你读取之后已被修改（版本 {version}），请重新读取后再修改。",
            request.state.language, headers={"ETag": f'"{version}"'} if version else None,
        )
    return None


# --- handlers ----------------------------------------------------------------------------------


def list_kind(request: Request) -> Response:
    kind = request.path_params["kind"]
    if (missing := _unknown_kind(request, kind)) is not None:
        return missing
    return JSONResponse({"kind": kind, "components": list_components(services_of(request).site.registry, kind)})


def get_component(request: Request) -> Response:
    kind, name = request.path_params["kind"], request.path_params["api_name"]
    if (missing := _unknown_kind(request, kind)) is not None:
        return missing
    registry = services_of(request).site.registry
    document = component(registry, kind, name)
    if document is None:
        raise ComponentNotFoundError([])  # replaced below by the message naming it
    version = component_version(document)
    headers = {"ETag": f'"{version}"', "Tessera-Package": component_owner(registry, kind, name) or ""}
    return JSONResponse(document, headers=headers)


def _change(request: Request, body: dict[str, Any] | None) -> Response:
    services = services_of(request)
    kind, name = request.path_params["kind"], request.path_params["api_name"]
    if (missing := _unknown_kind(request, kind)) is not None:
        return missing
    if (stale := _check_if_match(request, kind, name)) is not None:
        return stale
    created = component(services.site.registry, kind, name) is None
    plan = plan_change(services.site, [(kind, name, body)])
    if _flag(request, "dry_run"):
        return JSONResponse({"dry_run": True, "plan": plan.as_dict()})
    change_set = apply_change(services.site, plan, changed_by=request.state.user["id"], confirm=_flag(request, "confirm"))
    after = component(services.site.registry, kind, name)
    version = component_version(after) if after is not None else None
    return JSONResponse(
        {"version": version, "change_set": change_set, "plan": plan.as_dict()},
        status_code=201 if created else 200,
        headers={"ETag": f'"{version}"'} if version else None,
    )


def put_component(request: Request) -> Response:
    body = json_body(request)
    if isinstance(body, Response):
        return body
    return _change(request, body)


def delete_component(request: Request) -> Response:
    return _change(request, None)


def plan_components(request: Request) -> Response:
    """``{"components": [{"kind", "api_name", "body"}]}`` (body null: delete) → the plan, nothing applied."""
    body = json_body(request)
    if isinstance(body, Response):
        return body
    items = body.get("components") if isinstance(body, dict) else None
    language = request.state.language
    if not isinstance(items, list) or not items:
        return error(422, "invalid_plan", "Send {\"components\": [{\"kind\", \"api_name\", \"body\"}, …]}.", "请求体应为 {\"components\": [{\"kind\", \"api_name\", \"body\"}, …]}。", language, field="components")
    changes = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or item.get("kind") not in KINDS or not isinstance(item.get("api_name"), str):
            return error(422, "invalid_plan", f"components[{index}] needs a kind (one of {', '.join(KINDS)}), an api_name and a body.", f"components[{index}] 需要 kind、api_name 和 body。", language, field=f"components[{index}]")
        changes.append((item["kind"], item["api_name"], item.get("body")))
    return JSONResponse({"dry_run": True, "plan": plan_change(services_of(request).site, changes).as_dict()})


def change_sets(request: Request) -> Response:
    before = request.query_params.get("before")
    found = list_change_sets(services_of(request).site, before=int(before) if before and before.isdigit() else None)
    return JSONResponse({"change_sets": found})


def _change_id(request: Request) -> int:
    return int(request.path_params["change_id"])


def change_set(request: Request) -> Response:
    return JSONResponse(get_change_set(services_of(request).site, _change_id(request)))


def revert_change_set(request: Request) -> Response:
    """The inverse of a change set: with ``dry_run=true`` shown, otherwise applied as a change set of its own."""
    services = services_of(request)
    plan = plan_revert(services.site, _change_id(request))
    if _flag(request, "dry_run"):
        return JSONResponse({"dry_run": True, "plan": plan.as_dict()})
    applied = apply_change(services.site, plan, changed_by=request.state.user["id"], confirm=_flag(request, "confirm"))
    return JSONResponse({"change_set": applied, "plan": plan.as_dict()}, status_code=201)


def _not_found_named(handler):
    """GET of a missing component: 404 naming it (the handler raises an empty ComponentNotFoundError)."""

    def run(request: Request) -> Response:
        try:
            return handler(request)
        except ComponentNotFoundError as problem:
            if problem.problems:
                raise
            kind, name = request.path_params["kind"], request.path_params["api_name"]
            return error(404, "unknown_component", f"There is no {kind} component '{name}'.", f"不存在组件 {kind}/{name}。", request.state.language)

    run.__name__ = handler.__name__
    return run


def routes() -> list[Route]:
    guarded = _guarded
    return [
        Route(f"{PREFIX}/plan", guarded(plan_components), methods=["POST"], name="api_metadata_plan"),
        Route(f"{PREFIX}/change_sets", guarded(change_sets), methods=["GET"], name="api_metadata_change_sets"),
        Route(f"{PREFIX}/change_sets/{{change_id:int}}", guarded(change_set), methods=["GET"], name="api_metadata_change_set"),
        Route(f"{PREFIX}/change_sets/{{change_id:int}}/revert", guarded(revert_change_set), methods=["POST"], name="api_metadata_revert"),
        Route(f"{PREFIX}/{{kind}}", guarded(list_kind), methods=["GET"], name="api_metadata_list"),
        Route(f"{PREFIX}/{{kind}}/{{api_name}}", guarded(_not_found_named(get_component)), methods=["GET"], name="api_metadata_get"),
        Route(f"{PREFIX}/{{kind}}/{{api_name}}", guarded(put_component), methods=["PUT"], name="api_metadata_put"),
        Route(f"{PREFIX}/{{kind}}/{{api_name}}", guarded(delete_component), methods=["DELETE"], name="api_metadata_delete"),
    ]


# --- the OpenAPI document ------------------------------------------------------------------------


def openapi_paths(errors) -> dict[str, Any]:
    """This API's paths for the OpenAPI document (``errors(*statuses)`` gives the error responses)."""
    kind = {"name": "kind", "in": "path", "required": True, "schema": {"type": "string", "enum": list(KINDS)}}
    api_name = {"name": "api_name", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
    dry_run = {"name": "dry_run", "in": "query", "required": False, "description": "Answer the plan without applying it", "schema": {"type": "boolean"}}
    confirm = {"name": "confirm", "in": "query", "required": False, "description": "Apply even though data would be archived (restorable)", "schema": {"type": "boolean"}}
    if_match = {"name": "If-Match", "in": "header", "required": False, "description": "The version read; 412 if the component changed since", "schema": {"type": "string"}}
    change_id = {"name": "change_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    component_body = {"type": "object", "description": "The component as the JSON of its YAML file (see metadata/schema/*.schema.json)"}

    def ok(description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}

    tags = ["metadata"]
    return {
        f"{PREFIX}/plan": {"post": {
            "tags": tags, "operationId": "plan_metadata", "summary": "Plan changes to several components without applying them (administrators)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {"components": {"type": "array", "items": {"type": "object", "properties": {"kind": {"type": "string", "enum": list(KINDS)}, "api_name": {"type": "string"}, "body": {"type": ["object", "null"]}}, "required": ["kind", "api_name"]}}}, "required": ["components"]}}}},
            "responses": {"200": ok("The plan"), **errors(400, 401, 403, 422)},
        }},
        f"{PREFIX}/change_sets": {"get": {
            "tags": tags, "operationId": "list_change_sets", "summary": "Change sets, latest first (administrators)",
            "parameters": [{"name": "before", "in": "query", "required": False, "schema": {"type": "integer"}}],
            "responses": {"200": ok("Change sets"), **errors(401, 403)},
        }},
        f"{PREFIX}/change_sets/{{change_id}}": {"get": {
            "tags": tags, "operationId": "get_change_set", "summary": "One change set: who, when, diff, plan (administrators)",
            "parameters": [change_id], "responses": {"200": ok("The change set"), **errors(401, 403, 404)},
        }},
        f"{PREFIX}/change_sets/{{change_id}}/revert": {"post": {
            "tags": tags, "operationId": "revert_change_set", "summary": "Revert a change set; dry_run shows its inverse first (administrators)",
            "parameters": [change_id, dry_run, confirm], "responses": {"200": ok("The inverse plan (dry run)"), "201": ok("The revert, applied"), **errors(401, 403, 404, 409, 422)},
        }},
        f"{PREFIX}/{{kind}}": {"get": {
            "tags": tags, "operationId": "list_metadata", "summary": "Components of one kind, with owning package and version (administrators)",
            "parameters": [kind], "responses": {"200": ok("Components"), **errors(401, 403, 404)},
        }},
        f"{PREFIX}/{{kind}}/{{api_name}}": {
            "get": {
                "tags": tags, "operationId": "get_metadata", "summary": "One component as its YAML file's JSON; ETag is its version (administrators)",
                "parameters": [kind, api_name], "responses": {"200": {"description": "The component", "content": {"application/json": {"schema": component_body}}}, **errors(401, 403, 404)},
            },
            "put": {
                "tags": tags, "operationId": "put_metadata", "summary": "Create or replace a component (administrators)",
                "parameters": [kind, api_name, dry_run, confirm, if_match],
                "requestBody": {"required": True, "content": {"application/json": {"schema": component_body}}},
                "responses": {"200": ok("Replaced (or the plan, on a dry run)"), "201": ok("Created"), **errors(400, 401, 403, 409, 412, 422)},
            },
            "delete": {
                "tags": tags, "operationId": "delete_metadata", "summary": "Delete a component the site created (administrators)",
                "parameters": [kind, api_name, dry_run, confirm, if_match],
                "responses": {"200": ok("Deleted (or the plan, on a dry run)"), **errors(401, 403, 404, 409, 412, 422)},
            },
        },
    }
