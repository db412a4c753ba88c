"""``POST /api/v1/objects/{object}/aggregate``: groups and totals through the caller's security scope.

The body is an aggregate (see ``runtime.query.aggregate`` and docs/analytics.md); the answer gives
each group's key values as the list API writes them (ids, picklist values, ISO dates, decimals as
strings) and one value per measure, in order, plus totals over every matching record. A grouping
or measure that does not fit its field answers 422 naming it; a bad filter 400, as in a list.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, json_body, require_user, services_of, unknown_object
from admin_ui.web.responses import JSONResponse
from runtime.query.aggregate import Aggregate, AggregateRow

PATH = "/api/v1/objects/{object}/aggregate"


def _rows(rows: list[AggregateRow]) -> list[dict[str, Any]]:
    return [{"group": row.group, "values": row.values} for row in rows]


def _notice(result: Aggregate, language: str) -> dict[str, str]:
    if language.startswith("zh"):
        message = f"分组超过 {result.limit} 个，只列出前 {result.limit} 个；合计仍包含全部匹配的记录。请缩小筛选范围或减少分组层级。"
    else:
        message = (
            f"More than {result.limit} groups: only the first {result.limit} are listed; the totals still "
            "cover every matching record. Narrow the filter or group by fewer levels."
        )
    return {"code": "row_limit", "message": message}


def body_of(result: Aggregate, language: str) -> dict[str, Any]:
    """The JSON answer for an aggregate."""
    body: dict[str, Any] = {"rows": _rows(result.rows), "totals": result.totals, "truncated": result.truncated, "limit": result.limit}
    if result.row_totals is not None:
        body["row_totals"] = _rows(result.row_totals)
    if result.column_totals is not None:
        body["column_totals"] = _rows(result.column_totals)
    if result.truncated:
        body["notice"] = _notice(result, language)
    return body


def aggregate(request: Request) -> Response:
    name = request.path_params["object"]
    if (refused := require_user(request) or unknown_object(request, name)) is not None:
        return refused
    spec = json_body(request)
    if isinstance(spec, Response):
        return spec
    services = services_of(request)
    result = services.records.aggregate(request.state.actor, name, spec, fiscal_year_start=services.settings.fiscal_year_start_month)
    return JSONResponse(body_of(result, request.state.language))


def routes() -> list[Route]:
    return [Route(PATH, endpoint(aggregate), methods=["POST"], name="api_aggregate")]
