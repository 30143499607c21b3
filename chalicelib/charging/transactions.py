"""OCPP 2.0.1 transactions as a sequence of events (TransactionEvent Started, Updated, Ended), folded
into what a session shows. Pure.

Chargers send events out of order and twice (retries, offline queues replayed with their original
times), so a session is never changed event by event: every event is kept, keyed by its seqNo, and the
session is the fold of all of them. The fold does not care in which order they arrived: the Started
event gives the start, the Ended event with the lowest seqNo the stop (a second Ended changes nothing),
an Updated after the Ended only adds readings, and missing seqNos are reported as gaps.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

from chalicelib.charging.meter import MeterReading, RegisterReading, register_readings
from chalicelib.clock import parse_rfc3339


class EventType(StrEnum):
    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


@dataclass(frozen=True)
class TransactionEvent:
    seq_no: int
    event_type: EventType
    timestamp: str  # RFC 3339 UTC, the charger's clock
    trigger_reason: str
    offline: bool = False
    evse_id: int | None = None
    connector_id: int | None = None
    token_uid: str | None = None
    token_type: str | None = None
    charging_state: str | None = None
    stopped_reason: str | None = None
    remote_start_id: int | None = None
    readings: list[MeterReading] = field(default_factory=list)


@dataclass(frozen=True)
class TransactionSummary:
    started_at: str
    stopped_at: str | None
    is_ended: bool
    evse_id: int | None
    connector_id: int | None
    token_uid: str | None
    token_type: str | None
    charging_state: str | None
    stopped_reason: str | None
    remote_start_id: int | None
    offline: bool
    meter_start_wh: int
    meter_stop_wh: int | None
    seq_nos: list[int]
    seq_gaps: list[int]
    registers: list[RegisterReading]


_MAX_GAPS_REPORTED = 100


def fold_transaction(events: Sequence[TransactionEvent]) -> TransactionSummary:
    """What the events of one transaction say, whatever order they arrived in."""
    if not events:
        raise ValueError("a transaction has at least one event")
    by_seq = sorted(events, key=lambda e: (e.seq_no, e.timestamp))
    started = next((e for e in by_seq if e.event_type == EventType.STARTED), None)
    ended = next((e for e in by_seq if e.event_type == EventType.ENDED), None)
    registers = register_readings(r for e in by_seq for r in e.readings)

    def latest(attribute: str) -> str | int | None:
        """The value from the highest seqNo that carries one, up to the Ended event."""
        considered = [e for e in by_seq if ended is None or e.seq_no <= ended.seq_no]
        return next((getattr(e, attribute) for e in reversed(considered) if getattr(e, attribute) is not None), None)

    meter_start = _register_of(started, "Transaction.Begin") if started else None
    if meter_start is None:
        meter_start = registers[0].wh if registers else 0
    meter_stop: float | None = None
    if ended is not None:
        meter_stop = _register_of(ended, "Transaction.End")
        if meter_stop is None:
            upto_stop = [r for r in registers if r.at <= parse_rfc3339(ended.timestamp)]
            meter_stop = (upto_stop or registers)[-1].wh if registers else None
    seq_nos = sorted({e.seq_no for e in events})
    gaps: list[int] = []
    for low, high in pairwise(seq_nos):  # walked, never built: a charger's seqNo may jump by billions
        gaps.extend(range(low + 1, min(high, low + 1 + _MAX_GAPS_REPORTED - len(gaps))))
        if len(gaps) >= _MAX_GAPS_REPORTED:
            break
    first = started or min(by_seq, key=lambda e: e.timestamp)
    token = latest("token_uid")
    token_event = next((e for e in reversed(by_seq) if e.token_uid == token), None) if token else None
    return TransactionSummary(
        started_at=first.timestamp, stopped_at=ended.timestamp if ended else None, is_ended=ended is not None,
        evse_id=_int(latest("evse_id")), connector_id=_int(latest("connector_id")),
        token_uid=None if token is None else str(token),
        token_type=token_event.token_type if token_event else None,
        charging_state=None if latest("charging_state") is None else str(latest("charging_state")),
        stopped_reason=ended.stopped_reason or "Local" if ended else None,
        remote_start_id=_int(latest("remote_start_id")), offline=any(e.offline for e in events),
        meter_start_wh=round(meter_start), meter_stop_wh=None if meter_stop is None else round(meter_stop),
        seq_nos=seq_nos, seq_gaps=gaps, registers=registers,
    )


def _register_of(event: TransactionEvent, context: str) -> float | None:
    registers = register_readings(event.readings)
    preferred = [r for r in registers if r.context == context]
    chosen = preferred or registers
    return chosen[0].wh if chosen else None


def _int(value: str | int | None) -> int | None:
    return None if value is None else int(value)
