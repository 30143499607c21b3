"""The scheduled sweep over payments still holding a driver's card (every few minutes): a hold whose
charge never began is released, and a paid session whose cost reached its hold is stopped even when
its charger sends no readings (the reading-driven check cannot see it then)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.errors import PlatformError
from chalicelib.observability import logger
from chalicelib.payments.models import PaymentStatus

if TYPE_CHECKING:
    from chalicelib.store.payments import PaymentWatch


@dataclass
class SweepReport:
    released: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)


class PaymentSweeper:
    def __init__(self, watch: PaymentWatch) -> None:
        self._watch = watch

    def sweep(self) -> SweepReport:
        report = SweepReport()
        for tenant_id, payment_id in self._watch.all():
            try:
                self._sweep_one(tenant_id, payment_id, report)
            except Exception:  # one payment's trouble must not stop the others' sweep
                logger.exception("payment sweep failed", tenant_id=tenant_id, payment_id=payment_id)
        return report

    def _sweep_one(self, tenant_id: str, payment_id: str, report: SweepReport) -> None:
        from chalicelib.composition import checkout_service

        checkout = checkout_service(tenant_id)
        try:
            payment = checkout.release_if_never_started(checkout.get(payment_id))
        except PlatformError:  # gone
            payment = None
        if payment is None or payment.status.is_final:
            self._watch.remove(tenant_id, payment_id)
            (report.released if payment is not None and payment.status == PaymentStatus.CANCELLED
             else report.finished).append(payment_id)
            return
        charging = payment.status == PaymentStatus.CHARGING and payment.session_id
        if charging and self._stop_if_hold_reached(tenant_id, payment.charger_id, str(payment.session_id)):
            report.stopped.append(payment_id)

    @staticmethod
    def _stop_if_hold_reached(tenant_id: str, charger_id: str, session_id: str) -> bool:
        from chalicelib.billing.hooks import cost_so_far, hold_reached
        from chalicelib.composition import command_service, pricing_sources, rest_sender
        from chalicelib.ocpp.verbs import CommandIn
        from chalicelib.store.chargers import ChargerRepository
        from chalicelib.store.sessions import SessionRepository
        from chalicelib.store.sites import SiteRepository

        session = SessionRepository(tenant_id).get(session_id)
        if session is None or not session.is_active or not session.hold_amount:
            return False
        charger = ChargerRepository(tenant_id).get(charger_id)
        site = SiteRepository(tenant_id).get(charger.site_id) if charger is not None else None
        cost = cost_so_far(session, pricing_sources(tenant_id), site.time_zone if site is not None else "UTC")
        if not hold_reached(cost, session.hold_amount):
            return False
        logger.info("cost reached the hold; stopping the session (sweep)", session_id=session_id, cost=cost)
        command_service(tenant_id, rest_sender).send(
            charger_id, CommandIn(action="stop", payload={"session_id": session_id}))
        return True
