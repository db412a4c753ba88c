"""CSV import and export over HTTP: ``POST /api/v1/objects/{object}/import`` and ``GET …/export``.

The import takes the CSV as the raw body (``text/csv``) or as the ``file`` field of a multipart
form; ``?update_by=FIELD`` and ``?skip_bad_rows=true`` as on the command line. It answers
``{"created", "updated", "skipped", "errors"}``; a rejected all-or-nothing import answers 422 with
every bad row's errors, each with its ``row`` (the header is row 1).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from admin_ui.web.api.context import async_endpoint, endpoint, require_user, services_of, unknown_object
from admin_ui.web.api.records import parse_list_query
from admin_ui.web.responses import JSONResponse, error, error_response
from runtime.errors import RecordError
from runtime.transfer import CsvImportError, export_csv, import_csv

_TRUE = {"1", "true", "yes", "on"}


async def _csv_body(request: Request) -> bytes | Response:
    language = request.state.language
    limit = services_of(request).settings.max_body_bytes
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=20)
        except Exception:  # noqa: BLE001 — python-multipart raises several kinds for a malformed form
            return error(400, "invalid_form", "The multipart form could not be read.", "无法读取 multipart 表单。", language)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return error(400, "required", "Send the CSV as the form field 'file'.", "请以表单字段 'file' 上传 CSV 文件。", language, field="file")
        data = await upload.read(limit + 1)
        await form.close()
    else:
        data = await request.body()
    if len(data) > limit:
        return error(413, "too_large", "The file is too large.", "文件过大。", language)
    return data


async def import_records(request: Request) -> Response:
    if (refused := require_user(request) or unknown_object(request, request.path_params["object"])) is not None:
        return refused
    data = await _csv_body(request)
    if isinstance(data, Response):
        return data
    services, actor, name = services_of(request), request.state.actor, request.path_params["object"]
    update_by = request.query_params.get("update_by") or None
    skip = request.query_params.get("skip_bad_rows", "").lower() in _TRUE
    try:
        result = await run_in_threadpool(lambda: import_csv(services.records, actor, name, data, update_by=update_by, skip_bad_rows=skip))
    except CsvImportError as problem:
        return JSONResponse({"errors": problem.row_messages(request.state.language)}, status_code=422)
    except RecordError as problem:  # refused permissions: mapped like every other endpoint
        return error_response(problem, request.state.language)
    return JSONResponse(result.as_dict(request.state.language))


def export_records(request: Request) -> Response:
    if (refused := require_user(request) or unknown_object(request, request.path_params["object"])) is not None:
        return refused
    query = parse_list_query(request)
    if isinstance(query, Response):
        return query
    name = request.path_params["object"]
    headers = "label" if request.query_params.get("headers") == "label" else "api_name"
    # formula-like cells are neutralised for spreadsheets unless the caller asks for the values verbatim
    raw = request.query_params.get("raw", "").lower() in _TRUE
    chunks = export_csv(
        services_of(request).records, request.state.actor, name, filter=query.get("filter"), fields=query.get("fields"), headers=headers, raw=raw
    )
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def routes() -> list[Route]:
    return [
        Route("/api/v1/objects/{object}/import", async_endpoint(import_records), methods=["POST"], name="api_import"),
        Route("/api/v1/objects/{object}/export", endpoint(export_records), methods=["GET"], name="api_export"),
    ]
