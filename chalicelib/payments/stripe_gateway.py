"""The payment gateway on Stripe, through the official SDK. Without a Stripe key the local runtime
and the tests point `api_base` at the offline sandbox (infra/local/stripe_sandbox), which speaks
the same HTTP API.

Money moves as Stripe Connect's "separate charges and transfers": the driver's payment is charged
on the platform's account, and each party's share is a transfer to its connected account with the
session's `transfer_group` and the charge as `source_transaction`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chalicelib.payments.gateway import (
    Capture,
    Checkout,
    PaymentDeclined,
    PaymentUnavailable,
    ProviderEvent,
)

if TYPE_CHECKING:
    pass

# The SDK retries connection errors and 5xx itself, with the same idempotency key.
_NETWORK_RETRIES = 2
_TIMEOUT_S = 8


class StripePayments:
    def __init__(self, secret_key: str, webhook_secret: str, *, api_base: str | None = None) -> None:
        import stripe

        self._stripe = stripe
        self._webhook_secret = webhook_secret
        bases: Any = {"api": api_base, "connect": api_base} if api_base else None
        # Well inside the functions' 30 s: a slow Stripe is retried by the workflow, not timed out by Lambda.
        http = stripe.new_default_http_client(timeout=_TIMEOUT_S)
        self._client = stripe.StripeClient(secret_key, base_addresses=bases, max_network_retries=_NETWORK_RETRIES,
                                           http_client=http)

    # -- Connect ---------------------------------------------------------------------------------
    def create_account(self, *, email: str | None, country: str, idempotency_key: str) -> str:
        params: Any = {
            "type": "express", "country": country,
            "capabilities": {"transfers": {"requested": True}},
        }
        if email:
            params["email"] = email
        with self._errors():
            account = self._client.v1.accounts.create(params, {"idempotency_key": idempotency_key})
        return str(account.id)

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        with self._errors():
            link = self._client.v1.account_links.create({
                "account": account_id, "refresh_url": refresh_url, "return_url": return_url,
                "type": "account_onboarding",
            })
        return str(link.url)

    # -- the driver's payment --------------------------------------------------------------------
    def create_checkout(
        self, *, amount: int, currency: str, description: str, success_url: str, cancel_url: str,
        metadata: dict[str, str], transfer_group: str, idempotency_key: str,
    ) -> Checkout:
        params: Any = {
            "mode": "payment",
            "line_items": [{
                "quantity": 1,
                "price_data": {"currency": currency.lower(), "unit_amount": amount,
                               "product_data": {"name": description}},
            }],
            # A hold, captured at the session's real cost when it ends.
            "payment_intent_data": {"capture_method": "manual", "metadata": metadata,
                                    "transfer_group": transfer_group},
            "metadata": metadata,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        with self._errors():
            session = self._client.v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})
        return Checkout(id=str(session.id), url=str(session.url))

    def capture(self, intent_id: str, amount: int, *, idempotency_key: str) -> Capture:
        params: Any = {"amount_to_capture": amount, "expand": ["latest_charge.balance_transaction"]}
        try:
            with self._errors():
                intent = self._client.v1.payment_intents.capture(
                    intent_id, params, {"idempotency_key": idempotency_key})
        except PaymentDeclined:
            # Captured already (an idempotency key expires after 24 hours): read what was captured.
            with self._errors():
                intent = self._client.v1.payment_intents.retrieve(
                    intent_id, {"expand": ["latest_charge.balance_transaction"]})
            if intent.status != "succeeded" or int(intent.amount_received) != amount:
                raise  # not this capture's outcome
        charge: Any = intent.latest_charge
        fee = None
        if charge is not None and not isinstance(charge, str) and charge.balance_transaction is not None \
                and not isinstance(charge.balance_transaction, str):
            fee = int(charge.balance_transaction.fee)
        charge_id = charge if isinstance(charge, str) else str(charge.id)
        return Capture(charge_id=charge_id, amount=int(intent.amount_received), fee=fee)

    def cancel(self, intent_id: str, *, idempotency_key: str) -> None:
        try:
            with self._errors():
                self._client.v1.payment_intents.cancel(
                    intent_id, {"cancellation_reason": "abandoned"}, {"idempotency_key": idempotency_key})
        except PaymentDeclined:
            with self._errors():
                intent = self._client.v1.payment_intents.retrieve(intent_id)
            if intent.status != "canceled":
                raise

    # -- payouts ---------------------------------------------------------------------------------
    def transfer(
        self, *, amount: int, currency: str, destination: str, transfer_group: str, source_charge: str,
        description: str, idempotency_key: str,
    ) -> str:
        with self._errors():
            transfer = self._client.v1.transfers.create({
                "amount": amount, "currency": currency.lower(), "destination": destination,
                "transfer_group": transfer_group, "source_transaction": source_charge,
                "description": description,
            }, {"idempotency_key": idempotency_key})
        return str(transfer.id)

    # -- webhooks --------------------------------------------------------------------------------
    def verify_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        try:
            event = self._stripe.Webhook.construct_event(payload, signature or "", self._webhook_secret)
        except (ValueError, self._stripe.SignatureVerificationError) as bad:
            raise PaymentDeclined(f"webhook rejected: {bad}", code="invalid_signature") from None
        data = event.to_dict()
        return ProviderEvent(id=str(data.get("id", "")), type=str(data.get("type", "")),
                             data=(data.get("data") or {}).get("object") or {}, account=data.get("account"),
                             created=int(data.get("created") or 0))

    @contextmanager
    def _errors(self) -> Iterator[None]:
        stripe = self._stripe
        try:
            yield
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise PaymentUnavailable(str(exc)) from exc
        except stripe.StripeError as exc:
            status = exc.http_status or 0
            if status >= 500 or status in (409, 429):
                raise PaymentUnavailable(str(exc)) from exc
            raise PaymentDeclined(str(exc.user_message or exc), code=exc.code or None) from exc


