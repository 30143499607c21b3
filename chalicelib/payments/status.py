"""What the driver sees after paying (/pay/sessions/{payment}): the payment's state, the session's live
energy and cost while it runs, and the receipt once billed."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.clock import utc_now

if TYPE_CHECKING:
    from chalicelib.billing.steps import PricingSources
    from chalicelib.payments.checkout import CheckoutService
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.ledger import LedgerRepository
    from chalicelib.store.payments import PaymentRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.sites import SiteRepository


class DriverStatus:
    def __init__(
        self, *, payments: PaymentRepository, sessions: SessionRepository, ledger: LedgerRepository,
        chargers: ChargerRepository, sites: SiteRepository, sources: PricingSources, checkout: CheckoutService,
    ) -> None:
        self._payments = payments
        self._sessions = sessions
        self._ledger = ledger
        self._chargers = chargers
        self._sites = sites
        self._sources = sources
        self._checkout = checkout

    def view(self, payment_id: str) -> dict[str, Any]:
        payment = self._checkout.release_if_never_started(self._checkout.get(payment_id))
        view: dict[str, Any] = {
            "id": payment.id, "status": payment.status.value, "charger_id": payment.charger_id,
            "connector": payment.connector, "currency": payment.currency, "hold_amount": payment.hold_amount,
            "captured_amount": payment.captured_amount, "cancel_reason": payment.cancel_reason,
        }
        session = self._sessions.get(payment.session_id) if payment.session_id else None
        if session is None:
            return view
        view["session"] = {
            "id": session.id, "status": session.status.value, "started_at": session.started_at,
            "stopped_at": session.stopped_at, "energy_wh": session.energy_wh, "cost": session.cost,
        }
        if session.is_active:
            view["session"].update(self._live(session))
        entry = self._ledger.get(session.id)
        if entry is not None and entry.gross is not None:
            view["receipt"] = {
                "lines": [item.model_dump(mode="json") for item in entry.receipt],
                "total_excl_vat": entry.cost_excl_vat, "vat": entry.vat, "total_incl_vat": entry.cost_incl_vat,
                "paid": entry.gross, "energy_wh": entry.energy_wh,
                "started_at": session.started_at, "stopped_at": session.stopped_at,
            }
        return view

    def _live(self, session: Any) -> dict[str, Any]:
        """Energy and cost so far, priced as the CDR will be."""
        from chalicelib.billing.session_pricing import price_stored_session

        charger = self._chargers.get(session.charger_id)
        site = self._sites.get(charger.site_id) if charger is not None else None
        if site is None:
            return {}
        readings = self._sources.readings(session)
        priced = price_stored_session(session, readings, self._sources.status_events(session),
                                      self._sources.transaction_events(session), time_zone=site.time_zone,
                                      until=utc_now())
        if priced is None:
            return {}
        return {"energy_wh": int(priced.total_energy_kwh * 1000),
                "cost": {"excl_vat": priced.total_cost.excl_vat, "incl_vat": priced.total_cost.incl_vat}}
