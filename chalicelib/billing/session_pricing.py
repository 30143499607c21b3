"""From what a charger reported about a session to its price: its register readings, its
connector's status changes (1.6) or chargingStates (2.0.1), and its power samples become charging
periods, priced under the tariff frozen into the session when it started. Pure: plain data in."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.charging.live import ChargerEvent, connector_key
from chalicelib.charging.meter import MeterReading, RegisterReading, register_readings
from chalicelib.charging.sessions import Session
from chalicelib.charging.transactions import TransactionEvent
from chalicelib.clock import parse_rfc3339
from chalicelib.tariffs.models import Tariff
from chalicelib.tariffs.periods import PowerSample, StatusChange, charging_periods
from chalicelib.tariffs.pricing import PricedSession, price_session

_POWER = "Power.Active.Import"
_CURRENT = "Current.Import"
_TO_KW = {"W": 0.001, "kW": 1.0}


def status_changes(session: Session, status_events: Sequence[ChargerEvent],
                   transaction_events: Sequence[TransactionEvent] = ()) -> list[StatusChange]:
    """The session's connector's statuses (1.6 StatusNotification) and its chargingStates (2.0.1)."""
    keys = {connector_key(session.evse_id, session.connector_id), connector_key(session.evse_id, None)}
    changes = [
        StatusChange(parse_rfc3339(event.timestamp), str(event.data["status"]))
        for event in status_events
        if event.type == "StatusNotification" and event.data.get("connector") in keys and "status" in event.data
    ]
    changes += [StatusChange(parse_rfc3339(event.timestamp), event.charging_state)
                for event in transaction_events if event.charging_state]
    return sorted(changes, key=lambda change: change.at)


def power_samples(readings: Sequence[MeterReading]) -> list[PowerSample]:
    """Active power (and current, summed over phases) the charger sampled, in time order."""
    samples = []
    for reading in readings:
        power_kw = None
        current_a = 0.0
        has_current = False
        for value in reading.values:
            try:
                number = float(value.value) * 10.0**value.multiplier
            except ValueError:
                continue
            if value.measurand == _POWER and value.phase is None and value.unit in _TO_KW:
                power_kw = number * _TO_KW[value.unit]
            elif value.measurand == _CURRENT and value.location == "Outlet":
                current_a += number
                has_current = True
        if power_kw is not None or has_current:
            samples.append(PowerSample(parse_rfc3339(reading.timestamp), power_kw, current_a if has_current else None))
    return samples


def settled_registers(session: Session, readings: Sequence[MeterReading], start: datetime,
                      end: datetime) -> list[RegisterReading]:
    """The register readings pricing spreads energy with, bounded by the session's settled energy:
    its start reading at the start, and (once stopped) start + energy at the stop, so the energy the
    CDR bills is the session's `energy_wh` exactly."""
    registers = [r for r in register_readings(readings) if start < r.at < end]
    if session.meter_start_wh is None:
        return registers
    low = float(session.meter_start_wh)
    high = low + session.energy_wh if session.energy_wh is not None else None
    inside = [r for r in registers if r.wh >= low and (high is None or r.wh <= high)]
    bounded = [RegisterReading(start, low, "Transaction.Begin"), *inside]
    if high is not None and session.stopped_at is not None:
        bounded.append(RegisterReading(end, high, "Transaction.End"))
    return bounded


def price_stored_session(
    session: Session, readings: Sequence[MeterReading], status_events: Sequence[ChargerEvent],
    transaction_events: Sequence[TransactionEvent], *, time_zone: str, until: datetime | None = None,
) -> PricedSession | None:
    """The session's price under its frozen tariff, to its stop (or to `until` for a running one).
    None when no tariff applied when it started."""
    if session.tariff is None or session.started_at is None:
        return None
    tariff = Tariff.model_validate(session.tariff)
    end = parse_rfc3339(session.stopped_at) if session.stopped_at else until
    if end is None:
        raise ValueError("a running session is priced up to a given time")
    start = parse_rfc3339(session.started_at)
    periods = charging_periods(
        start, end, settled_registers(session, readings, start, end),
        status_changes(session, status_events, transaction_events), power_samples(readings),
    )
    return price_session(periods, tariff, ZoneInfo(time_zone))
