"""The OpenAPI 3.1 document of the API, generated from the installed metadata.

Every object gets its own paths (``/api/v1/objects/<object>/records…``) and schemas: the input
schema is the record pipeline's own JSON Schema (``RecordService.json_schema``), so the document
cannot promise what the pipeline refuses; the output schema lists the object's fields with the
JSON types the API writes (decimals as strings, to stay exact). The document is cached per
metadata version: a migration that changes the registry changes the document.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, services_of
from admin_ui.web.responses import JSONResponse
from runtime.records import model as m

API_VERSION = "1.0.0"
_ERRORS_REF = {"$ref": "#/components/schemas/Errors"}

#: JSON types of record values as the API writes them, by runtime field kind
_OUTPUT_TYPES: dict[str, dict[str, Any]] = {
    m.TEXT: {"type": ["string", "null"]},
    m.INTEGER: {"type": ["integer", "null"]},
    m.DECIMAL: {"type": ["string", "number", "null"]},
    m.DATE: {"type": ["string", "null"], "format": "date"},
    m.DATETIME: {"type": ["string", "null"], "format": "date-time"},
    m.TIME: {"type": ["string", "null"]},
    m.BOOLEAN: {"type": ["boolean", "null"]},
    m.CHOICE: {"type": ["string", "null"]},
    m.CHOICES: {"type": ["array", "null"], "items": {"type": "string"}},
    # an id, or with ?expand= the referenced record's {"id", "name"} (and "object" when polymorphic)
    m.REFERENCE: {"type": ["string", "object", "null"]},
    m.ID: {"type": "string"},
    m.JSON_LIST: {"type": ["array", "null"]},
    m.GEOLOCATION: {"type": ["object", "null"]},
}


#: a record id in a path: one segment, and not "." or "..", which URL resolution removes
RECORD_ID_PATTERN = r"^(?!\.\.?$)[^/]+$"


def _schema_name(object_name: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in object_name.split("_")) + suffix


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "Malformed request: JSON, filter, sort, field list, cursor, limit or If-Match",
        401: "Not signed in, or the token is invalid, expired or revoked",
        403: "The caller may not do this (object or field permission), or the CSRF token is missing",
        404: "No such object or record (or none the caller may see)",
        409: "Refused by the data: records still refer to it, or it changed meanwhile",
        412: "If-Match does not match the record's current version",
        422: "The record breaks a type, business-type or validation rule (for an aggregate: a grouping or measure that does not fit its field)",
    }
    return {str(status): {"description": reasons[status], "content": {"application/json": {"schema": _ERRORS_REF}}} for status in statuses}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _output_schema(model: m.ObjectModel) -> dict[str, Any]:
    properties = {}
    for name, spec in model.fields.items():
        schema = dict(_OUTPUT_TYPES.get(spec.kind, {}))
        if spec.definition is not None:
            schema["description"] = spec.definition.label.en
        properties[name] = schema
    properties["id"] = {"type": "string"}
    properties["version"] = {"type": "integer"}
    return {"type": "object", "properties": properties, "required": ["id"], "additionalProperties": True}


def _input_schema(services, name: str, *, partial: bool) -> dict[str, Any]:
    schema = copy.deepcopy(services.records.json_schema(name))
    schema.pop("$schema", None)
    if partial:
        schema.pop("required", None)
    return schema


def _object_paths(services, name: str) -> dict[str, Any]:
    label = services.site.registry.objects[name].label
    tag = name
    record_ref = {"$ref": f"#/components/schemas/{_schema_name(name, 'Record')}"}
    # a record id never holds a slash (an encoded one would name another path)
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": RECORD_ID_PATTERN}}
    if_match = {
        "name": "If-Match", "in": "header", "required": False,
        "description": "The version the change is based on; 412 if the record has moved on.",
        "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]+"?$'},
    }
    list_params = [
        {"name": "filter", "in": "query", "required": False, "description": "A filter in the JSON filter language.", "schema": {"type": "string"}},
        {"name": "sort", "in": "query", "required": False, "description": "Fields, comma-separated; '-' sorts descending.", "schema": {"type": "string"}},
        {"name": "fields", "in": "query", "required": False, "description": "Fields to return, comma-separated.", "schema": {"type": "string"}},
        {"name": "expand", "in": "query", "required": False, "description": "Reference fields to return as {id, name} ({id, name, object} for a lookup to several objects), comma-separated.", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}},
        {"name": "cursor", "in": "query", "required": False, "description": "next_cursor of the previous page.", "schema": {"type": "string"}},
    ]
    base = f"/api/v1/objects/{name}/records"
    page = {
        "type": "object",
        "properties": {"records": {"type": "array", "items": record_ref}, "next_cursor": {"type": ["string", "null"]}},
        "required": ["records", "next_cursor"],
    }
    return {
        base: {
            "get": {
                "tags": [tag], "operationId": f"list_{name}", "summary": f"List {label.en} records",
                "parameters": list_params,
                "responses": {"200": _json(page, "A page of records"), **_errors(400, 401, 403)},
            },
            "post": {
                "tags": [tag], "operationId": f"create_{name}", "summary": f"Create a {label.en} record",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_schema_name(name, 'Input')}"}}}},
                "responses": {"201": _json(record_ref, "The record created"), **_errors(400, 401, 403, 404, 422)},
            },
        },
        base + "/{id}": {
            "parameters": [id_param],
            "get": {
                "tags": [tag], "operationId": f"get_{name}", "summary": f"Get a {label.en} record",
                "responses": {"200": _json(record_ref, "The record"), **_errors(401, 403, 404)},
            },
            "patch": {
                "tags": [tag], "operationId": f"update_{name}", "summary": f"Change a {label.en} record",
                "parameters": [if_match],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_schema_name(name, 'Patch')}"}}}},
                "responses": {"200": _json(record_ref, "The record changed"), **_errors(400, 401, 403, 404, 409, 412, 422)},
            },
            "delete": {
                "tags": [tag], "operationId": f"delete_{name}", "summary": f"Delete a {label.en} record (to the recycle bin where it has one)",
                "parameters": [if_match],
                "responses": {"204": {"description": "Deleted"}, **_errors(400, 401, 403, 404, 409, 412)},
            },
        },
        base + "/{id}/restore": {
            "parameters": [id_param],
            "post": {
                "tags": [tag], "operationId": f"restore_{name}", "summary": f"Restore a {label.en} record from the recycle bin",
                "responses": {"200": _json(record_ref, "The record restored"), **_errors(401, 403, 404, 409, 422)},
            },
        },
        f"/api/v1/objects/{name}/import": {
            "post": {
                "tags": [tag], "operationId": f"import_{name}", "summary": f"Import {label.en} records from CSV",
                "parameters": [
                    {"name": "update_by", "in": "query", "required": False, "description": "Field matching existing records to update.", "schema": {"type": "string"}},
                    {"name": "skip_bad_rows", "in": "query", "required": False, "schema": {"type": "boolean", "default": False}},
                ],
                "requestBody": {"required": True, "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "contentMediaType": "text/csv"}}}},
                }},
                "responses": {"200": _json({"$ref": "#/components/schemas/ImportResult"}, "What was imported"), **_errors(400, 401, 403, 404, 422)},
            },
        },
        f"/api/v1/objects/{name}/export": {
            "get": {
                "tags": [tag], "operationId": f"export_{name}", "summary": f"Export {label.en} records as CSV",
                "parameters": [list_params[0], list_params[2], {
                    "name": "raw", "in": "query", "required": False, "schema": {"type": "boolean", "default": False},
                    "description": "Values verbatim; by default a cell starting with = + - @ (a spreadsheet formula) gets a leading '.",
                }],
                "responses": {"200": {"description": "CSV, UTF-8 with BOM, CRLF line ends", "content": {"text/csv": {"schema": {"type": "string"}}}}, **_errors(400, 401, 403, 404)},
            },
        },
        f"/api/v1/objects/{name}/aggregate": {
            "post": {
                "tags": [tag], "operationId": f"aggregate_{name}", "summary": f"Group and total {label.en} records (the caller's records only)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AggregateRequest"}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/AggregateResult"}, "Groups and totals"), **_errors(400, 401, 403, 404, 422)},
            },
        },
    }


def _common_schemas() -> dict[str, Any]:
    return {
        "Error": {
            "type": "object",
            "properties": {"field": {"type": ["string", "null"]}, "code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["field", "code", "message"],
        },
        "Errors": {"type": "object", "properties": {"errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}}, "required": ["errors"]},
        "TokenRequest": {
            "type": "object",
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
            "required": ["username", "password"],
        },
        "Token": {
            "type": "object",
            "properties": {"access_token": {"type": "string"}, "token_type": {"const": "bearer"}, "expires_at": {"type": "string", "format": "date-time"}},
            "required": ["access_token", "token_type", "expires_at"],
        },
        "Label": {"type": "object", "properties": {"en": {"type": "string"}, "zh": {"type": "string"}}},
        "Permissions": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "ObjectSummary": {
            "type": "object",
            "properties": {
                "api_name": {"type": "string"},
                "label": {"$ref": "#/components/schemas/Label"},
                "plural_label": {"$ref": "#/components/schemas/Label"},
                "permissions": {"$ref": "#/components/schemas/Permissions"},
            },
            "required": ["api_name", "label", "permissions"],
        },
        "ObjectDescription": {
            "type": "object",
            "properties": {
                "api_name": {"type": "string"},
                "label": {"$ref": "#/components/schemas/Label"},
                "permissions": {"$ref": "#/components/schemas/Permissions"},
                "package": {"type": ["string", "null"], "description": "The package declaring the object; 'site' when an admin created it"},
                "fields": {"type": "array", "items": {"type": "object"}},
                "business_types": {"type": "array", "items": {"type": "object"}},
                "picklists": {"type": "object"},
                "layouts": {"type": "array", "items": {"type": "object"}},
                "relations": {"type": "object"},
            },
            "required": ["api_name", "fields", "permissions", "picklists", "layouts", "relations"],
        },
        "ImportResult": {
            "type": "object",
            "properties": {
                "created": {"type": "integer"}, "updated": {"type": "integer"}, "skipped": {"type": "integer"},
                "errors": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["created", "updated", "skipped", "errors"],
        },
        **_aggregate_schemas(),
        "SearchResults": {
            "type": "object",
            "properties": {
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"object": {"type": "string"}, "id": {"type": "string"}, "title": {"type": "string"}, "snippet": {"type": "string"}},
                        "required": ["object", "id", "title", "snippet"],
                    },
                },
            },
            "required": ["results"],
        },
    }


def _aggregate_schemas() -> dict[str, Any]:
    """The aggregate API's request and answer (see docs/analytics.md)."""
    grouping = {
        "oneOf": [
            {"type": "string", "description": "A field path, with ':day', ':week', ':month', ':quarter' or ':year' for a date"},
            {"type": "object", "properties": {"field": {"type": "string"}, "bucket": {"enum": ["day", "week", "month", "quarter", "year"]}}, "required": ["field"]},
        ]
    }
    row = {
        "type": "object",
        "properties": {"group": {"type": "object", "description": "Grouping key → value, as the list API writes it"}, "values": {"type": "array", "description": "One value per measure, in sequence"}},
        "required": ["group", "values"],
    }
    return {
        "AggregateRequest": {
            "type": "object",
            "properties": {
                "group_by": {"type": "array", "maxItems": 3, "items": grouping},
                "pivot": {**grouping, "description": "One column level (a matrix)"},
                "measures": {
                    "type": "array", "minItems": 1, "maxItems": 20,
                    "items": {
                        "type": "object",
                        "properties": {"fn": {"enum": ["count", "count_distinct", "sum", "avg", "min", "max"]}, "field": {"type": "string"}},
                        "required": ["fn"],
                    },
                },
                "filter": {"type": "object", "description": "A filter in the list's JSON filter language"},
                "sort": {"type": "array", "items": {"type": "string"}, "description": "Grouping keys or 'measure:N'; '-' for descending"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000},
            },
        },
        "AggregateResult": {
            "type": "object",
            "properties": {
                "rows": {"type": "array", "items": row},
                "totals": {"type": "array", "description": "One value per measure over every matching record"},
                "row_totals": {"type": "array", "items": row, "description": "With a pivot: per row group, across the columns"},
                "column_totals": {"type": "array", "items": row, "description": "With a pivot: per column value"},
                "truncated": {"type": "boolean"},
                "limit": {"type": "integer"},
                "notice": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            },
            "required": ["rows", "totals", "truncated", "limit"],
        },
    }


