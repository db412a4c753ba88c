"""``GET /api/v1/search?q=…[&objects=a,b][&limit=n]``: records matching a search text, grouped by object.

Results come from the search index through each object's security predicate (see
``runtime.search``): ranked within each object, objects in the sequence asked for (else by name),
at most ``limit`` per object. Unknown or unreadable objects named in ``objects`` are skipped, not
reported, so a caller learns nothing about objects they cannot read.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from admin_ui.web.api.context import endpoint, require_user, services_of
from admin_ui.web.responses import JSONResponse, error

PATH = "/api/v1/search"
MAX_QUERY = 200
DEFAULT_LIMIT = 5
MAX_LIMIT = 50


def search(request: Request) -> Response:
    if (refused := require_user(request)) is not None:
        return refused
    params, language = request.query_params, request.state.language
    text = params.get("q", "")
    if len(text) > MAX_QUERY or "\x00" in text:
        return error(400, "invalid_query", f"The search text is at most {MAX_QUERY} characters of text.", f"搜索内容最多 {MAX_QUERY} 个字符。", language, field="q")
    objects = [part.strip() for part in params["objects"].split(",") if part.strip()] if params.get("objects") else None
    limit = DEFAULT_LIMIT
    if "limit" in params:
        if not params["limit"].isdigit() or not 1 <= int(params["limit"]) <= MAX_LIMIT:
            return error(400, "invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.", f"limit 必须是 1 到 {MAX_LIMIT} 之间的整数。", language, field="limit")
        limit = int(params["limit"])
    hits = services_of(request).records.search_records(request.state.actor, text, objects, limit=limit)
    return JSONResponse({"results": [{"object": hit.object, "id": hit.id, "title": hit.title, "snippet": hit.snippet} for hit in hits]})


def routes() -> list[Route]:
    return [Route(PATH, endpoint(search), methods=["GET"], name="api_search")]
