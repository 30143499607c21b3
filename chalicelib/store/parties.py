"""A tenant's payout parties, and the global lookup from a Stripe account to its tenant and party
(Stripe's Connect events name only the account)."""
from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.identifiers import id_pattern
from chalicelib.payments.parties import CPO_PARTY_ID, Party
from chalicelib.store.repository import TenantScopedRepository
from chalicelib.store.table import TableItem
from chalicelib.store.transactions import transact

PARTY_ID = id_pattern("party")
_ACCOUNT = "PAYOUTACCT"


class PartyRepository(TenantScopedRepository[Party]):
    kind = "PARTY"
    entity = Party

    def accepts_id(self, item_id: str) -> bool:
        return item_id == CPO_PARTY_ID or PARTY_ID.match(item_id) is not None

    def add_with_account(self, party: Party, accounts: PayoutAccountDirectory) -> None:
        def stage(tx: TransactWrite) -> None:
            tx.save(self._to_item(party), condition=TableItem.pk.does_not_exist())
            tx.save(accounts.lookup_item(party.account_id, self.tenant_id, party.id))

        transact(stage)


class PayoutAccountDirectory:
    """Connected account id -> (tenant id, party id)."""

    def lookup_item(self, account_id: str, tenant_id: str, party_id: str) -> TableItem:
        return TableItem(f"{_ACCOUNT}#{account_id}", _ACCOUNT, kind=_ACCOUNT,
                         data={"tenant_id": tenant_id, "party_id": party_id})

    def resolve(self, account_id: str) -> tuple[str, str] | None:
        if not account_id or len(account_id) > 255:
            return None
        try:
            item = TableItem.get(f"{_ACCOUNT}#{account_id}", _ACCOUNT, consistent_read=True)
        except TableItem.DoesNotExist:
            return None
        return str(item.data["tenant_id"]), str(item.data["party_id"])
