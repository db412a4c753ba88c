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

from admin_ui.web.api.context import call, read_json, require_user, services_of, unknown_object
from admin_ui.web.responses import JSONResponse, error

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
            query["filter"] = json.loads(params["filter"])
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


async def list_records(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    query = parse_list_query(request)
    if isinstance(query, Response):
        return query
    services, actor, name = services_of(request), request.state.actor, request.path_params["object"]
    page = await call(request, lambda: services.records.find(actor, name, **query))
    if isinstance(page, Response):
        return page
    return JSONResponse({"records": page.records, "next_cursor": page.next_cursor})


async def create_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    services, actor, name = services_of(request), request.state.actor, request.path_params["object"]
    record = await call(request, lambda: services.records.create(actor, name, body))
    if isinstance(record, Response):
        return record
    headers = {"Location": f"/api/v1/objects/{name}/records/{record['id']}", **_etag(record)}
    return JSONResponse(record, status_code=201, headers=headers)


async def get_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    services, actor = services_of(request), request.state.actor
    name, record_id = request.path_params["object"], request.path_params["id"]
    params = request.query_params
    fields = [part.strip() for part in params["fields"].split(",") if part.strip()] if params.get("fields") else None
    expand = [part.strip() for part in params["expand"].split(",") if part.strip()] if params.get("expand") else ()
    record = await call(request, lambda: services.records.get(actor, name, record_id, fields=fields, expand=expand))
    if isinstance(record, Response):
        return record
    return JSONResponse(record, headers=_etag(record))


async def update_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    version = parse_if_match(request)
    if isinstance(version, Response):
        return version
    body = await read_json(request)
    if isinstance(body, Response):
        return body
    services, actor = services_of(request), request.state.actor
    name, record_id = request.path_params["object"], request.path_params["id"]
    record = await call(request, lambda: services.records.update(actor, name, record_id, body, version=version), if_match=version is not None)
    if isinstance(record, Response):
        return record
    return JSONResponse(record, headers=_etag(record))


async def delete_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    version = parse_if_match(request)
    if isinstance(version, Response):
        return version
    services, actor = services_of(request), request.state.actor
    name, record_id = request.path_params["object"], request.path_params["id"]
    result = await call(request, lambda: services.records.delete(actor, name, record_id, version=version), if_match=version is not None)
    if isinstance(result, Response):
        return result
    return Response(status_code=204)


async def restore_record(request: Request) -> Response:
    if (refused := _guard(request)) is not None:
        return refused
    services, actor = services_of(request), request.state.actor
    name, record_id = request.path_params["object"], request.path_params["id"]
    record = await call(request, lambda: services.records.restore(actor, name, record_id))
    if isinstance(record, Response):
        return record
    return JSONResponse(record, headers=_etag(record))


def routes() -> list[Route]:
    return [
        Route(PREFIX, list_records, methods=["GET"], name="api_list_records"),
        Route(PREFIX, create_record, methods=["POST"], name="api_create_record"),
        Route(PREFIX + "/{id}", get_record, methods=["GET"], name="api_get_record"),
        Route(PREFIX + "/{id}", update_record, methods=["PATCH"], name="api_update_record"),
        Route(PREFIX + "/{id}", delete_record, methods=["DELETE"], name="api_delete_record"),
        Route(PREFIX + "/{id}/restore", restore_record, methods=["POST"], name="api_restore_record"),
    ]
