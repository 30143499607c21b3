"""The REST edge's two wrappers.

- `http_edge`, a Chalice middleware around every HTTP request (including the 405/415 replies
  Chalice makes itself): a request id for logs and the `X-Request-Id` header, request-scoped log
  keys, the contract's error shape, and one access log line.
- `guarded(app)`, a route decorator like `app.route` that renders platform errors as the contract
  says and unexpected ones as a 500 naming the request id (Chalice would swallow both before any
  middleware sees them).
"""
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
from chalicelib.settings import remember_request_base_url
from chalicelib.store.contract import ConcurrentModification

View = Callable[..., Any]


def request_id(request: Request) -> str:
    """API Gateway's request id, else Lambda's, else a new one; stored so every reader agrees."""
    context = request.context
    if not context.get("requestId"):
        lambda_context = getattr(request, "lambda_context", None)
        context["requestId"] = getattr(lambda_context, "aws_request_id", None) or str(uuid.uuid4())
    return str(context["requestId"])


def http_edge(event: Request, get_response: Callable[[Request], Response]) -> Response:
    started = time.perf_counter()
    rid = request_id(event)
    logger.thread_safe_append_keys(request_id=rid)
    remember_request_base_url(event.context.get("domainName"), event.context.get("stage"))
    try:
        response = get_response(event)
        _to_contract_shape(response)
        response.headers["X-Request-Id"] = rid
        logger.info(
            "request", method=event.method, route=event.context.get("resourcePath"),
            status=response.status_code, duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response
    finally:
        logger.thread_safe_clear_keys()


def guarded(app: Chalice) -> Callable[..., Callable[[View], View]]:
    """`@route(path, methods=[...])`: like `app.route`, with platform errors rendered as the contract says."""

    def route(path: str, **options: Any) -> Callable[[View], View]:
        def register(view: View) -> View:
            @functools.wraps(view)
            def handle(*args: Any, **kwargs: Any) -> Any:
                try:
                    return view(*args, **kwargs)
                except PlatformError as error:
                    return error_reply(error)
                except ConcurrentModification:
                    return error_reply(Conflict("the object changed while this request ran; retry",
                                                code="concurrent_modification"))
                except Exception:
                    logger.exception("unhandled error")
                    assert app.current_request is not None
                    return internal_error_reply(request_id(app.current_request))

            registered: View = app.route(path, **options)(handle)
            return registered

        return register

    return route


def _to_contract_shape(response: Response) -> None:
    """Errors Chalice answers itself ({"Code", "Message"}) in the contract's error shape."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        response.body = error_body(_snake_case(str(body["Code"])), str(body["Message"]))
        response.headers["Content-Type"] = "application/json"


def _snake_case(name: str) -> str:
    words = re.findall(r"[A-Z][a-z0-9]*", name.removesuffix("Error")) or [name]
    return "_".join(word.lower() for word in words)
