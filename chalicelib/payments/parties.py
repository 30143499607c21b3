"""Payout parties: who receives a share of a session's revenue (site owners, eMSPs, and the tenant
itself as the CPO), each with a Stripe Express connected account onboarded through a hosted link."""
from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from chalicelib.clock import now_rfc3339
from chalicelib.errors import NotFound
from chalicelib.identifiers import new_id
from chalicelib.iso_codes import CountryCode
from chalicelib.payments.gateway import AccountStatus, PaymentGateway
from chalicelib.validation import EmailAddress, InputModel

if TYPE_CHECKING:
    from chalicelib.store.contract import Page
    from chalicelib.store.parties import PartyRepository, PayoutAccountDirectory

CPO_PARTY_ID = "cpo"  # the tenant's own party: one per tenant, made on its first onboarding link


class PartyRole(StrEnum):
    CPO = "CPO"
    OWNER = "OWNER"
    EMSP = "EMSP"


class PayoutStatus(StrEnum):
    PENDING = "pending"  # onboarding not finished
    RESTRICTED = "restricted"  # details given, payouts not (yet) enabled by Stripe
    ACTIVE = "active"  # transfers and payouts enabled


class PartyIn(InputModel):
    role: Literal["OWNER", "EMSP"]
    name: str = Field(min_length=1, max_length=100)
    email: EmailAddress | None = None
    country: CountryCode | None = None  # of the connected account; the tenant's when absent


class Party(BaseModel):
    id: str
    role: PartyRole
    name: str
    email: str | None = None
    country: str
    account_id: str  # the Stripe connected account
    payout_status: PayoutStatus = PayoutStatus.PENDING
    status_at: int | None = None  # when Stripe made the event the status came from (they may arrive out of order)
    created_at: str
    updated_at: str

    @property
    def can_receive(self) -> bool:
        return self.payout_status == PayoutStatus.ACTIVE


def payout_status(status: AccountStatus) -> PayoutStatus:
    """Active once the account may receive transfers (Stripe's `transfers` capability): that is what a
    share needs; paying out to the bank is then Stripe's business with the party."""
    if status.transfers_active:
        return PayoutStatus.ACTIVE
    return PayoutStatus.RESTRICTED if status.details_submitted else PayoutStatus.PENDING


class PartyService:
    def __init__(
        self, tenant_id: str, parties: PartyRepository, accounts: PayoutAccountDirectory,
        gateway: Callable[[], PaymentGateway], *, public_base_url: str,
    ) -> None:
        self._tenant_id = tenant_id
        self._parties = parties
        self._accounts = accounts
        self._gateway = gateway
        self._base = public_base_url

    def create(self, request: PartyIn, *, tenant_country: str) -> Party:
        party_id = new_id("party")
        return self._open(party_id, PartyRole(request.role), request.name, request.email,
                          request.country or tenant_country)

    def list(self, limit: int, cursor: str | None) -> Page[Party]:
        return self._parties.list(limit, cursor)

    def get(self, party_id: str) -> Party:
        party = self._parties.get(party_id)
        if party is None:
            raise NotFound.of("party", party_id)
        return party

    def onboarding_link(self, party_id: str) -> str:
        party = self.get(party_id)
        return self._gateway().onboarding_link(
            party.account_id, refresh_url=f"{self._base}/onboarding/expired",
            return_url=f"{self._base}/onboarding/complete",
        )

    def cpo_onboarding_link(self, *, name: str, email: str | None, country: str) -> str:
        """The tenant's own payout account, opened on first use."""
        if self._parties.get(CPO_PARTY_ID) is None:
            self._open(CPO_PARTY_ID, PartyRole.CPO, name, email, country)
        return self.onboarding_link(CPO_PARTY_ID)

    def _open(self, party_id: str, role: PartyRole, name: str, email: str | None, country: str) -> Party:
        # The key makes a retried request reuse the account Stripe already opened for this party.
        account_id = self._gateway().create_account(
            email=email, country=country, idempotency_key=f"account-{self._tenant_id}-{party_id}")
        now = now_rfc3339()
        party = Party(id=party_id, role=role, name=name, email=email, country=country, account_id=account_id,
                      created_at=now, updated_at=now)
        self._parties.add_with_account(party, self._accounts)
        return party


def apply_account_update(status: AccountStatus, accounts: PayoutAccountDirectory,
                         parties_of: Callable[[str], PartyRepository], *, created: int) -> tuple[str, Party] | None:
    """Stripe's `account.updated`: keep the party's payout status, unless a newer event already set it.
    (tenant id, the party) after the change; None for an account no party has."""
    owner = accounts.resolve(status.account_id)
    if owner is None:
        return None
    tenant_id, party_id = owner
    new_status = payout_status(status)

    def apply(party: Party) -> Party:
        if party.status_at is not None and created < party.status_at:
            return party  # an older event delivered late
        return party.model_copy(update={"payout_status": new_status, "status_at": created,
                                        "updated_at": now_rfc3339()})

    party = parties_of(tenant_id).update(party_id, apply)
    return None if party is None else (tenant_id, party)
