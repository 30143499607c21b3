"""Stripe's error body: `{"error": {"type", "message", "param"?, "code"?}}` with its HTTP status."""
from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An answer Stripe gives as an error. `saved` says whether it is kept under the request's Idempotency-Key:
    Stripe keeps what an endpoint answered once it began executing, but not a request refused before that
    (bad parameters, authentication, a conflicting concurrent request)."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, saved: bool = True, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.saved = saved
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": error}


def invalid_param(message: str, param: str | None, code: str | None = None) -> StripeError:
    """A request refused while checking its parameters: never saved under an Idempotency-Key."""
    return StripeError(400, message, param=param, code=code, saved=False)


def no_such(kind: str, object_id: str, param: str) -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", param=param, code="resource_missing", saved=False)
