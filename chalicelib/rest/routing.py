"""Registering REST routes with one guard: request-scoped log keys, platform errors rendered as the
contract says, unexpected ones as a 500 with the request id, and one access log line per request."""
from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Response

from chalicelib.errors import Conflict, PlatformError
from chalicelib.observability import logger
from chalicelib.rest.replies import error_reply, internal_error_reply
from chalicelib.store.contract import ConcurrentModification

View = Callable[..., Any]


def request_id(app: Chalice) -> str:
    context = app.current_request.context or {}
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
                        method=app.current_request.method,
                        route=path,
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    )
                    return response
                finally:
                    logger.thread_safe_clear_keys()

            return app.route(path, **options)(handle)

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
