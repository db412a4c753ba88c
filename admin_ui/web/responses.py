"""JSON responses of the API, and the one error shape: ``{"errors": [{"field", "code", "message"}]}``.

Runtime errors carry their messages in English and Chinese; :func:`error_response` maps each error
class to its status (the table below is the API's contract, documented in docs/api.md) and picks
the message in the request's language.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from runtime.errors import (
    AggregateError,
    DeleteRestrictedError,
    QueryError,
    RecordConflictError,
    RecordError,
    RecordNotFoundError,
    RecordPermissionError,
    RecordValidationError,
)

#: runtime error class → HTTP status; the first match in sequence wins (subclasses first)
STATUS_BY_ERROR: tuple[tuple[type[RecordError], int], ...] = (
    (AggregateError, 422),  # the request is well-formed JSON naming fields that do not fit
    (QueryError, 400),
    (RecordNotFoundError, 404),
    (RecordPermissionError, 403),
    (DeleteRestrictedError, 409),
    (RecordConflictError, 409),  # 412 when the request carried If-Match
    (RecordValidationError, 422),
)


#: error codes whose status is not their class's: restoring a record that is not in the recycle
#: bin conflicts with the record's state, it is not invalid input
STATUS_BY_CODE = {"not_in_recycle_bin": 409}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # money and quantities stay exact: JSON numbers would round through a float in most clients
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(content: Any) -> bytes:
    try:
        return json.dumps(content, default=_default, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        # an error message quoting the request's own unpaired surrogate (an unknown field named
        # "\ud800"): escaped, that text is still valid JSON, which raw UTF-8 cannot carry
        return json.dumps(content, default=_default, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class JSONResponse(Response):
    """A JSON response that knows the runtime's values (Decimal, dates)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, list[dict[str, Any]]]:
    return {"errors": [{"field": field, "code": code, "message": message}]}


def error(status: int, code: str, message_en: str, message_zh: str, language: str, *, field: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """One error, in the request's language."""
    message = message_zh if language.startswith("zh") else message_en
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


def error_response(problem: RecordError, language: str, *, if_match: bool = False) -> JSONResponse:
    """The response for a runtime record error, with every problem it lists."""
    status = 422
    for kind, code in STATUS_BY_ERROR:
        if isinstance(problem, kind):
            status = code
            break
    if isinstance(problem, RecordConflictError) and if_match:
        status = 412
    elif problem.errors and problem.errors[0].code in STATUS_BY_CODE:
        status = STATUS_BY_CODE[problem.errors[0].code]
    return JSONResponse({"errors": problem.messages(language)}, status_code=status)


def unauthenticated(language: str) -> JSONResponse:
    return error(
        401, "unauthenticated", "Sign in, or send a valid bearer token.", "请先登录，或提供有效的访问令牌。", language,
        headers={"WWW-Authenticate": 'Bearer realm="tessera"'},
    )
