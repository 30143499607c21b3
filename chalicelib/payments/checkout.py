"""A driver pays at a connector: the connector's offer (status, tariff, hold), a hosted checkout
that pre-authorises the hold, the remote start once the hold is placed, and the cancellation of the
hold when the charge never begins.

The states a payment goes through are in `PaymentStatus`; every transition is a conditional update
from the state it expects, so a replayed webhook or a resent answer changes nothing the second time.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.clock import now_rfc3339, rfc3339, utc_now
from chalicelib.errors import Conflict, NotFound, Unprocessable
from chalicelib.identifiers import new_id
from chalicelib.observability import logger
from chalicelib.payments.gateway import CompletedCheckout, PaymentDeclined, PaymentGateway
from chalicelib.payments.models import Payment, PaymentStatus

if TYPE_CHECKING:
    from chalicelib.charging.live import ConnectorStatus
    from chalicelib.charging.models import Charger
    from chalicelib.ocpp.commands import CommandService
    from chalicelib.store.charger_state import ChargerStateRepository
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.payments import PaymentRepository, PaymentWatch
    from chalicelib.store.tokens import TokenRepository
    from chalicelib.tariffs.models import Tariff
    from chalicelib.tariffs.service import TariffLookup

# Statuses in which a connector can take a new session (1.6 ChargePointStatus, 2.0.1 ConnectorStatus).
_FREE = {"Available", "Preparing"}
# How long the charger may take to start after accepting the remote start, before the hold is released.
START_WINDOW = timedelta(minutes=15)
# How long a paid session's token stays valid once its session began (deleted when the session ends).
SESSION_TOKEN_LIFE = timedelta(hours=48)
# A resent checkout event may resume a start that an earlier delivery began; not before this (so two
# deliveries racing each other cannot both start the charger).
RESUME_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class ConnectorOffer:
    """What the driver's page shows before paying."""

    tenant_name: str
    charger: Charger
    connector: int
    evse_id: int
    connector_id: int
    online: bool
    status: ConnectorStatus | None
    tariff: Tariff | None
    currency: str
    hold_amount: int

    @property
    def can_start(self) -> bool:
        return self.online and self.tariff is not None and (self.status is None or self.status.status in _FREE)

    @property
    def reason(self) -> str | None:
        """Why the driver cannot pay now, in words; None when they can."""
        if self.tariff is None:
            return "This connector has no price set yet."
        if not self.online:
            return "This charger is offline."
        if self.status is not None and self.status.status not in _FREE:
            return f"This connector is {self.status.status.lower()}."
        return None


def connector_position(charger: Charger, connector: int) -> tuple[int, int] | None:
    """The (EVSE id, connector id) of the n-th connector, counted EVSE by EVSE as OCPP 1.6 does."""
    n = 0
    for evse in charger.evses:
        for plug in evse.connectors:
            n += 1
            if n == connector:
                return evse.id, plug.id
    return None


def default_hold(currency: str) -> int:
    """50 units of the currency, in its minor units."""
    from chalicelib.iso_codes import minor_units

    exponent = int(minor_units(currency) or 0)
    return 50 * int(10**exponent)