def build_document(services) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for the site's current metadata."""
    registry = services.site.registry
    names = sorted(registry.objects)
    schemas = _common_schemas()
    paths: dict[str, Any] = {
        "/api/v1/auth/token": {
            "post": {
                "tags": ["auth"], "operationId": "create_token", "summary": "Exchange a username and password for a bearer token",
                "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenRequest"}}}},
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Token"}, "A new token"),
                    **_errors(400, 401, 422),
                    "429": {"description": "Locked after repeated failures", "content": {"application/json": {"schema": _ERRORS_REF}}},
                },
            },
            "delete": {
                "tags": ["auth"], "operationId": "revoke_token", "summary": "Revoke the bearer token of this request",
                "security": [{"bearer": []}],
                "responses": {"204": {"description": "Revoked"}, **_errors(401)},
            },
        },
        "/api/v1/objects": {
            "get": {
                "tags": ["objects"], "operationId": "list_objects", "summary": "The objects the caller may read",
                "responses": {
                    "200": _json({"type": "object", "properties": {"objects": {"type": "array", "items": {"$ref": "#/components/schemas/ObjectSummary"}}}, "required": ["objects"]}, "Objects"),
                    **_errors(401),
                },
            },
        },
        "/api/v1/objects/{object}": {
            "get": {
                "tags": ["objects"], "operationId": "describe_object", "summary": "Describe an object: fields, picklists, layouts, relations, permissions",
                "parameters": [{"name": "object", "in": "path", "required": True, "schema": {"type": "string", "enum": names}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/ObjectDescription"}, "The object"), **_errors(401, 403, 404)},
            },
        },
        "/api/v1/search": {
            "get": {
                "tags": ["search"], "operationId": "search", "summary": "Records matching a search text, grouped by object (only records the caller may read)",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "description": "Words or word prefixes; any two or more consecutive Chinese characters", "schema": {"type": "string", "maxLength": 200}},
                    {"name": "objects", "in": "query", "required": False, "description": "Objects to search, comma-separated, in the sequence wanted", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "required": False, "description": "Results per object", "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5}},
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/SearchResults"}, "Results, ranked within each object"), **_errors(400, 401)},
            },
        },
        "/api/v1/access/{object}/{id}/explain": {
            "get": {
                "tags": ["access"], "operationId": "explain_access", "summary": "Why a user may or may not reach a record (administrators)",
                "parameters": [
                    {"name": "object", "in": "path", "required": True, "schema": {"type": "string", "enum": names}},
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": RECORD_ID_PATTERN}},
                    {"name": "user", "in": "query", "required": True, "description": "User id or username", "schema": {"type": "string"}},
                ],
                "responses": {"200": _json({"type": "object"}, "The explanation"), **_errors(400, 401, 403, 404)},
            },
        },
        "/api/v1/users/{id}/disable": {
            "post": {
                "tags": ["users"], "operationId": "disable_user", "summary": "Disable a user and end their sessions and tokens",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": RECORD_ID_PATTERN}}],
                "responses": {"200": _json({"type": "object"}, "The user record"), **_errors(401, 403, 404, 422)},
            },
        },
        "/api/v1/users/{id}/unlock": {
            "post": {
                "tags": ["users"], "operationId": "unlock_user", "summary": "Clear a user's failed sign-in lock (administrators)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": RECORD_ID_PATTERN}}],
                "responses": {"204": {"description": "Unlocked"}, **_errors(401, 403, 404)},
            },
        },
    }
    from admin_ui.web.api.metadata import openapi_paths

    paths.update(openapi_paths(_errors))
    for name in names:
        model = services.records.model(name)
        schemas[_schema_name(name, "Input")] = _input_schema(services, name, partial=False)
        schemas[_schema_name(name, "Patch")] = _input_schema(services, name, partial=True)
        schemas[_schema_name(name, "Record")] = _output_schema(model)
        paths.update(_object_paths(services, name))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tessera API",
            "version": API_VERSION,
            "description": "Records of every installed object, generated from the site's metadata. "
            "Errors are {\"errors\": [{\"field\", \"code\", \"message\"}]}; messages follow Accept-Language (en, zh).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "tags": [{"name": "auth"}, {"name": "objects"}, {"name": "access"}, {"name": "search"}, {"name": "metadata"}, *({"name": name, "description": registry.objects[name].label.en} for name in names)],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/auth/token"},
                "session": {"type": "apiKey", "in": "cookie", "name": services.settings.session_cookie, "description": "The sign-in cookie (unsafe methods need X-CSRF-Token)"},
            },
        },
    }


