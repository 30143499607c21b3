"""What billing adds to a session's life: its tariff frozen when it opens, its driver's payment
linked, and the billing workflow started once it ends."""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.charging.sessions import BillingStatus, Session, SessionStatus
from chalicelib.charging.station import SessionHooks
from chalicelib.observability import count, logger
from chalicelib.payments.models import PaymentStatus

if TYPE_CHECKING:
    from chalicelib.billing.steps import PricingSources
    from chalicelib.charging.models import Charger
    from chalicelib.payments.checkout import CheckoutService
    from chalicelib.store.payments import PaymentRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.sites import SiteRepository
    from chalicelib.tariffs.service import TariffLookup
    from chalicelib.workflows.starter import WorkflowStarter

# The ad-hoc tokens the checkout issues (CheckoutService.begin); only these can belong to a payment.
_PAYMENT_TOKEN = re.compile(r"^PAY[0-9A-F]{16}$")
_AWAITING_SESSION = (PaymentStatus.AUTHORIZED, PaymentStatus.STARTING)


# How often a paid session's cost is checked against its hold as readings arrive (each check prices the
# session from its readings: a query). A minute of charging at 350 kW is about 6 kWh.
HOLD_CHECK_INTERVAL_S = 60.0


@dataclass
class _Watch:
    """A paid session being watched (per container): when it was last priced, and whether it was stopped."""

    session_id: str
    hold_amount: int
    checked_at: float = 0.0
    stopped: bool = False


# (tenant, charger, transaction) -> the paid session's watch, or None for a session with no hold.
_WATCHES: OrderedDict[tuple[str, str, str], _Watch | None] = OrderedDict()
_WATCHES_LOCK = threading.Lock()
_MAX_WATCHES = 2000


# A paid session is stopped a little before its cost reaches the hold: the energy and time that run on
# until the charger stops (and until the next check) must still fit in what the card can pay.
HOLD_STOP_AT = 0.95


def hold_reached(cost_incl_vat: int | None, hold_amount: int) -> bool:
    return cost_incl_vat is not None and cost_incl_vat >= hold_amount * HOLD_STOP_AT


def cost_so_far(session: Session, sources: PricingSources, time_zone: str) -> int | None:
    """A running session's cost incl. VAT up to now, priced as its CDR will be; None without a tariff."""
    from chalicelib.billing.session_pricing import price_stored_session
    from chalicelib.clock import utc_now

    priced = price_stored_session(session, sources.readings(session), sources.status_events(session),
                                  sources.transaction_events(session), time_zone=time_zone, until=utc_now())
    return None if priced is None else priced.total_cost.incl_vat


def billing_execution_name(tenant_id: str, session_id: str) -> str:
    """One billing execution per session: Step Functions refuses a second start of the same name."""
    return f"bill-{tenant_id}-{session_id}"


