"""A tenant's charging sessions, and the records that tie OCPP transactions to them.

- sessions: `T#{tenant}#SESSION` / session id (time-ordered), indexed by charger on GSI1;
- `TXREF`: (charger, transaction id) -> session id, how later messages of a transaction find it;
- `TXSTART`: a StartTransaction's identity (connector, idTag, timestamp, meterStart) -> its answer, so
  a start the charger sends again gets the same transaction id;
- `ACTIVETOKEN`: token uid -> the session it is charging (ConcurrentTx), cleared when it stops;
- `COUNTER` / `OCPP16TX`: the tenant's OCPP 1.6 transaction ids (integers, unique per tenant).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.charging.sessions import Session, SessionStatus
from chalicelib.identifiers import id_pattern
from chalicelib.store.contract import Page, StartOutcome
from chalicelib.store.cursors import decode_cursor, encode_cursor
from chalicelib.store.repository import TenantScopedRepository
from chalicelib.store.table import CounterItem, RecordItem, TableItem
from chalicelib.store.transactions import failed_conditions, transact

SESSION_ID = id_pattern("ses")
# A token whose session never ended (its stop was lost) is not locked for ever.
_ACTIVE_TOKEN_TTL_S = 48 * 3600
_SCAN_PAGE = 100


@dataclass(frozen=True)
class SessionFilter:
    status: SessionStatus | None = None
    charger_id: str | None = None
    started_from: str | None = None  # RFC 3339 UTC, inclusive
    started_to: str | None = None  # exclusive


@dataclass(frozen=True)
class RecordedStart:
    transaction_id: int
    session_id: str
    authorization: str


class SessionRepository(TenantScopedRepository[Session]):
    kind = "SESSION"
    entity = Session

    def accepts_id(self, item_id: str) -> bool:
        return SESSION_ID.match(item_id) is not None

    def _charger_partition(self, charger_id: str) -> str:
        return f"{self.partition('CHARGERSESSIONS')}#{charger_id}"

    def index_keys(self, entity: Session) -> tuple[str, str] | None:
        return self._charger_partition(entity.charger_id), entity.id

    def find(self, limit: int, cursor: str | None, where: SessionFilter) -> Page[Session]:
        """Newest first. Filters run in DynamoDB; pages are filled up to `limit` across reads."""
        condition: Any = None
        if where.status is not None:
            condition = _and(condition, TableItem.data["status"] == where.status.value)
        if where.started_from is not None:
            condition = _and(condition, TableItem.data["started_at"] >= where.started_from)
        if where.started_to is not None:
            condition = _and(condition, TableItem.data["started_at"] < where.started_to)
        by_charger = where.charger_id is not None
        if by_charger:
            condition = _and(condition, TableItem.kind == self.kind)
        start = None
        if cursor:
            (sk,) = decode_cursor(cursor, 1)
            if not self.accepts_id(sk):
                return Page([], None)
            start = {"PK": {"S": self._pk}, "SK": {"S": sk}}
            if by_charger:
                start.update(GSI1PK={"S": self._charger_partition(str(where.charger_id))}, GSI1SK={"S": sk})
        if by_charger:
            items = TableItem.by_gsi1.query(
                self._charger_partition(str(where.charger_id)), scan_index_forward=False,
                filter_condition=condition, last_evaluated_key=start, page_size=_SCAN_PAGE,
            )
        else:
            items = TableItem.query(
                self._pk, scan_index_forward=False, consistent_read=True, filter_condition=condition,
                last_evaluated_key=start, page_size=_SCAN_PAGE,
            )
        found: list[TableItem] = []
        for item in items:
            found.append(item)
            if len(found) > limit:
                break
        page, more = found[:limit], len(found) > limit
        return Page([self._load(i) for i in page], encode_cursor([page[-1].sk]) if more else None)

    # -- transactions ---------------------------------------------------------------------------
    def session_of(self, charger_id: str, transaction_id: str) -> str | None:
        try:
            ref = RecordItem.get(self.partition("TXREF"), f"{charger_id}#{transaction_id}", consistent_read=True)
        except RecordItem.DoesNotExist:
            return None
        return str(ref.data["session_id"])

    def recorded_start(self, start_key: str) -> RecordedStart | None:
        try:
            item = RecordItem.get(self.partition("TXSTART"), _digest(start_key), consistent_read=True)
        except RecordItem.DoesNotExist:
            return None
        data = item.data.as_dict()
        return RecordedStart(int(data["transaction_id"]), str(data["session_id"]), str(data["authorization"]))

    def next_transaction_id(self) -> int:
        counter = CounterItem(self.partition("COUNTER"), "OCPP16TX")
        counter.update(actions=[CounterItem.sequence.add(1)])
        return int(counter.sequence or 0)

    def session_of_token(self, uid: str) -> str | None:
        try:
            item = RecordItem.get(self.partition("ACTIVETOKEN"), uid.upper(), consistent_read=True)
        except RecordItem.DoesNotExist:
            return None
        if item.expires_at_epoch is not None and item.expires_at_epoch < time.time():
            return None
        return str(item.data["session_id"])

    def start(self, session: Session, *, start_key: str | None, holds_token: bool) -> StartOutcome:
        """Write a new session with its transaction reference, its start record and (when the token is
        now charging) the token's lock, all or nothing. DUPLICATE when the same start (or another
        session of the transaction) was recorded meanwhile; TOKEN_TAKEN when another session took the
        token's lock meanwhile (two chargers starting one token at once: one of them is ConcurrentTx)."""
        item = self._to_item(session)
        item.incarnation = session.id
        ref = RecordItem(self.partition("TXREF"), f"{session.charger_id}#{session.transaction_id}",
                         kind="TXREF", data={"session_id": session.id})

        def stage(tx: TransactWrite) -> None:
            if start_key is not None:
                tx.save(RecordItem(self.partition("TXSTART"), _digest(start_key), kind="TXSTART", data={
                    "transaction_id": session.transaction_id, "session_id": session.id,
                    "authorization": (session.authorization or "").upper(),
                }), condition=RecordItem.pk.does_not_exist())
            tx.save(item, condition=TableItem.pk.does_not_exist())
            tx.save(ref, condition=RecordItem.pk.does_not_exist())
            if holds_token and session.token_uid:
                now = int(time.time())
                tx.save(RecordItem(
                    self.partition("ACTIVETOKEN"), session.token_uid.upper(), kind="ACTIVETOKEN",
                    data={"session_id": session.id, "charger_id": session.charger_id},
                    expires_at_epoch=now + _ACTIVE_TOKEN_TTL_S,
                ), condition=_token_free(session.id, now))

        token_position = 3 if start_key is not None else 2
        try:
            transact(stage)
        except TransactWriteError as exc:
            failed = failed_conditions(exc)
            if failed == {token_position} and holds_token:
                return StartOutcome.TOKEN_TAKEN
            if failed:
                return StartOutcome.DUPLICATE
            raise
        return StartOutcome.WRITTEN

    def hold_token(self, session: Session) -> bool:
        """Take the token's lock for the session; False when another session holds it."""
        assert session.token_uid is not None
        now = int(time.time())
        try:
            RecordItem(
                self.partition("ACTIVETOKEN"), session.token_uid.upper(), kind="ACTIVETOKEN",
                data={"session_id": session.id, "charger_id": session.charger_id},
                expires_at_epoch=now + _ACTIVE_TOKEN_TTL_S,
            ).save(condition=_token_free(session.id, now))
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def add_unmatched(self, session: Session) -> None:
        """Keep a session made from a stop the platform cannot match; a replay writes the same item."""
        item = self._to_item(session)
        item.incarnation = session.id
        item.save(add_version_condition=False)

    def release_token(self, uid: str, session_id: str) -> None:
        try:
            RecordItem(self.partition("ACTIVETOKEN"), uid.upper()).delete(
                condition=RecordItem.data["session_id"] == session_id,
            )
        except Exception as exc:  # a newer session holds the token, or none does: nothing to release
            if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise


def _and(left: Any, right: Any) -> Any:
    return right if left is None else left & right


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def _token_free(session_id: str, now: int) -> Any:
    """The token's lock may be taken: nobody holds it, the holder's lock expired, or it is this session's."""
    return (RecordItem.pk.does_not_exist() | (RecordItem.expires_at_epoch < now)
            | (RecordItem.data["session_id"] == session_id))
