"""Tenant-scoped repositories over the single table.

A repository is built for one tenant and derives every partition key from that tenant's id, so no
code path can reach another tenant's items: callers pass ids, never keys, and pagination cursors
carry only sort keys, which are re-anchored to the caller's own partition.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.contract import (
    MAX_PAGE_SIZE,
    AlreadyExists,
    ConcurrentModification,
    InvalidCursor,
    MissingReference,
    Page,
)
from chalicelib.store.table import TableItem

E = TypeVar("E", bound=BaseModel)

TENANT_ID_PATTERN = re.compile(r"^ten_[0-9a-z]{26}$")
_OPTIMISTIC_RETRIES = 5


def tenant_partition(tenant_id: str, kind: str) -> str:
    """The partition key of a tenant's items of one kind. The only builder of tenant-owned keys."""
    if not TENANT_ID_PATTERN.match(tenant_id):
        raise ValueError("invalid tenant id")
    if not kind.isalnum() or not kind.isupper():
        raise ValueError("a kind is upper-case alphanumeric")
    return f"T#{tenant_id}#{kind}"


def encode_cursor(parts: Sequence[str]) -> str:
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, expected_parts: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if (
        not isinstance(parts, list)
        or len(parts) != expected_parts
        or not all(isinstance(p, str) and p for p in parts)
    ):
        raise InvalidCursor()
    return parts


@dataclass(frozen=True)
class Requirement:
    """An item that must exist when a write happens, checked in the same transaction."""

    repository: TenantScopedRepository[Any]
    item_id: str


def failed_conditions(error: TransactWriteError) -> set[int]:
    """Positions of the transaction's items whose condition failed."""
    return {
        position for position, reason in enumerate(error.cancellation_reasons or [])
        if reason is not None and reason.code == "ConditionalCheckFailed"
    }


def connection() -> Connection:
    meta = TableItem.Meta
    return Connection(region=meta.region, host=meta.host)