class CheckoutService:
    def __init__(
        self, tenant_id: str, *, payments: PaymentRepository, chargers: ChargerRepository,
        states: ChargerStateRepository, tokens: TokenRepository, tariffs: TariffLookup,
        gateway: Callable[[], PaymentGateway], commands: Callable[[], CommandService], public_base_url: str,
        watch: PaymentWatch | None = None,
    ) -> None:
        self._watch = watch
        self._tenant_id = tenant_id
        self._payments = payments
        self._chargers = chargers
        self._states = states
        self._tokens = tokens
        self._tariffs = tariffs
        self._gateway = gateway
        self._commands = commands
        self._base = public_base_url

    # -- before paying ---------------------------------------------------------------------------
    def offer(self, charger_id: str, connector: int, *, tenant_name: str, currency: str,
              hold: int | None) -> ConnectorOffer:
        charger = self._chargers.get(charger_id) if self._chargers.accepts_id(charger_id) else None
        position = connector_position(charger, connector) if charger is not None else None
        if charger is None or position is None:
            raise NotFound("no such connector", code="connector_not_found")
        live = self._states.get(charger.id)
        evse_id, connector_id = position
        status = live.connectors.get(f"{evse_id}/{connector_id}") or live.connectors.get(str(evse_id))
        tariff = self._tariffs.for_charger(charger)
        if tariff is not None and tariff.currency != currency:
            hold = None  # the tenant's hold is in its own currency: the tariff's currency gets the default
        currency = tariff.currency if tariff is not None else currency
        return ConnectorOffer(
            tenant_name=tenant_name, charger=charger, connector=connector, evse_id=evse_id,
            connector_id=connector_id, online=live.is_online, status=status, tariff=tariff,
            currency=currency, hold_amount=hold or default_hold(currency),
        )

    def begin(self, offer: ConnectorOffer, *, pay_page_url: str) -> Payment:
        """Open the payment and its hosted checkout; the driver is sent to `checkout_url`."""
        if not offer.can_start:
            raise Conflict(offer.reason or "this connector cannot start now", code="connector_unavailable")
        now = now_rfc3339()
        payment = Payment(
            id=new_id("pay"), charger_id=offer.charger.id, connector=offer.connector, evse_id=offer.evse_id,
            connector_id=offer.connector_id, token_uid="PAY" + secrets.token_hex(8).upper(),
            currency=offer.currency, hold_amount=offer.hold_amount, created_at=now, updated_at=now,
        )
        self._payments.open(payment)
        checkout = self._gateway().create_checkout(
            amount=payment.hold_amount, currency=payment.currency,
            description=f"Charging at {offer.tenant_name}, {offer.charger.name or offer.charger.id} "
                        f"connector {offer.connector} (held; you pay what you charge)",
            success_url=f"{self._base}/pay/sessions/{payment.id}", cancel_url=pay_page_url,
            metadata={"tenant_id": self._tenant_id, "payment_id": payment.id},
            transfer_group=payment.id, idempotency_key=f"checkout-{payment.id}",
        )
        updated = self._payments.update(payment.id, lambda p: p.model_copy(update={
            "checkout_id": checkout.id, "checkout_url": checkout.url, "updated_at": now_rfc3339()}))
        assert updated is not None
        return updated

    def get(self, payment_id: str) -> Payment:
        payment = self._payments.get(payment_id) if self._payments.accepts_id(payment_id) else None
        if payment is None:
            raise NotFound.of("payment", payment_id)
        return payment

    # -- the driver paid -------------------------------------------------------------------------
    def checkout_completed(self, checkout: CompletedCheckout) -> Payment | None:
        """The hold is placed: give the payment its token and ask the charger to start. A replayed
        event finds the payment past OPEN and does nothing."""
        payment_id = checkout.metadata.get("payment_id", "")
        moved: list[Payment] = []

        def authorize(p: Payment) -> Payment:
            if p.status != PaymentStatus.OPEN:
                return p
            updated = p.model_copy(update={
                "status": PaymentStatus.AUTHORIZED, "payment_intent_id": checkout.payment_intent_id,
                "email": checkout.email, "updated_at": now_rfc3339()})
            moved.append(updated)
            return updated

        payment = self._payments.update(payment_id, authorize) if self._payments.accepts_id(payment_id) else None
        if payment is None:
            logger.warning("checkout for an unknown payment", payment_id=payment_id)
            return None
        if not moved:
            if not self._interrupted(payment):
                logger.info("checkout event replayed", payment_id=payment_id, status=payment.status)
                return payment
            # Stripe resent the event because the first delivery died between the hold and the start.
            logger.info("resuming an interrupted start", payment_id=payment_id)
        self._issue_token(payment)
        if self._watch is not None:
            self._watch.add(self._tenant_id, payment.id)  # swept until it ends (a start that never comes)
        return self._remote_start(payment)

    @staticmethod
    def _interrupted(payment: Payment) -> bool:
        """Authorised, but no remote start sent for a while: the handler that authorised it died."""
        from chalicelib.clock import parse_rfc3339

        return (payment.status == PaymentStatus.AUTHORIZED and payment.command_id is None
                and utc_now() - parse_rfc3339(payment.updated_at) > RESUME_AFTER)

    def _issue_token(self, payment: Payment) -> None:
        from chalicelib.charging.models import Token, TokenStatus, TokenType
        from chalicelib.store.contract import AlreadyExists

        now = utc_now()
        with suppress(AlreadyExists):  # issued by an interrupted earlier delivery
            self._tokens.add(Token(
            uid=payment.token_uid, type=TokenType.AD_HOC_USER, status=TokenStatus.ACCEPTED,
            expires_at=rfc3339(now + START_WINDOW), created_at=rfc3339(now), updated_at=rfc3339(now),
            ))

    def _remote_start(self, payment: Payment) -> Payment:
        from chalicelib.ocpp.verbs import CommandIn

        try:
            command = self._commands().send(payment.charger_id, CommandIn(action="start", payload={
                "token_uid": payment.token_uid, "token_type": "Central", "evse_id": payment.evse_id,
                "connector_id": payment.connector_id,
            }), context={"payment_id": payment.id})
        except (Conflict, Unprocessable) as refused:  # offline, or gone offline while sending
            logger.info("remote start not sent", payment_id=payment.id, reason=str(refused))
            return self.cancel(payment.id, reason="charger_offline")
        return self._move(payment.id, {PaymentStatus.AUTHORIZED},
                          status=PaymentStatus.STARTING, command_id=command.id) or payment

    def start_answered(self, payment_id: str, accepted: bool) -> Payment | None:
        """The charger's answer to the remote start: a refusal releases the hold."""
        if accepted:
            return self.get(payment_id)
        return self.cancel(payment_id, reason="start_refused")

    def release_if_never_started(self, payment: Payment) -> Payment:
        """A hold whose charge never began within START_WINDOW (the charger accepted the remote start
        but no transaction came, or never answered) is released."""
        from chalicelib.clock import parse_rfc3339

        waiting = payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.STARTING)
        if waiting and utc_now() - parse_rfc3339(payment.updated_at) > START_WINDOW:
            return self.cancel(payment.id, reason="not_started")
        return payment

    def session_started(self, payment_id: str, session_id: str) -> Payment | None:
        moved = self._move(payment_id, {PaymentStatus.AUTHORIZED, PaymentStatus.STARTING},
                           status=PaymentStatus.CHARGING, session_id=session_id)
        if moved is not None:
            # The token now lives as long as its session (a 2.0.1 charger re-checks it while charging).
            self._tokens.update(moved.token_uid, lambda t: t.model_copy(update={
                "expires_at": rfc3339(utc_now() + SESSION_TOKEN_LIFE), "updated_at": now_rfc3339()}))
        return moved

    def session_ended(self, payment_id: str) -> None:
        """The paid session is over: its token can start nothing more."""
        payment = self._payments.get(payment_id)
        if payment is not None:
            self._tokens.delete(payment.token_uid)

    def cancel(self, payment_id: str, *, reason: str) -> Payment:
        """Release the hold (nothing is charged). Only before a session began."""
        payment = self.get(payment_id)
        if payment.status not in (PaymentStatus.OPEN, PaymentStatus.AUTHORIZED, PaymentStatus.STARTING):
            return payment
        if payment.payment_intent_id:
            try:
                self._gateway().cancel(payment.payment_intent_id, idempotency_key=f"cancel-{payment.id}")
            except PaymentDeclined as declined:
                logger.warning("hold not released", payment_id=payment.id, reason=str(declined))
        moved = self._move(payment.id, {PaymentStatus.OPEN, PaymentStatus.AUTHORIZED, PaymentStatus.STARTING},
                           status=PaymentStatus.CANCELLED, cancel_reason=reason)
        self._tokens.delete(payment.token_uid)
        return moved or self.get(payment.id)

    def _move(self, payment_id: str, expected: set[PaymentStatus], **changes: object) -> Payment | None:
        """Apply `changes` if the payment is in one of the `expected` states; None otherwise."""
        moved: list[Payment] = []

        def change(p: Payment) -> Payment:
            if p.status not in expected:
                return p
            updated = p.model_copy(update={**changes, "updated_at": now_rfc3339()})
            moved.append(updated)
            return updated

        self._payments.update(payment_id, change)
        return moved[0] if moved else None
