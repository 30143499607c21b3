"""The ledger: one entry per billed session, holding what each billing step decided, so that a
re-run of a step reads what the first run did instead of doing it again; and payout summaries."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel

from chalicelib.clock import parse_rfc3339

if TYPE_CHECKING:
    from chalicelib.store.ledger import LedgerRepository


class EntryStatus(StrEnum):
    PENDING = "pending"
    BILLED = "billed"
    FAILED = "failed"


class TransferStatus(StrEnum):
    PAID = "paid"  # transferred to the party's connected account
    HELD = "held"  # kept on the platform: the party cannot receive payouts yet (onboarding unfinished)


class TransferRecord(BaseModel):
    party_id: str
    role: str
    amount: int
    status: TransferStatus
    transfer_id: str | None = None


class ReceiptItem(BaseModel):
    label: str
    volume: float
    unit: str
    unit_price: float
    vat_percent: float | None
    amount_excl_vat: int
    amount_incl_vat: int


class LedgerEntry(BaseModel):
    id: str  # the session's id: one entry per session
    session_id: str
    charger_id: str
    site_id: str | None = None
    currency: str
    cdr_id: str
    cost_excl_vat: int
    cost_incl_vat: int
    vat: int  # of the cost
    energy_wh: int | None = None
    receipt: list[ReceiptItem] = []
    payment_id: str | None = None
    # collection
    gross: int | None = None  # what the driver paid (captured); 0 when nothing was collected
    charge_id: str | None = None
    stripe_fee: int | None = None
    receivable: int | None = None  # owed by a token's holder (RFID, roaming): billed outside checkout
    receivable_from: str | None = None
    # split
    platform_fee: int | None = None
    transfers: list[TransferRecord] | None = None
    status: EntryStatus = EntryStatus.PENDING
    failure: str | None = None
    receipt_sent_at: str | None = None
    receipt_email_id: str | None = None  # the email's message id, when the driver left an address
    created_at: str
    updated_at: str
    billed_at: str | None = None


class PartyPayout(BaseModel):
    party_id: str
    role: str
    currency: str
    sessions: int
    paid: int
    held: int


def payout_summary(entries: Iterable[LedgerEntry]) -> list[PartyPayout]:
    """Per party and currency: how many sessions paid it, and how much was transferred or held."""
    totals: dict[tuple[str, str, str], PartyPayout] = {}
    for entry in entries:
        for transfer in entry.transfers or []:
            key = (transfer.party_id, transfer.role, entry.currency)
            current = totals.get(key) or PartyPayout(party_id=transfer.party_id, role=transfer.role,
                                                     currency=entry.currency, sessions=0, paid=0, held=0)
            paid = transfer.amount if transfer.status == TransferStatus.PAID else 0
            totals[key] = current.model_copy(update={
                "sessions": current.sessions + 1, "paid": current.paid + paid,
                "held": current.held + transfer.amount - paid})
    return sorted(totals.values(), key=lambda p: (p.role, p.party_id, p.currency))


class LedgerService:
    def __init__(self, ledger: LedgerRepository) -> None:
        self._ledger = ledger

    def payouts(self, start: datetime | None, end: datetime | None) -> list[PartyPayout]:
        """Billed sessions whose billing closed in [start, end)."""
        return payout_summary(entry for entry in self._billed() if _within(entry.billed_at, start, end))

    def _billed(self) -> Iterable[LedgerEntry]:
        cursor = None
        while True:
            page = self._ledger.list(100, cursor)
            yield from (entry for entry in page.items if entry.status == EntryStatus.BILLED)
            if not page.next:
                return
            cursor = page.next


def _within(at: str | None, start: datetime | None, end: datetime | None) -> bool:
    if at is None:
        return False
    moment = parse_rfc3339(at)
    return (start is None or moment >= start) and (end is None or moment < end)