class TenantScopedRepository(Generic[E]):
    """CRUD and paging for one entity type of one tenant."""

    kind: ClassVar[str]
    entity: ClassVar[type[BaseModel]]
    id_field: ClassVar[str] = "id"

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self._pk = tenant_partition(tenant_id, self.kind)

    # -- what subclasses say about their entity ------------------------------------------------
    def item_id(self, entity: E) -> str:
        return str(getattr(entity, self.id_field))

    def sort_key(self, item_id: str) -> str:
        """The sort key for an id (subclasses normalise, e.g. case-insensitive token uids)."""
        return item_id

    def index_keys(self, entity: E) -> tuple[str, str] | None:
        """GSI1 keys for the entity, built with `self.partition(...)`; None when not indexed."""
        return None

    def partition(self, kind: str) -> str:
        return tenant_partition(self.tenant_id, kind)

    # -- reads ---------------------------------------------------------------------------------
    def get(self, item_id: str) -> E | None:
        item = self._get_item(item_id)
        return None if item is None else self._load(item)

    def exists(self, item_id: str) -> bool:
        return self._get_item(item_id) is not None

    def list(self, limit: int, cursor: str | None = None) -> Page[E]:
        start = None
        if cursor:
            (sk,) = decode_cursor(cursor, 1)
            start = {"PK": {"S": self._pk}, "SK": {"S": sk}}
        # One item more than asked tells whether a next page exists without an extra round trip.
        items = list(
            TableItem.query(
                self._pk, limit=limit + 1, page_size=limit + 1,
                last_evaluated_key=start, consistent_read=True,
            )
        )
        page, more = items[:limit], len(items) > limit
        return Page([self._load(i) for i in page], encode_cursor([page[-1].sk]) if more else None)

    def list_by_index(self, gsi1pk: str, limit: int, cursor: str | None = None) -> Page[E]:
        if not gsi1pk.startswith(f"T#{self.tenant_id}#"):
            raise ValueError("an index partition must belong to the repository's tenant")
        start = None
        if cursor:
            gsi1sk, sk = decode_cursor(cursor, 2)
            start = {
                "GSI1PK": {"S": gsi1pk}, "GSI1SK": {"S": gsi1sk},
                "PK": {"S": self._pk}, "SK": {"S": sk},
            }
        items = list(
            TableItem.by_gsi1.query(
                gsi1pk, filter_condition=TableItem.kind == self.kind,
                limit=limit + 1, page_size=limit + 1, last_evaluated_key=start,
            )
        )
        page, more = items[:limit], len(items) > limit
        next_cursor = encode_cursor([page[-1].gsi1sk or "", page[-1].sk]) if more else None
        return Page([self._load(i) for i in page], next_cursor)

    def count_by_index(self, gsi1pk: str) -> int:
        return TableItem.by_gsi1.count(gsi1pk, filter_condition=TableItem.kind == self.kind)

    # -- writes --------------------------------------------------------------------------------
    def add(self, entity: E, *, requires: Sequence[Requirement] = ()) -> None:
        """Create the item; AlreadyExists if the id is taken, MissingReference if a requirement is absent."""
        item = self._to_item(entity)
        if not requires:
            try:
                item.save(condition=TableItem.pk.does_not_exist())
            except PutError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    raise AlreadyExists(self.item_id(entity)) from exc
                raise
            return
        try:
            with TransactWrite(connection=connection()) as tx:
                for req in requires:
                    tx.condition_check(
                        TableItem, req.repository._pk, req.repository.sort_key(req.item_id),
                        condition=TableItem.pk.exists(),
                    )
                tx.save(item, condition=TableItem.pk.does_not_exist())
        except TransactWriteError as exc:
            failed = failed_conditions(exc)
            for position, req in enumerate(requires):
                if position in failed:
                    raise MissingReference(req.repository.kind, req.item_id) from exc
            if len(requires) in failed:
                raise AlreadyExists(self.item_id(entity)) from exc
            raise

    def update(self, item_id: str, change: Callable[[E], E]) -> E | None:
        """Read, change and write back under optimistic locking; None when the item is absent."""
        for _ in range(_OPTIMISTIC_RETRIES):
            item = self._get_item(item_id)
            if item is None:
                return None
            updated = change(self._load(item))
            new_item = self._to_item(updated)
            new_item.version = item.version
            try:
                new_item.save()  # VersionAttribute makes this conditional on the version read
            except PutError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    continue
                raise
            return updated
        raise ConcurrentModification(item_id)

    def delete(self, item_id: str) -> bool:
        """Delete the item; False when it did not exist."""
        item = self._get_item(item_id)
        if item is None:
            return False
        try:
            TableItem(self._pk, self.sort_key(item_id)).delete(
                condition=TableItem.pk.exists(), add_version_condition=False
            )
        except DeleteError as exc:  # deleted meanwhile by a concurrent request: same outcome
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- mapping -------------------------------------------------------------------------------
    def _get_item(self, item_id: str) -> TableItem | None:
        try:
            return TableItem.get(self._pk, self.sort_key(item_id), consistent_read=True)
        except TableItem.DoesNotExist:
            return None

    def _to_item(self, entity: E) -> TableItem:
        index = self.index_keys(entity)
        return TableItem(
            self._pk,
            self.sort_key(self.item_id(entity)),
            gsi1pk=index[0] if index else None,
            gsi1sk=index[1] if index else None,
            kind=self.kind,
            data=entity.model_dump(mode="json"),
        )

    def _load(self, item: TableItem) -> E:
        return self.entity.model_validate(item.data.as_dict())  # type: ignore[return-value]  # E is entity


__all__ = [
    "MAX_PAGE_SIZE", "AlreadyExists", "ConcurrentModification", "MissingReference", "Page",
    "Requirement", "TenantScopedRepository", "tenant_partition",
]
