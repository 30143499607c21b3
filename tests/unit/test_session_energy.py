"""The energy of a session from its meter readings (pure)."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.charging.meter import MeterReading, RegisterReading, SampledValue, register_readings
from chalicelib.charging.sessions import Anomaly, plausible_energy_wh, settle_energy

START = "2026-11-21T08:00:00.000Z"
T0 = datetime.fromisoformat(START)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def settle(start: int, stop: int | None, registers: list[tuple[int, float]], minutes: int = 60,
           kw: float | None = 22) -> tuple[int, int, list[Anomaly]]:
    stopped = (T0 + timedelta(minutes=minutes)).isoformat() if stop is not None else None
    result = settle_energy(
        meter_start_wh=start, started_at=START, meter_stop_wh=stop, stopped_at=stopped,
        registers=[RegisterReading(at(m), wh, "Sample.Periodic") for m, wh in registers], max_power_kw=kw,
    )
    return result.meter_start_wh, result.energy_wh, result.anomalies


def test_energy_is_stop_minus_start() -> None:
    assert settle(1000, 11_000, [(30, 6000)]) == (1000, 10_000, [])


def test_an_active_session_counts_up_to_its_latest_reading() -> None:
    assert settle(1000, None, [(10, 2000), (20, 4000)]) == (1000, 3000, [])


def test_a_zero_start_followed_by_an_odometer_reading_starts_at_the_first_real_reading() -> None:
    assert settle(0, 4_535_000, [(0, 0), (15, 4_520_000)]) == (4_520_000, 15_000, [Anomaly.METER_START_CORRECTED])


def test_a_zero_start_on_a_new_meter_counts_in_full() -> None:
    assert settle(0, 18_000, [(30, 9000)]) == (0, 18_000, [])


def test_a_zero_start_with_an_implausible_stop_and_no_readings_bills_nothing() -> None:
    assert settle(0, 4_535_000, []) == (4_535_000, 0, [Anomaly.METER_START_UNKNOWN])


def test_a_stop_below_the_start_falls_back_to_the_highest_reading() -> None:
    assert settle(50_000, 100, [(30, 53_000)]) == (50_000, 3000, [Anomaly.METER_STOP_BELOW_START])


def test_plausibility_follows_the_connector_power() -> None:
    assert plausible_energy_wh(3600, 22) < 30_000 < plausible_energy_wh(3600, 150)


@given(start=st.integers(0, 10**9), stop=st.integers(0, 10**9),
       readings=st.lists(st.tuples(st.integers(0, 120), st.floats(0, 1e9, allow_nan=False)), max_size=8))
def test_energy_is_never_negative(start: int, stop: int, readings: list[tuple[int, float]]) -> None:
    assert settle(start, stop, readings)[1] >= 0
    assert settle(start, None, readings)[1] >= 0


def test_register_readings_take_energy_in_wh_from_plain_totals_only() -> None:
    reading = MeterReading(timestamp=START, values=[
        SampledValue(value="1.5", unit="kWh"),
        SampledValue(value="700", phase="L1"),
        SampledValue(value="9", measurand="Power.Active.Import", unit="kW"),
        SampledValue(value="abc"),
        SampledValue(value="2", unit="kWh", multiplier=3, measurand="Energy.Active.Import.Register"),
    ])
    assert [r.wh for r in register_readings([reading, reading])] == [1500.0, 2_000_000.0]


def test_readings_are_stored_without_ocpp_defaults() -> None:
    reading = MeterReading(timestamp=START, values=[SampledValue(value="5"), SampledValue(value="7", phase="L1")])
    assert reading.compact() == [START, [{"value": "5"}, {"value": "7", "phase": "L1"}]]
    assert MeterReading.from_compact(reading.compact()) == reading

