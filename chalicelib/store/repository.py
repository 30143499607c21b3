"""Tenant-scoped repositories over the single table.

A repository is built for one tenant and derives every partition key from that tenant's id, so no
code path can reach another tenant's items: callers pass ids, never keys, and pagination cursors
carry only sort keys, which are re-anchored to the caller's own partition.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.identifiers import id_pattern
from chalicelib.store.contract import (
    AlreadyExists,
    ConcurrentModification,
    MissingReference,
    Page,
    StillReferenced,
)
from chalicelib.store.cursors import decode_cursor, encode_cursor
from chalicelib.store.table import CounterItem, TableItem
from chalicelib.store.transactions import BUSY, RETRY_PLAIN, backoff, busy, connection, failed_conditions

E = TypeVar("E", bound=BaseModel)

TENANT_ID_PATTERN = id_pattern("ten")
_OPTIMISTIC_RETRIES = 5
_MAX_ID_LENGTH = 200


def tenant_partition(tenant_id: str, kind: str) -> str:
    """The partition key of a tenant's items of one kind. The only builder of tenant-owned keys."""
    if not TENANT_ID_PATTERN.match(tenant_id):
        raise ValueError("invalid tenant id")
    if not kind.isalnum() or not kind.isupper():
        raise ValueError("a kind is upper-case alphanumeric")
    return f"T#{tenant_id}#{kind}"


@dataclass(frozen=True)
class Reference:
    """An entity points at another item of its tenant (a charger at its site). The referenced item
    counts its referrers in the same transactions, so it cannot be deleted while referenced and a
    referrer can never point at a deleted item."""

    repository: TenantScopedRepository[Any]
    item_id: str

    @property
    def key(self) -> tuple[str, str]:
        return self.repository._pk, self.repository.sort_key(self.item_id)


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

    def accepts_id(self, item_id: str) -> bool:
        """Whether an id from a request could name an item here; anything else is simply absent
        (and never reaches DynamoDB, whose key size limits would answer an error)."""
        return 0 < len(item_id) <= _MAX_ID_LENGTH

    def sort_key(self, item_id: str) -> str:
        """The sort key for an id (subclasses normalise, e.g. case-insensitive token uids)."""
        return item_id

    def index_keys(self, entity: E) -> tuple[str, str] | None:
        """GSI1 keys for the entity, built with `self.partition(...)`; None when not indexed."""
        return None

    def references(self, entity: E) -> list[Reference]:
        """The items this entity points at, which must exist while it does."""
        return []

    def partition(self, kind: str) -> str:
        return tenant_partition(self.tenant_id, kind)

    # -- reads ---------------------------------------------------------------------------------
    def get(self, item_id: str) -> E | None:
        item = self._get_item(item_id)
        return None if item is None else self._load(item)

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

    # -- writes --------------------------------------------------------------------------------
    def add(self, entity: E) -> None:
        """Create the item. AlreadyExists if the id is taken; MissingReference if an item it
        references is absent (checked, and its referrer count raised, in the same transaction)."""
        item = self._to_item(entity)
        # A fresh incarnation: a delete and re-create of the same id restarts the version at 1, and
        # a write prepared against the old item must not land on the new one.
        item.incarnation = uuid.uuid4().hex
        refs = self.references(entity)
        _require_valid(refs)
        for attempt in range(_OPTIMISTIC_RETRIES):
            try:
                if not refs:
                    item.save(condition=TableItem.pk.does_not_exist())
                    return
                _write_counting_referrers(item, TableItem.pk.does_not_exist(), plus=refs)
                return
            except PutError as exc:
                if exc.cause_response_code == "ConditionalCheckFailedException":
                    raise AlreadyExists(self.item_id(entity)) from exc
                if exc.cause_response_code not in BUSY:
                    raise
            except TransactWriteError as exc:
                failed = failed_conditions(exc)
                if 0 in failed:
                    raise AlreadyExists(self.item_id(entity)) from exc
                _raise_missing(refs, failed, offset=1, error=exc)
                if not busy(exc):
                    raise
            backoff(attempt)  # e.g. two chargers added at one site at once: both move its count
        raise ConcurrentModification(self.item_id(entity))

    def update(self, item_id: str, change: Callable[[E], E]) -> E | None:
        """Read, change and write back under optimistic locking; None when the item is absent.
        A change of references moves the referrer counts in the same transaction."""
        for attempt in range(_OPTIMISTIC_RETRIES):
            item = self._get_item(item_id)
            if item is None:
                return None
            current = self._load(item)
            updated = change(current)
            new_item = self._to_item(updated)
            new_item.version = item.version  # PynamoDB then writes only if the version is unchanged
            new_item.referrers = item.referrers
            new_item.incarnation = item.incarnation
            same_item = _same_incarnation(item)
            old_refs = {ref.key: ref for ref in self.references(current)}
            new_refs = {ref.key: ref for ref in self.references(updated)}
            added = [ref for key, ref in new_refs.items() if key not in old_refs]
            removed = [ref for key, ref in old_refs.items() if key not in new_refs]
            _require_valid(added)
            try:
                if not added and not removed:
                    new_item.save(condition=same_item)
                    return updated
                _write_counting_referrers(new_item, same_item, plus=added, minus=removed)
                return updated
            except PutError as exc:
                if exc.cause_response_code not in RETRY_PLAIN:
                    raise
            except TransactWriteError as exc:
                failed = failed_conditions(exc)
                _raise_missing(added, failed, offset=1, error=exc)
                if not (0 in failed or busy(exc)):
                    raise
            backoff(attempt)
        raise ConcurrentModification(item_id)

    def delete(self, item_id: str) -> bool:
        """Delete the item; False when it did not exist, StillReferenced while something points at it."""
        for attempt in range(_OPTIMISTIC_RETRIES):
            item = self._get_item(item_id)
            if item is None:
                return False
            if item.referrers:
                raise StillReferenced(self.kind, item_id)
            refs = self.references(self._load(item))
            # The very item read, unchanged since: a referrer added meanwhile moves the version.
            unchanged = (TableItem.version == item.version) & _same_incarnation(item)
            try:
                if not refs:
                    TableItem(self._pk, self.sort_key(item_id)).delete(
                        condition=unchanged, add_version_condition=False
                    )
                    return True
                _write_counting_referrers(TableItem(self._pk, self.sort_key(item_id)), unchanged,
                                          delete=True, minus=refs)
                return True
            except DeleteError as exc:
                if exc.cause_response_code not in RETRY_PLAIN:
                    raise
            except TransactWriteError as exc:
                if not (0 in failed_conditions(exc) or busy(exc)):
                    raise
            backoff(attempt)
        raise ConcurrentModification(item_id)

    # -- mapping -------------------------------------------------------------------------------
    def _get_item(self, item_id: str) -> TableItem | None:
        if not self.accepts_id(item_id):
            return None
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


