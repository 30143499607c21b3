"""The billing workflow's steps, one method each (chalicelib/workflows/billing.asl.json runs them in
order as Lambda functions). Each step is idempotent: it reads the session's ledger entry, does only
what is not recorded there yet, and every Stripe call carries a key derived from the session and the
step, so a step retried by Step Functions, or a whole billing run started again, never charges or
transfers twice.

Errors: `BillingRetry` means "try again later" (Stripe or DynamoDB unavailable, a concurrent write);
the state machine retries it with backoff. Anything else fails the step; the state machine then runs
`fail`, which marks the session's billing failed and records an alert.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.billing.ledger import EntryStatus, LedgerEntry, ReceiptItem, TransferRecord, TransferStatus
from chalicelib.billing.split import Share, split_amount
from chalicelib.charging.sessions import BillingStatus, Session, SessionStatus
from chalicelib.clock import now_rfc3339, utc_now
from chalicelib.observability import count, logger
from chalicelib.payments.gateway import PaymentDeclined, PaymentGateway, PaymentUnavailable
from chalicelib.payments.models import Payment, PaymentStatus
from chalicelib.payments.parties import CPO_PARTY_ID, PartyRole

if TYPE_CHECKING:
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.directory import TenantProfileRepository
    from chalicelib.store.ledger import CdrRepository, LedgerRepository
    from chalicelib.store.parties import PartyRepository
    from chalicelib.store.payments import PaymentRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.sites import SiteRepository
    from chalicelib.tariffs.pricing import PricedSession


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> str: ...


class BillingRetry(Exception):
    """A step met a temporary failure; the state machine retries it (ASL `ErrorEquals`)."""


class BillingStopped(Exception):
    """A step cannot go on for good (e.g. its session vanished); the state machine fails the run."""


@dataclass(frozen=True)
class PricingSources:
    """What pricing reads besides the session (readings, statuses), as one callable per source."""

    readings: Callable[[Session], list[Any]]
    status_events: Callable[[Session], list[Any]]
    transaction_events: Callable[[Session], list[Any]]


def cdr_id_of(session_id: str) -> str:
    return "cdr_" + session_id.removeprefix("ses_")


class BillingSteps:
    def __init__(
        self, tenant_id: str, *, sessions: SessionRepository, ledger: LedgerRepository, cdrs: CdrRepository,
        payments: PaymentRepository, parties: PartyRepository, chargers: ChargerRepository, sites: SiteRepository,
        profiles: TenantProfileRepository, sources: PricingSources, gateway: Callable[[], PaymentGateway],
        platform_fee_bps: int, mailer: Callable[[], Mailer] | None = None, public_base_url: str = "",
    ) -> None:
        self._mailer = mailer
        self._public_base_url = public_base_url
        self._tenant_id = tenant_id
        self._sessions = sessions
        self._ledger = ledger
        self._cdrs = cdrs
        self._payments = payments
        self._parties = parties
        self._chargers = chargers
        self._sites = sites
        self._profiles = profiles
        self._sources = sources
        self._gateway = gateway
        self._platform_fee_bps = platform_fee_bps

    # -- 1. price the session and write its CDR ----------------------------------------------------
    def price(self, session_id: str) -> dict[str, Any]:
        with _transient():
            priced_before = self._ledger.get(session_id)
            if priced_before is not None:  # priced by an earlier run, which may have died before this:
                self._sessions.update(session_id, lambda s: s if s.cdr_id else s.model_copy(update={
                    "cost": {"excl_vat": priced_before.cost_excl_vat, "incl_vat": priced_before.cost_incl_vat},
                    "cdr_id": priced_before.cdr_id, "billing": BillingStatus.PENDING, "updated_at": now_rfc3339()}))
                return self._out(session_id, billable=True)
            session = self._session(session_id)
            if session.status != SessionStatus.COMPLETED or session.tariff is None:
                self._release_hold(session)  # nothing to price: the driver pays nothing
                self._mark_session(session_id, BillingStatus.NOT_BILLED)
                return self._out(session_id, billable=False)
            cdr, priced, site_id = self._build_cdr(session)
            stored = self._cdrs.add_once(cdr)
            now = now_rfc3339()
            total = priced.total_cost
            entry = LedgerEntry(
                id=session.id, session_id=session.id, charger_id=session.charger_id, site_id=site_id,
                currency=priced.currency, cdr_id=stored["id"], cost_excl_vat=total.excl_vat,
                cost_incl_vat=total.incl_vat, vat=total.incl_vat - total.excl_vat, energy_wh=session.energy_wh,
                receipt=[ReceiptItem(label=line.label, volume=float(line.volume), unit=line.unit,
                                     unit_price=float(line.unit_price),
                                     vat_percent=None if line.vat_percent is None else float(line.vat_percent),
                                     amount_excl_vat=line.amount_excl_vat, amount_incl_vat=line.amount_incl_vat)
                         for line in priced.lines],
                payment_id=session.payment_id, created_at=now, updated_at=now,
            )
            from chalicelib.store.contract import AlreadyExists

            with suppress(AlreadyExists):  # a concurrent run wrote it first
                self._ledger.add(entry)
            self._sessions.update(session.id, lambda s: s.model_copy(update={
                "cost": {"excl_vat": total.excl_vat, "incl_vat": total.incl_vat}, "cdr_id": stored["id"],
                "billing": BillingStatus.PENDING, "updated_at": now}))
        return self._out(session_id, billable=True)

    def _build_cdr(self, session: Session) -> tuple[dict[str, Any], PricedSession, str | None]:
        from chalicelib.billing.cdrs import CdrPlace, CdrTokenInfo, build_cdr
        from chalicelib.billing.session_pricing import price_stored_session
        from chalicelib.tariffs.models import Tariff

        charger = self._chargers.get(session.charger_id)
        site = self._sites.get(charger.site_id) if charger is not None else None
        if charger is None or site is None:
            raise BillingStopped(f"charger {session.charger_id} or its site is gone: session {session.id} "
                                 "cannot be located on a CDR")
        priced = price_stored_session(
            session, self._sources.readings(session), self._sources.status_events(session),
            self._sources.transaction_events(session), time_zone=site.time_zone)
        assert priced is not None and session.tariff is not None
        tenant = self._profiles.profile()
        country = tenant.country if tenant is not None else site.country
        party = (tenant.party_id if tenant is not None else None) or "CPO"
        connector = next((c for e in charger.evses if e.id == session.evse_id
                          for c in e.connectors if c.id == session.connector_id), None)
        if connector is None:
            raise BillingStopped(f"charger {charger.id} has no connector {session.evse_id}/{session.connector_id}")
        token_type = "AD_HOC_USER" if session.payment_id else (session.token_type or "RFID")
        if token_type not in ("AD_HOC_USER", "APP_USER", "OTHER", "RFID"):
            token_type = "OTHER"
        uid = session.token_uid or "UNKNOWN"
        cdr = build_cdr(
            cdr_id=cdr_id_of(session.id), session=session, priced=priced,
            tariff=Tariff.model_validate(session.tariff),
            place=CdrPlace(site=site, charger_id=charger.id, evse_id=session.evse_id, connector=connector),
            country_code=country, party_id=party, token=CdrTokenInfo(uid=uid, type=token_type, contract_id=uid),
            last_updated=utc_now(), auth_method="COMMAND" if session.payment_id else "WHITELIST",
        )
        return cdr, priced, site.id

    # -- 2. collect the payment --------------------------------------------------------------------
    def collect(self, session_id: str) -> dict[str, Any]:
        with _transient():
            entry = self._entry(session_id)
            if entry.gross is not None:
                return self._out(session_id, billable=True)
            payment = self._payments.get(entry.payment_id) if entry.payment_id else None
            if payment is not None and payment.session_id not in (None, session_id):
                payment = None  # the payment paid for another session: this one has no card
            if payment is None or payment.payment_intent_id is None:
                # An RFID or roaming token: no card to charge; the token's holder owes the cost.
                session = self._session(session_id)
                self._update_entry(session_id, gross=0, receivable=entry.cost_incl_vat,
                                   receivable_from=session.token_uid)
                return self._out(session_id, billable=True)
            amount = min(entry.cost_incl_vat, payment.hold_amount)
            if amount <= 0:
                # Nothing to pay: release the whole hold.
                self._gateway().cancel(payment.payment_intent_id, idempotency_key=f"cancel-{payment.id}")
                self._move_payment(payment, PaymentStatus.CANCELLED, cancel_reason="nothing_to_pay",
                                   session_id=session_id, captured_amount=0)
                self._update_entry(session_id, gross=0, receivable=0)
                return self._out(session_id, billable=True)
            # Keyed by payment: whatever session claims it, a payment's hold is captured once.
            capture = self._gateway().capture(payment.payment_intent_id, amount,
                                              idempotency_key=f"capture-{payment.id}")
            self._move_payment(payment, PaymentStatus.CAPTURED, session_id=session_id,
                               captured_amount=capture.amount, charge_id=capture.charge_id)
            # A cost above the hold (the stop came late) is owed by the driver, outside the card.
            self._update_entry(session_id, gross=capture.amount, charge_id=capture.charge_id,
                               stripe_fee=capture.fee, receivable=entry.cost_incl_vat - capture.amount)
        return self._out(session_id, billable=True)

    # -- 3. split the revenue ----------------------------------------------------------------------
    def split(self, session_id: str) -> dict[str, Any]:
        with _transient():
            entry = self._entry(session_id)
            if entry.gross is None:
                raise BillingStopped(f"session {session_id} is not collected yet")
            site = self._sites.get(entry.site_id) if entry.site_id else None
            shares: list[Share] = []
            for share in (site.revenue_split or []) if site is not None else []:
                party = self._parties.get(share.party_id)
                if party is not None and party.role in (PartyRole.OWNER, PartyRole.EMSP):
                    shares.append(Share(party.id, "OWNER" if party.role == PartyRole.OWNER else "EMSP",
                                        share.share_bps))
            planned = split_amount(entry.gross, platform_fee_bps=self._platform_fee_bps, shares=shares,
                                   cpo_party_id=CPO_PARTY_ID)
            done = {t.party_id: t for t in entry.transfers or []}
            records = []
            for part in planned.parts:
                if part.amount <= 0:
                    continue  # nothing to move (e.g. nothing was paid)
                if part.party_id in done:
                    records.append(done[part.party_id])
                    continue
                records.append(self._transfer(entry, part.party_id, part.role, part.amount))
                # Recorded after each transfer: a crash here re-runs only the ones not recorded,
                # and those carry the same idempotency key.
                self._update_entry(session_id, platform_fee=planned.platform_fee, transfers=records
                                   + [t for pid, t in done.items() if pid not in {r.party_id for r in records}])
            self._update_entry(session_id, platform_fee=planned.platform_fee, transfers=records)
        return self._out(session_id, billable=True)

    def _transfer(self, entry: LedgerEntry, party_id: str, role: str, amount: int) -> TransferRecord:
        party = self._parties.get(party_id)
        role = party.role.value if party is not None else PartyRole.CPO.value if party_id == CPO_PARTY_ID else role
        if amount <= 0 or entry.charge_id is None:
            return TransferRecord(party_id=party_id, role=role, amount=amount, status=TransferStatus.PAID)
        if party is None or not party.can_receive:
            return TransferRecord(party_id=party_id, role=role, amount=amount, status=TransferStatus.HELD)
        try:
            transfer_id = self._gateway().transfer(
                amount=amount, currency=entry.currency, destination=party.account_id,
                transfer_group=entry.session_id, source_charge=entry.charge_id,
                description=f"Session {entry.session_id} at {entry.charger_id}",
                idempotency_key=f"transfer-{entry.session_id}-{party_id}",
            )
        except PaymentDeclined as declined:  # e.g. the account lost its transfers capability
            logger.warning("transfer refused; amount held", party_id=party_id, reason=str(declined))
            return TransferRecord(party_id=party_id, role=role, amount=amount, status=TransferStatus.HELD)
        return TransferRecord(party_id=party_id, role=role, amount=amount, status=TransferStatus.PAID,
                              transfer_id=transfer_id)

    def pay_held(self, party_id: str) -> int:
        """Transfer the shares held for a party that could not receive them (onboarding unfinished), now
        that it can; each with the transfer's own idempotency key. How many were paid."""
        party = self._parties.get(party_id)
        if party is None or not party.can_receive:
            return 0
        paid = 0
        cursor = None
        while True:
            page = self._ledger.list(100, cursor)
            for entry in page.items:
                held = [t for t in entry.transfers or [] if t.party_id == party_id and t.status == TransferStatus.HELD]
                if not held or entry.charge_id is None:
                    continue
                with _transient():
                    done = self._transfer(entry, party_id, held[0].role, held[0].amount)
                if done.status == TransferStatus.PAID:
                    self._update_entry(entry.id, transfers=[done if t.party_id == party_id else t
                                                            for t in entry.transfers or []])
                    paid += 1
            if not page.next:
                return paid
            cursor = page.next

    # -- 4. close the ledger entry -----------------------------------------------------------------
    def record_ledger(self, session_id: str) -> dict[str, Any]:
        with _transient():
            entry = self._entry(session_id)
            if entry.status == EntryStatus.BILLED:
                return self._out(session_id, billable=True)
            if entry.gross is None or entry.transfers is None or entry.platform_fee is None:
                raise BillingStopped(f"session {session_id} is not split yet")
            if entry.platform_fee + sum(t.amount for t in entry.transfers) != entry.gross:
                raise BillingStopped(f"session {session_id}: the split does not add up to what was paid")
            self._update_entry(session_id, status=EntryStatus.BILLED, billed_at=now_rfc3339())
            self._mark_session(session_id, BillingStatus.BILLED)
        return self._out(session_id, billable=True)

    # -- 5. the receipt ----------------------------------------------------------------------------
    def send_receipt(self, session_id: str) -> dict[str, Any]:
        """The receipt is the driver's session page (/pay/sessions/{payment}); it is also emailed, once,
        to the address the driver gave at checkout (when a sender is configured)."""
        with _transient():
            entry = self._entry(session_id)
            if entry.receipt_sent_at is not None:
                return self._out(session_id, billable=True)
            payment = self._payments.get(entry.payment_id) if entry.payment_id else None
            email_id = None
            if payment is not None and payment.email and self._mailer is not None:
                from chalicelib.billing.receipts import receipt_email

                session = self._session(session_id)
                tenant = self._profiles.profile()
                subject, text = receipt_email(
                    entry, operator=tenant.name if tenant is not None else "", started_at=session.started_at,
                    stopped_at=session.stopped_at, page_url=f"{self._public_base_url}/pay/sessions/{payment.id}")
                email_id = self._mailer().send(payment.email, subject, text)
            self._update_entry(session_id, receipt_sent_at=now_rfc3339(), receipt_email_id=email_id)
        return self._out(session_id, billable=True)

    # -- on final failure --------------------------------------------------------------------------
    def fail(self, session_id: str, error: str) -> dict[str, Any]:
        count("BillingFailed")
        logger.error("billing failed", session_id=session_id, error=error)
        with _transient():
            if self._ledger.get(session_id) is not None:
                self._update_entry(session_id, status=EntryStatus.FAILED, failure=error[:500])
            self._mark_session(session_id, BillingStatus.FAILED)
            session = self._sessions.get(session_id)
            if session is not None and session.payment_id:
                payment = self._payments.get(session.payment_id)
                if payment is not None and not payment.status.is_final:
                    self._move_payment(payment, PaymentStatus.FAILED, session_id=session_id)
        return self._out(session_id, billable=False)

    def _release_hold(self, session: Session) -> None:
        payment = self._payments.get(session.payment_id) if session.payment_id else None
        if payment is None or payment.payment_intent_id is None or payment.status.is_final \
                or payment.session_id not in (None, session.id):
            return
        self._gateway().cancel(payment.payment_intent_id, idempotency_key=f"cancel-{payment.id}")
        self._move_payment(payment, PaymentStatus.CANCELLED, cancel_reason="not_billable", session_id=session.id)

    # -- helpers -----------------------------------------------------------------------------------
    def _out(self, session_id: str, *, billable: bool) -> dict[str, Any]:
        return {"tenant_id": self._tenant_id, "session_id": session_id, "billable": billable}

    def _session(self, session_id: str) -> Session:
        session = self._sessions.get(session_id) if self._sessions.accepts_id(session_id) else None
        if session is None:
            raise BillingStopped(f"no session {session_id}")
        return session

    def _entry(self, session_id: str) -> LedgerEntry:
        entry = self._ledger.get(session_id)
        if entry is None:
            raise BillingStopped(f"session {session_id} is not priced")
        return entry

    def _update_entry(self, session_id: str, **changes: Any) -> None:
        self._ledger.update(session_id, lambda e: e.model_copy(update={**changes, "updated_at": now_rfc3339()}))

    def _mark_session(self, session_id: str, status: BillingStatus) -> None:
        self._sessions.update(session_id, lambda s: s.model_copy(update={"billing": status,
                                                                         "updated_at": now_rfc3339()}))

    def _move_payment(self, payment: Payment, status: PaymentStatus, **changes: Any) -> None:
        self._payments.update(payment.id, lambda p: p if p.status.is_final else p.model_copy(
            update={"status": status, **changes, "updated_at": now_rfc3339()}))


@contextmanager
def _transient() -> Iterator[None]:
    """Stripe or DynamoDB unavailable, or a concurrent write: retried by the state machine."""
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBConnectionError

    from chalicelib.store.contract import ConcurrentModification

    try:
        yield
    except (PaymentUnavailable, ConcurrentModification, PynamoDBConnectionError, BotoCoreError, ClientError) as exc:
        raise BillingRetry(f"{type(exc).__name__}: {exc}") from exc
