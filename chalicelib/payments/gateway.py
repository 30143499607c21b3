"""What the platform asks of a payment provider, in its own terms. The Stripe adapter implements it;
services receive it as an argument, so a test can hand in the sandbox-backed adapter or a fake."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.errors import Unavailable, Unprocessable


class PaymentDeclined(Unprocessable):
    """The provider refused the request for a reason a retry will not change (4xx)."""

    default_code = "payment_declined"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message, code=code)


class PaymentUnavailable(Unavailable):
    """The provider could not be reached or failed (5xx, network): the same request may be retried."""

    default_code = "payment_provider_unavailable"


@dataclass(frozen=True)
class Checkout:
    id: str
    url: str


@dataclass(frozen=True)
class CompletedCheckout:
    """A paid (pre-authorised) checkout, as its webhook event tells it."""

    id: str
    payment_intent_id: str | None
    amount: int
    currency: str
    metadata: dict[str, str]
    email: str | None = None


@dataclass(frozen=True)
class Capture:
    charge_id: str
    amount: int
    fee: int | None = None  # the provider's fee on the charge, when it tells it


@dataclass(frozen=True)
class AccountStatus:
    account_id: str
    details_submitted: bool
    payouts_enabled: bool
    transfers_active: bool


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    data: dict[str, Any]
    account: str | None = None
    created: int = 0  # epoch seconds, when Stripe made the event
    extra: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    def create_account(self, *, email: str | None, country: str, idempotency_key: str) -> str: ...

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str: ...

    def create_checkout(
        self, *, amount: int, currency: str, description: str, success_url: str, cancel_url: str,
        metadata: dict[str, str], transfer_group: str, idempotency_key: str,
    ) -> Checkout: ...

    def capture(self, intent_id: str, amount: int, *, idempotency_key: str) -> Capture: ...

    def cancel(self, intent_id: str, *, idempotency_key: str) -> None: ...

    def transfer(
        self, *, amount: int, currency: str, destination: str, transfer_group: str, source_charge: str,
        description: str, idempotency_key: str,
    ) -> str: ...

    def verify_event(self, payload: bytes, signature: str | None) -> ProviderEvent: ...