def _same_incarnation(item: TableItem) -> Any:
    """A condition that the stored item is the one read, not a re-creation under the same id."""
    if item.incarnation is None:
        return TableItem.incarnation.does_not_exist()
    return TableItem.incarnation == item.incarnation


def _write_counting_referrers(
    item: TableItem, condition: Any, *, delete: bool = False,
    plus: Sequence[Reference] = (), minus: Sequence[Reference] = (),
) -> None:
    """Save (or delete) one item under its condition, first in the transaction so that its condition
    is position 0, and with it move the referrer counts of the items it starts (`plus`) or stops
    (`minus`) referencing."""
    with TransactWrite(connection=connection()) as tx:
        if delete:
            tx.delete(item, condition=condition, add_version_condition=False)
        else:
            tx.save(item, condition=condition)
        for ref in plus:
            _count_referrer(tx, ref, +1)
        for ref in minus:
            _count_referrer(tx, ref, -1)


def _count_referrer(tx: TransactWrite, ref: Reference, delta: int) -> None:
    """Raise or lower the referenced item's referrer count; it must exist. Its version moves too, so a
    concurrent whole-item write of it (which read the old count) fails its version check and retries."""
    pk, sk = ref.key
    tx.update(
        CounterItem(pk, sk),
        actions=[CounterItem.referrers.add(delta), CounterItem.version.add(1)],
        condition=CounterItem.pk.exists(),
    )


def _require_valid(refs: Sequence[Reference]) -> None:
    for ref in refs:
        if not ref.repository.accepts_id(ref.item_id):
            raise MissingReference(ref.repository.kind, ref.item_id)


def _raise_missing(refs: Sequence[Reference], failed: set[int], *, offset: int, error: Exception) -> None:
    for position, ref in enumerate(refs, start=offset):
        if position in failed:
            raise MissingReference(ref.repository.kind, ref.item_id) from error
