"""What billing adds to a session's life: its tariff frozen when it opens, its driver's payment
linked, and the billing workflow started once it ends."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.charging.sessions import BillingStatus, Session, SessionStatus
from chalicelib.charging.station import SessionHooks
from chalicelib.observability import count, logger

if TYPE_CHECKING:
    from chalicelib.charging.models import Charger
    from chalicelib.payments.checkout import CheckoutService
    from chalicelib.store.payments import PaymentRepository
    from chalicelib.tariffs.service import TariffLookup
    from chalicelib.workflows.starter import WorkflowStarter

# The ad-hoc tokens the checkout issues (CheckoutService.begin); only these can belong to a payment.
_PAYMENT_TOKEN = re.compile(r"^PAY[0-9A-F]{16}$")


def billing_execution_name(tenant_id: str, session_id: str) -> str:
    """One billing execution per session: Step Functions refuses a second start of the same name."""
    return f"bill-{tenant_id}-{session_id}"


class BillingHooks(SessionHooks):
    def __init__(
        self, tenant_id: str, charger: Charger, *, tariffs: TariffLookup, payments: PaymentRepository,
        checkout: Callable[[], CheckoutService], workflows: Callable[[], WorkflowStarter],
    ) -> None:
        self._tenant_id = tenant_id
        self._charger = charger
        self._tariffs = tariffs
        self._payments = payments
        self._checkout = checkout
        self._workflows = workflows

    def opening(self, session: Session) -> Session:
        fields: dict[str, object] = {}
        tariff = self._tariffs.for_charger(self._charger)
        if tariff is not None:
            fields.update(tariff=tariff.model_dump(mode="json"), currency=tariff.currency)
        if session.token_uid and _PAYMENT_TOKEN.match(session.token_uid):
            payment_id = self._payments.of_token(session.token_uid)
            payment = self._payments.get(payment_id) if payment_id else None
            if payment is not None:
                fields.update(payment_id=payment.id, hold_amount=payment.hold_amount)
        return session.model_copy(update=fields) if fields else session

    def opened(self, session: Session) -> None:
        if session.payment_id:
            self._checkout().session_started(session.payment_id, session.id)

    def ended(self, session: Session) -> None:
        if session.status != SessionStatus.COMPLETED or session.billing in (BillingStatus.BILLED, BillingStatus.FAILED):
            return
        name = billing_execution_name(self._tenant_id, session.id)
        try:
            started = self._workflows().start("billing", name, {"tenant_id": self._tenant_id, "session_id": session.id})
        except Exception:  # the charger's answer must not wait on billing; the alarm and the log tell
            count("BillingNotStarted")
            logger.exception("billing workflow not started", session_id=session.id)
            return
        logger.info("billing started" if started else "billing already started", session_id=session.id)
