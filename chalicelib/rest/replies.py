"""JSON replies and the contract's error body: {"error": {"code", "message", "field"?}}."""
from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PlatformError,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)
from chalicelib.store.contract import Page

_STATUS: dict[type[PlatformError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Unprocessable: 422,
    Unavailable: 503,
}
_JSON: dict[str, str | list[str]] = {"Content-Type": "application/json"}


def json_reply(body: Any, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers=dict(_JSON))


def html_reply(page: str, status: int = 200) -> Response:
    return Response(body=page, status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


def csv_reply(text: str, next_cursor: str | None) -> Response:
    """A page of rows as CSV; the cursor of the next page, if any, in the `X-Next` header."""
    headers: dict[str, str | list[str]] = {"Content-Type": "text/csv; charset=utf-8"}
    if next_cursor:
        headers["X-Next"] = next_cursor
    return Response(body=text, status_code=200, headers=headers)


def created(body: Any) -> Response:
    return json_reply(body, 201)


def no_content() -> Response:
    return Response(body="", status_code=204)


def page_reply(page: Page[Any], view: Any) -> Response:
    return json_reply({"items": [view(item) for item in page.items], "next": page.next})


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def error_reply(error: PlatformError) -> Response:
    status = next((s for cls, s in _STATUS.items() if isinstance(error, cls)), 400)
    headers = dict(_JSON)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="evcharge"'
    return Response(body=error_body(error.code, error.message, error.field), status_code=status, headers=headers)


def internal_error_reply(request_id: str | None) -> Response:
    message = "the platform failed to answer; try again"
    if request_id:
        message += f" (request id {request_id})"
    return json_reply(error_body("internal_error", message), 500)
