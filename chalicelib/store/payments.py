"""Drivers' payments of one tenant, found by id and by the ad-hoc token of their remote start; and
the global lookup from a payment id to its tenant (the driver's page and Stripe's events carry only
the payment)."""
from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.identifiers import id_pattern
from chalicelib.payments.models import Payment
from chalicelib.store.repository import TenantScopedRepository
from chalicelib.store.table import RecordItem, TableItem
from chalicelib.store.transactions import transact

PAYMENT_ID = id_pattern("pay")
_TENANT_OF = "PAYMENT"
_WATCH = "PAYWATCH"  # one partition: the payments of all tenants still holding a card (few at a time)


class PaymentRepository(TenantScopedRepository[Payment]):
    kind = "PAYMENT"
    entity = Payment

    def accepts_id(self, item_id: str) -> bool:
        return PAYMENT_ID.match(item_id) is not None

    def open(self, payment: Payment) -> None:
        """The payment, its token's link to it, and its tenant lookup, together."""

        def stage(tx: TransactWrite) -> None:
            tx.save(self._to_item(payment), condition=TableItem.pk.does_not_exist())
            tx.save(RecordItem(self.partition("PAYTOKEN"), payment.token_uid.upper(), kind="PAYTOKEN",
                               data={"payment_id": payment.id}))
            tx.save(TableItem(f"{_TENANT_OF}#{payment.id}", _TENANT_OF, kind=_TENANT_OF,
                              data={"tenant_id": self.tenant_id}))

        transact(stage)

    def of_token(self, uid: str) -> str | None:
        """The payment a token was made for; None for every other token."""
        try:
            item = RecordItem.get(self.partition("PAYTOKEN"), uid.upper())
        except RecordItem.DoesNotExist:
            return None
        return str(item.data["payment_id"])


def tenant_of_payment(payment_id: str) -> str | None:
    if PAYMENT_ID.match(payment_id) is None:
        return None
    try:
        item = TableItem.get(f"{_TENANT_OF}#{payment_id}", _TENANT_OF)
    except TableItem.DoesNotExist:
        return None
    return str(item.data["tenant_id"])


class PaymentWatch:
    """Payments that hold a driver's card and have not ended, across tenants, for the scheduled sweep
    (a start that never came, a session running towards its hold without readings)."""

    def add(self, tenant_id: str, payment_id: str) -> None:
        RecordItem(_WATCH, f"{tenant_id}#{payment_id}", kind=_WATCH, data={}).save()

    def remove(self, tenant_id: str, payment_id: str) -> None:
        RecordItem(_WATCH, f"{tenant_id}#{payment_id}").delete()

    def all(self) -> list[tuple[str, str]]:
        found = []
        for item in RecordItem.query(_WATCH, consistent_read=True):
            tenant_id, _, payment_id = item.sk.partition("#")
            found.append((tenant_id, payment_id))
        return found
