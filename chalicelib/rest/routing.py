"""Registering REST routes with one guard: request-scoped log keys, platform errors rendered as the
contract says, unexpected ones as a 500 with the request id, and one access log line per request."""
from __future__ import annotations

import functools
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib.errors import Conflict, PlatformError
from chalicelib.observability import logger
from chalicelib.rest.replies import error_body, error_reply, internal_error_reply
from chalicelib.store.contract import ConcurrentModification

View = Callable[..., Any]


def current_request(app: Chalice) -> Request:
    assert app.current_request is not None, "called outside a request"
    return app.current_request


def request_id(app: Chalice) -> str:
    context = current_request(app).context or {}
    lambda_context = getattr(app, "lambda_context", None)
    return (
        context.get("requestId")
        or getattr(lambda_context, "aws_request_id", None)
        or str(uuid.uuid4())
    )


def guarded(app: Chalice) -> Callable[..., Callable[[View], View]]:
    """`@route(path, methods=[...])`: like `app.route`, with the guard described above."""

    def route(path: str, **options: Any) -> Callable[[View], View]:
        def register(view: View) -> View:
            @functools.wraps(view)
            def handle(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                rid = request_id(app)
                logger.thread_safe_append_keys(request_id=rid)
                try:
                    response = _call(view, args, kwargs, rid)
                    if isinstance(response, Response):
                        response.headers["X-Request-Id"] = rid
                        status = response.status_code
                    else:
                        status = 200
                    logger.info(
                        "request",
                        method=current_request(app).method,
                        route=path,
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    )
                    return response
                finally:
                    logger.thread_safe_clear_keys()

            registered: View = app.route(path, **options)(handle)
            return registered

        return register

    return route


def _call(view: View, args: tuple[Any, ...], kwargs: dict[str, Any], rid: str) -> Any:
    try:
        return view(*args, **kwargs)
    except PlatformError as error:
        return error_reply(error)
    except ConcurrentModification:
        return error_reply(Conflict("the object changed while this request ran; retry",
                                    code="concurrent_modification"))
    except Exception:
        logger.exception("unhandled error")
        return internal_error_reply(rid)


def contract_error_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: errors Chalice answers itself (405, 415, ...) in the contract's error shape."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        response.body = error_body(_snake_case(str(body["Code"])), str(body["Message"]))
        response.headers["Content-Type"] = "application/json"
    return response


def _snake_case(name: str) -> str:
    words = re.findall(r"[A-Z][a-z0-9]*", name.removesuffix("Error")) or [name]
    return "_".join(word.lower() for word in words)