def document(services) -> dict[str, Any]:
    """The document for the current registry, built once per metadata version."""
    cache = getattr(services, "_openapi_cache", None)
    if cache is None or cache[0] is not services.site.registry:
        cache = (services.site.registry, build_document(services))
        services._openapi_cache = cache
    return cache[1]


def openapi_json(request: Request) -> Response:
    return JSONResponse(document(services_of(request)))


def openapi_page(request: Request) -> Response:
    services = services_of(request)
    spec = document(services)
    operations = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            operations.append({
                "method": method.upper(),
                "path": path,
                "tag": operation["tags"][0],
                "summary": operation.get("summary", ""),
                "parameters": [*item.get("parameters", []), *operation.get("parameters", [])],
                "body": operation.get("requestBody"),
                "responses": operation["responses"],
            })
    tags: dict[str, list[dict[str, Any]]] = {}
    for operation in operations:
        tags.setdefault(operation["tag"], []).append(operation)
    return services.templates.TemplateResponse(
        request, "api/docs.html", {"spec": spec, "tags": tags, "language": request.state.language}
    )


def routes() -> list[Route]:
    return [
        Route("/api/v1/openapi.json", endpoint(openapi_json), methods=["GET"], name="api_openapi"),
        Route("/api/docs", endpoint(openapi_page), methods=["GET"], name="api_docs"),
    ]
