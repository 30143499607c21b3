"""Stripe's idempotency (API v1): the first POST with an `Idempotency-Key` that reaches its endpoint has its status
and body saved (errors included); a retry with the same key and the same parameters gets the saved answer again,
with `Idempotent-Replayed: true`; the same key on another endpoint or with other parameters is a 400
`idempotency_error`; a retry while the first is still running is a 409. Keys are scoped to the API key (and the
Stripe-Account header). A request refused before its endpoint ran (authentication, bad parameters) saves nothing."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from infra.local.stripe_sandbox.errors import StripeError


@dataclass
class Saved:
    endpoint: str
    params: Any
    status: int | None = None  # None while the first request is running
    body: bytes = b""


class IdempotencyKeys:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._saved: dict[tuple[str, str], Saved] = {}

    def claim(self, scope: str, key: str, endpoint: str, params: Any) -> Saved | None:
        """The saved answer to replay, or None when this request is the first with the key (it is now running)."""
        with self._lock:
            saved = self._saved.get((scope, key))
            if saved is None:
                self._saved[(scope, key)] = Saved(endpoint, params)
                return None
        if saved.endpoint != endpoint:
            raise StripeError(400, f"Keys for idempotent requests can only be used for the same endpoint they were "
                              f"first used for ('{saved.endpoint}' vs '{endpoint}'). Try using a key other than "
                              f"'{key}' if you meant to execute a different request.", type="idempotency_error",
                              saved=False)
        if saved.params != params:
            raise StripeError(400, f"Keys for idempotent requests can only be used with the same parameters they "
                              f"were first used with. Try using a key other than '{key}' if you meant to execute a "
                              "different request.", type="idempotency_error", saved=False)
        if saved.status is None:
            raise StripeError(409, f"There is currently another in-progress request using this Idempotent Key (that "
                              f"probably means you submitted twice, and the other request is still going through): "
                              f"{key}. Please try again later.", type="idempotency_error", saved=False)
        return saved

    def save(self, scope: str, key: str, status: int, body: bytes) -> None:
        with self._lock:
            saved = self._saved[(scope, key)]
            saved.status, saved.body = status, body

    def release(self, scope: str, key: str) -> None:
        """The request never reached its endpoint: the key is free again."""
        with self._lock:
            self._saved.pop((scope, key), None)
