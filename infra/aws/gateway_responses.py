"""What API Gateway answers by itself for the REST API, in the contract's error shape.

Without these, a path that matches no route gets a 403 "Missing Authentication Token", and one sent with an
`Authorization: Bearer ...` header gets a 403 that echoes the header back. No route here uses IAM
authentication, so every signature-type refusal means the path matched no route: 404 `route_not_found`.
Messages are fixed strings, never `$context.error.messageString`, so nothing from the request is echoed.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.rest.replies import error_body

ROUTE_NOT_FOUND_MESSAGE = "no route matches this method and path"

# response type -> (status, contract code, message)
_RESPONSES: dict[str, tuple[int | None, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "route_not_found", ROUTE_NOT_FOUND_MESSAGE),
    "INCOMPLETE_SIGNATURE": (404, "route_not_found", ROUTE_NOT_FOUND_MESSAGE),
    "INVALID_SIGNATURE": (404, "route_not_found", ROUTE_NOT_FOUND_MESSAGE),
    "EXPIRED_TOKEN": (404, "route_not_found", ROUTE_NOT_FOUND_MESSAGE),
    "THROTTLED": (429, "rate_limited", "too many requests; retry later"),
    "REQUEST_TOO_LARGE": (413, "request_too_large", "the request is too large"),
    # The defaults keep the status API Gateway chose (4xx or 5xx) and only reshape the body.
    "DEFAULT_4XX": (None, "request_rejected", "the API gateway refused the request"),
    "DEFAULT_5XX": (None, "gateway_error", "the API gateway could not complete the request"),
}


# The OpenAPI extension API Gateway reads gateway responses from.
OPENAPI_EXTENSION = "x-amazon-apigateway-gateway-responses"


def gateway_responses() -> dict[str, Any]:
    """The `x-amazon-apigateway-gateway-responses` of the REST API's definition. In the definition they are
    part of what a deployment publishes, and a change to them changes the definition and so redeploys."""
    responses: dict[str, Any] = {}
    for response_type, (status, code, message) in _RESPONSES.items():
        response: dict[str, Any] = {
            "responseTemplates": {"application/json": json.dumps(error_body(code, message))},
        }
        if status is not None:
            response["statusCode"] = str(status)
        responses[response_type] = response
    return responses
