"""Meter readings of a tenant's sessions and chargers, one item per message.

Readings are keyed by where they belong (a transaction, or a charger's connector outside any
transaction) and by the message that carried them, so a replayed message writes the same item again:
one write and no read per MeterValues frame, and readings that arrive late or after the stop still land
with their transaction.
"""
from __future__ import annotations

import time
from dataclasses import asdict

from chalicelib.charging.meter import MeterReading, dedupe_readings
from chalicelib.charging.transactions import EventType, TransactionEvent
from chalicelib.store.repository import tenant_partition
from chalicelib.store.table import RecordItem

_KIND = "METER"
_OUTSIDE_TRANSACTION_TTL_S = 35 * 24 * 3600  # readings of idle connectors are kept a month


class MeterValueRepository:
    def __init__(self, tenant_id: str) -> None:
        self._pk = tenant_partition(tenant_id, _KIND)

    def add(self, key: str, message_id: str, readings: list[MeterReading]) -> None:
        if not readings:
            return
        first = min(r.timestamp for r in readings)
        expires = None if key.startswith("TX#") else int(time.time()) + _OUTSIDE_TRANSACTION_TTL_S
        RecordItem(
            self._pk, f"{key}#{first}#{message_id}", kind=_KIND,
            data={"readings": [r.compact() for r in readings]}, expires_at_epoch=expires,
        ).save()

    def add_event(self, key: str, event: TransactionEvent) -> None:
        """A TransactionEvent with its readings, keyed by its seqNo and time: a resent event writes the same
        item, and an event under a seqNo reused after a reboot is kept beside the first."""
        data = {k: v for k, v in asdict(event).items() if k != "readings" and v is not None}
        data["event_type"] = event.event_type.value  # stored as plain text
        RecordItem(self._pk, f"{key}#E#{event.seq_no:020d}#{event.timestamp}", kind=_KIND,
                   data={"readings": [r.compact() for r in event.readings], "event": data}).save()

    def events(self, key: str) -> list[TransactionEvent]:
        found = []
        for item in RecordItem.query(self._pk, RecordItem.sk.startswith(f"{key}#E#"), consistent_read=True):
            data = item.data.as_dict()
            readings = [MeterReading.from_compact(r) for r in data["readings"]]
            fields = dict(data["event"])
            fields["event_type"] = EventType(fields["event_type"])
            found.append(TransactionEvent(**fields, readings=readings))
        return found

    def readings_between(self, key: str, start: str, end: str) -> list[MeterReading]:
        """Readings stored under the key whose message began in [start, end] (connector readings sent
        without a transactionId, which belong to the session charging on that connector then)."""
        readings: list[MeterReading] = []
        condition = RecordItem.sk.between(f"{key}#{start}", f"{key}#{end}~")
        for item in RecordItem.query(self._pk, condition, consistent_read=True):
            readings.extend(r for r in (MeterReading.from_compact(c) for c in item.data.as_dict()["readings"])
                            if start <= r.timestamp <= end)
        return readings

    def readings(self, key: str) -> list[MeterReading]:
        """Every reading stored under the key, in time order, replays merged."""
        readings: list[MeterReading] = []
        for item in RecordItem.query(self._pk, RecordItem.sk.startswith(f"{key}#"), consistent_read=True):
            readings.extend(MeterReading.from_compact(r) for r in item.data.as_dict()["readings"])
        return dedupe_readings(readings)
