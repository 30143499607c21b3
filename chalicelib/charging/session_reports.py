"""Reading sessions for the REST API: lists with filters, and one session with its meter readings and,
while it is active, the energy delivered so far."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.charging.meter import MeterReading, register_readings, transaction_meter_key
from chalicelib.charging.sessions import Session, settle_energy
from chalicelib.charging.station import session_readings
from chalicelib.charging.transactions import TransactionEvent, fold_transaction
from chalicelib.errors import NotFound

if TYPE_CHECKING:
    from chalicelib.store.contract import Page
    from chalicelib.store.meter_values import MeterValueRepository
    from chalicelib.store.sessions import SessionFilter, SessionRepository


_END_OF_TIME = "9999-12-31T23:59:59.999Z"


@dataclass(frozen=True)
class SessionDetail:
    session: Session
    readings: list[MeterReading]
    events: list[TransactionEvent]  # OCPP 2.0.1 TransactionEvents, by seqNo


class SessionReports:
    def __init__(self, sessions: SessionRepository, meter_values: MeterValueRepository) -> None:
        self._sessions = sessions
        self._meter_values = meter_values

    def list(self, limit: int, cursor: str | None, where: SessionFilter) -> Page[Session]:
        return self._sessions.find(limit, cursor, where)

    def get(self, session_id: str) -> SessionDetail:
        session = self._sessions.get(session_id)
        if session is None:
            raise NotFound.of("session", session_id)
        key = transaction_meter_key(session.charger_id, session.transaction_id)
        # An active session takes every later reading of its connector (chargers' clocks run ahead too).
        readings = session_readings(self._meter_values, session, until=session.stopped_at or _END_OF_TIME)
        events = self._meter_values.events(key) if session.ocpp_version == "ocpp2.0.1" else []
        if events:
            # Periodic meter updates are stored without touching the session (one write per frame), so
            # what they add to its event record is read here.
            summary = fold_transaction(events)
            session = session.model_copy(update={
                "seq_gaps": summary.seq_gaps, "event_count": len(summary.seq_nos),
                "offline": session.offline or summary.offline,
            })
        if session.is_active and session.started_at is not None:
            so_far = settle_energy(
                meter_start_wh=session.meter_start_wh or 0, started_at=session.started_at, meter_stop_wh=None,
                stopped_at=None, registers=register_readings(readings), max_power_kw=session.max_power_kw,
            )
            session = session.model_copy(update={"energy_wh": so_far.energy_wh})
        return SessionDetail(session, readings, sorted(events, key=lambda e: e.seq_no))
