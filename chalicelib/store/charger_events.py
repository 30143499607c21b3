"""What each charger reported over time: statuses, boots, firmware and diagnostics progress, data
transfers and stops the platform could not match. Kept for 90 days, newest first, for operators."""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from chalicelib.charging.live import ChargerEvent
from chalicelib.store.contract import Page
from chalicelib.store.cursors import decode_cursor, encode_cursor
from chalicelib.store.repository import tenant_partition
from chalicelib.store.table import RecordItem

_KIND = "CPEVENT"
_RETENTION_S = 90 * 24 * 3600


class ChargerEventRepository:
    def __init__(self, tenant_id: str) -> None:
        self._pk = tenant_partition(tenant_id, _KIND)

    def add(self, charger_id: str, event_type: str, timestamp: str, message_id: str, data: dict[str, Any],
            received_at: str) -> None:
        """Keep one event (the fields of a ChargerEvent), keyed by its message: a replay writes the same
        item again. Plain values in, no model: every status frame writes one."""
        sk = f"{charger_id}#{timestamp}#{event_type}#{message_id}"
        RecordItem(self._pk, sk, kind=_KIND, expires_at_epoch=int(time.time()) + _RETENTION_S, data={
            "charger_id": charger_id, "type": event_type, "timestamp": timestamp, "received_at": received_at,
            "message_id": message_id, "data": data,
        }).save()

    def list(self, charger_id: str, limit: int, cursor: str | None = None,
             event_type: str | None = None) -> Page[ChargerEvent]:
        start = None
        if cursor:
            (sk,) = decode_cursor(cursor, 1)
            if not sk.startswith(f"{charger_id}#"):
                return Page([], None)
            start = {"PK": {"S": self._pk}, "SK": {"S": sk}}
        events: list[tuple[str, ChargerEvent]] = []
        condition = RecordItem.sk.startswith(f"{charger_id}#")
        query = RecordItem.query(
            self._pk, condition, scan_index_forward=False, consistent_read=True,
            filter_condition=(RecordItem.data["type"] == event_type) if event_type else None,
            last_evaluated_key=start, page_size=limit + 1,
        )
        for item in query:
            events.append((item.sk, ChargerEvent.model_validate(item.data.as_dict())))
            if len(events) > limit:
                break
        page, more = events[:limit], len(events) > limit
        return Page([e for _, e in page], encode_cursor([page[-1][0]]) if more else None)

    def between(self, charger_id: str, event_type: str, start: str, end: str) -> Sequence[ChargerEvent]:
        """The charger's events of one type whose time is in [start, end], oldest first."""
        condition = RecordItem.sk.between(f"{charger_id}#{start}", f"{charger_id}#{end}~")
        return [ChargerEvent.model_validate(item.data.as_dict()) for item in RecordItem.query(
            self._pk, condition, consistent_read=True, filter_condition=RecordItem.data["type"] == event_type)]

    def latest_before(self, charger_id: str, event_type: str, at: str, limit: int = 20) -> Sequence[ChargerEvent]:
        """The charger's last `limit` events of one type before `at`, newest first (what was in force then)."""
        condition = RecordItem.sk.between(f"{charger_id}#", f"{charger_id}#{at}")
        found = []
        for item in RecordItem.query(self._pk, condition, scan_index_forward=False, consistent_read=True,
                                     filter_condition=RecordItem.data["type"] == event_type, page_size=limit):
            found.append(ChargerEvent.model_validate(item.data.as_dict()))
            if len(found) >= limit:
                break
        return found
