"""Protocol-neutral errors raised by services. Each edge (REST, OCPP, OCPI) maps them to its own codes."""
from __future__ import annotations


class PlatformError(Exception):
    """An expected failure with a stable snake_case code and a sentence for humans."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message
        self.field = field


class InvalidInput(PlatformError):
    default_code = "invalid_input"


class Unauthenticated(PlatformError):
    default_code = "unauthenticated"


class Forbidden(PlatformError):
    default_code = "forbidden"


class NotFound(PlatformError):
    default_code = "not_found"

    @classmethod
    def of(cls, kind: str, item_id: str) -> NotFound:
        # Another tenant's object is reported exactly like an absent one.
        return cls(f"{kind} {item_id!r} was not found", code=f"{kind.replace(' ', '_')}_not_found")


class Conflict(PlatformError):
    default_code = "conflict"


class Unprocessable(PlatformError):
    default_code = "unprocessable"


class Unavailable(PlatformError):
    """A service the platform depends on (the payment provider) did not answer; the same request may work later."""

    default_code = "unavailable"
