"""Records of any object: list (filter, sort, fields, cursor), create, get, change, delete, restore.

PATCH and DELETE honour ``If-Match: <version>`` (a plain number, quoted or not, as the record's
``version`` or its ETag); a stale version answers 412. Without If-Match a concurrent change that
the pipeline still detects answers 409.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import JsonTooDeep, endpoint, json_body, load_json, require_user, services_of, too_deep, unknown_object
from admin_ui.web.responses import JSONResponse, error, error_response
from runtime.auth.users import USER_OBJECT, disable_user
from runtime.errors import QueryError, RecordError
from runtime.records.messages import field_error

PREFIX = "/api/v1/objects/{object}/records"


def _guard(request: Request) -> Response | None:
    return require_user(request) or unknown_object(request, request.path_params["object"])


def _etag(record: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{record["version"]}"'} if isinstance(record, dict) and "version" in record else {}


def _bad_query(request: Request, name: str, code: str, en: str, zh: str) -> Response:
    return error(400, code, en, zh, request.state.language, field=name)


def parse_list_query(request: Request) -> dict[str, Any] | Response:
    """The query of a list request as RecordService.find keywords, or a 400 naming the parameter."""
    params = request.query_params
    query: dict[str, Any] = {}
    if params.get("filter"):
        try:
            query["filter"] = load_json(params["filter"])
        except JsonTooDeep:
            return too_deep(request.state.language, "filter")
        except json.JSONDecodeError as problem:
            return _bad_query(
                request, "filter", "invalid_filter",
                f"The filter is not valid JSON ({problem.msg}).", f"筛选条件不是有效的 JSON（{problem.msg}）。",
            )
    if params.get("sort"):
        query["sort"] = [part.strip() for part in params["sort"].split(",")]
    if params.get("fields"):
        query["fields"] = [part.strip() for part in params["fields"].split(",") if part.strip()]
    if params.get("expand"):
        query["expand"] = [part.strip() for part in params["expand"].split(",") if part.strip()]
    if "limit" in params:
        try:
            query["limit"] = int(params["limit"])
        except ValueError:
            return _bad_query(request, "limit", "invalid_limit", "limit must be a whole number.", "limit 必须是整数。")
    if params.get("cursor"):
        query["cursor"] = params["cursor"]
    return query


def refuse_hidden(request: Request, fields: list[str] | None) -> Response | None:
    """400 naming each field of ``fields`` the caller may not read: to them it does not exist, so it
    is answered as an unknown name is (the reader leaves such fields out when pages ask for them)."""
    if not fields:
        return None
    name, actor = request.path_params["object"], request.state.actor
    access = services_of(request).records.reader.access
    visible = access.readable_fields(actor, name)
    hidden = [field for field in fields if visible is not None and field.split(".")[0] not in visible]
    if not hidden or not access.allows(actor, name, "read"):  # no read at all: the read answers 403
        return None
    problem = QueryError([field_error(field, "unknown_field", field=field.split(".")[0]) for field in hidden], object_name=name)
    return error_response(problem, request.state.language)


def parse_if_match(request: Request) -> int | None | Response:
    """The version in If-Match, None without the header, or a 400 response."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if text.isdigit() and len(text) < 18:
        return int(text)
    return error(
        400, "invalid_if_match", "If-Match must be the record's version number.", "If-Match 必须是记录的版本号。",
        request.state.language, field="If-Match",
    )


def list_records(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    query = parse_list_query(request)
    if isinstance(query, Response):
        return query
    if (refused := refuse_hidden(request, query.get("fields"))) is not None:
        return refused
    page = services_of(request).records.find(request.state.actor, request.path_params["object"], **query)
    return JSONResponse({"records": page.records, "next_cursor": page.next_cursor})


def create_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    body = json_body(request)
    if isinstance(body, Response):
        return body
    name = request.path_params["object"]
    record = services_of(request).records.create(request.state.actor, name, body)
    headers = {"Location": f"/api/v1/objects/{name}/records/{record['id']}", **_etag(record)}
    return JSONResponse(record, status_code=201, headers=headers)


def get_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    params = request.query_params
    fields = [part.strip() for part in params["fields"].split(",") if part.strip()] if params.get("fields") else None
    expand = [part.strip() for part in params["expand"].split(",") if part.strip()] if params.get("expand") else ()
    if (refused := refuse_hidden(request, fields)) is not None:
        return refused
    record = services_of(request).records.get(
        request.state.actor, request.path_params["object"], request.path_params["id"], fields=fields, expand=expand
    )
    return JSONResponse(record, headers=_etag(record))


def update_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    version = parse_if_match(request)
    if isinstance(version, Response):
        return version
    body = json_body(request)
    if isinstance(body, Response):
        return body
    name, record_id = request.path_params["object"], request.path_params["id"]
    try:
        if name == USER_OBJECT and isinstance(body, dict) and body.get("active") is False:
            # disabling ends the user's sessions and tokens: the one path the CLI and setup share
            record = disable_user(services_of(request).records, request.state.actor, record_id, values=body, version=version)
        else:
            record = services_of(request).records.update(request.state.actor, name, record_id, body, version=version)
    except RecordError as problem:
        return error_response(problem, request.state.language, if_match=version is not None)
    return JSONResponse(record, headers=_etag(record))


def delete_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    version = parse_if_match(request)
    if isinstance(version, Response):
        return version
    try:
        services_of(request).records.delete(request.state.actor, request.path_params["object"], request.path_params["id"], version=version)
    except RecordError as problem:
        return error_response(problem, request.state.language, if_match=version is not None)
    return Response(status_code=204)


def restore_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    record = services_of(request).records.restore(request.state.actor, request.path_params["object"], request.path_params["id"])
    return JSONResponse(record, headers=_etag(record))


def routes() -> list[Route]:
    return [
        Route(PREFIX, endpoint(list_records), methods=["GET"], name="api_list_records"),
        Route(PREFIX, endpoint(create_record), methods=["POST"], name="api_create_record"),
        Route(PREFIX + "/{id}", endpoint(get_record), methods=["GET"], name="api_get_record"),
        Route(PREFIX + "/{id}", endpoint(update_record), methods=["PATCH"], name="api_update_record"),
        Route(PREFIX + "/{id}", endpoint(delete_record), methods=["DELETE"], name="api_delete_record"),
        Route(PREFIX + "/{id}/restore", endpoint(restore_record), methods=["POST"], name="api_restore_record"),
    ]
