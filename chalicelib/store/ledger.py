"""Ledger entries (one per billed session, keyed by the session id, so time-ordered) and CDRs
(written once, never changed)."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.billing.ledger import LedgerEntry
from chalicelib.identifiers import id_pattern
from chalicelib.store.contract import Page
from chalicelib.store.cursors import decode_cursor, encode_cursor
from chalicelib.store.repository import TenantScopedRepository, tenant_partition
from chalicelib.store.table import RecordItem

SESSION_ID = id_pattern("ses")
CDR_ID = id_pattern("cdr")


class LedgerRepository(TenantScopedRepository[LedgerEntry]):
    kind = "LEDGER"
    entity = LedgerEntry

    def accepts_id(self, item_id: str) -> bool:
        return SESSION_ID.match(item_id) is not None


class CdrRepository:
    """OCPI CDR objects as built, by CDR id (time-ordered like the session id it derives from)."""

    def __init__(self, tenant_id: str) -> None:
        self._pk = tenant_partition(tenant_id, "CDR")

    def add_once(self, cdr: dict[str, Any]) -> dict[str, Any]:
        """Write the CDR unless one with its id exists; either way answer the stored one (a CDR is
        never changed, so a re-run of billing keeps the first)."""
        try:
            RecordItem(self._pk, cdr["id"], kind="CDR", data=cdr).save(condition=RecordItem.pk.does_not_exist())
            return cdr
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        stored = self.get(cdr["id"])
        assert stored is not None
        return stored

    def get(self, cdr_id: str) -> dict[str, Any] | None:
        if CDR_ID.match(cdr_id) is None:
            return None
        try:
            return dict(RecordItem.get(self._pk, cdr_id, consistent_read=True).data.as_dict())
        except RecordItem.DoesNotExist:
            return None

    def list(self, limit: int, cursor: str | None = None) -> Page[dict[str, Any]]:
        start = None
        if cursor:
            (sk,) = decode_cursor(cursor, 1)
            start = {"PK": {"S": self._pk}, "SK": {"S": sk}}
        items = list(RecordItem.query(self._pk, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start,
                                      consistent_read=True))
        page, more = items[:limit], len(items) > limit
        return Page([dict(i.data.as_dict()) for i in page], encode_cursor([page[-1].sk]) if more else None)