class BillingHooks(SessionHooks):
    def __init__(
        self, tenant_id: str, charger: Charger, *, tariffs: TariffLookup, payments: PaymentRepository,
        checkout: Callable[[], CheckoutService], workflows: Callable[[], WorkflowStarter],
        sessions: SessionRepository, sites: SiteRepository, sources: Callable[[], PricingSources],
        stop_session: Callable[[str], None],
    ) -> None:
        self._sessions = sessions
        self._sites = sites
        self._sources = sources
        self._stop_session = stop_session
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
            # A payment pays for one session: the one its remote start began, not a later one on its token.
            if payment is not None and payment.session_id is None and payment.status in _AWAITING_SESSION:
                fields.update(payment_id=payment.id, hold_amount=payment.hold_amount)
        return session.model_copy(update=fields) if fields else session

    def opened(self, session: Session) -> None:
        # Known from the start whether its readings need watching: an unpaid session's cost no read.
        self._remember(session.transaction_id, _Watch(session.id, session.hold_amount)
                       if session.payment_id and session.hold_amount else None)
        if session.payment_id:
            self._checkout().session_started(session.payment_id, session.id)

    def ended(self, session: Session) -> None:
        if session.payment_id:
            self._checkout().session_ended(session.payment_id)
        if session.status != SessionStatus.COMPLETED or session.billing in (BillingStatus.BILLED, BillingStatus.FAILED):
            return
        if session.tariff is None and not session.payment_id:
            return  # nothing to price and no hold to release: no workflow to pay for
        name = billing_execution_name(self._tenant_id, session.id)
        try:
            started = self._workflows().start("billing", name, {"tenant_id": self._tenant_id, "session_id": session.id})
        except Exception:  # the charger's answer must not wait on billing; the alarm and the log tell
            count("BillingNotStarted")
            logger.exception("billing workflow not started", session_id=session.id)
            return
        logger.info("billing started" if started else "billing already started", session_id=session.id)

    def metered(self, transaction_id: str) -> None:
        """A paid session whose cost reached its card's hold is stopped: the platform can capture no more."""
        watch = self._watch(transaction_id)
        now = time.monotonic()
        if watch is None or watch.stopped or now - watch.checked_at < HOLD_CHECK_INTERVAL_S:
            return
        watch.checked_at = now
        session = self._sessions.get(watch.session_id)
        if session is None or not session.is_active:
            return
        site = self._sites.get(self._charger.site_id)
        cost = cost_so_far(session, self._sources(), site.time_zone if site is not None else "UTC")
        if not hold_reached(cost, watch.hold_amount):
            return
        watch.stopped = True
        count("HoldReachedStops")
        logger.info("cost reached the hold; stopping the session", session_id=session.id, cost=cost,
                    hold=watch.hold_amount)
        try:
            self._stop_session(session.id)
        except Exception:  # offline: the charger's own stop (or the next reading) ends it
            watch.stopped = False
            logger.exception("hold-reached stop not sent", session_id=session.id)

    def _watch(self, transaction_id: str) -> _Watch | None:
        key = (self._tenant_id, self._charger.id, transaction_id)
        with _WATCHES_LOCK:
            if key in _WATCHES:
                _WATCHES.move_to_end(key)
                return _WATCHES[key]
        session_id = self._sessions.session_of(self._charger.id, transaction_id)
        session = self._sessions.get(session_id) if session_id else None
        if session is None:
            return None  # not known yet (a reading before its start): ask again next time
        watch = (_Watch(session.id, session.hold_amount)
                 if session.payment_id and session.hold_amount and session.is_active else None)
        self._remember(transaction_id, watch)
        return watch

    def _remember(self, transaction_id: str, watch: _Watch | None) -> None:
        with _WATCHES_LOCK:
            _WATCHES[(self._tenant_id, self._charger.id, transaction_id)] = watch
            while len(_WATCHES) > _MAX_WATCHES:
                _WATCHES.popitem(last=False)


class BillingRuns:
    """An operator's re-run of a session whose billing failed for good (Stripe down for longer than the
    workflow's retries, say). Every step reads the ledger entry and keys its Stripe calls by session and
    step, so a re-run does only what the failed run did not."""

    def __init__(self, tenant_id: str, sessions: SessionRepository, workflows: Callable[[], WorkflowStarter]) -> None:
        self._tenant_id = tenant_id
        self._sessions = sessions
        self._workflows = workflows

    def rerun(self, session_id: str) -> Session:
        from chalicelib.clock import now_rfc3339
        from chalicelib.errors import Conflict, NotFound

        session = self._sessions.get(session_id) if self._sessions.accepts_id(session_id) else None
        if session is None:
            raise NotFound.of("session", session_id)
        if session.billing != BillingStatus.FAILED:
            raise Conflict(f"session {session_id}'s billing is {session.billing or 'not started'}; only a failed "
                           "billing is run again", code="billing_not_failed")
        moved = self._sessions.update(session_id, lambda s: s.model_copy(update={
            "billing": BillingStatus.PENDING, "updated_at": now_rfc3339()}) if s.billing == BillingStatus.FAILED else s)
        assert moved is not None
        if moved.billing != BillingStatus.PENDING:
            raise Conflict(f"session {session_id}'s billing changed meanwhile", code="billing_not_failed")
        # A name of its own: the session's first execution has ended, and Step Functions keeps its name.
        name = f"{billing_execution_name(self._tenant_id, session_id)}-r{int(time.time())}"
        self._workflows().start("billing", name, {"tenant_id": self._tenant_id, "session_id": session_id})
        logger.info("billing run again", session_id=session_id, execution=name)
        return moved
