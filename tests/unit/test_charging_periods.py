from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.charging.meter import RegisterReading
from chalicelib.tariffs.periods import PowerSample, StatusChange, charging_periods

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reading(minutes: float, wh: float) -> RegisterReading:
    return RegisterReading(at(minutes), wh, "Sample.Periodic")


def test_a_session_with_energy_throughout_is_one_charging_period():
    periods = charging_periods(at(0), at(60), [reading(0, 1000), reading(60, 12000)])
    assert [(p.start, p.end, p.energy_wh, p.is_charging) for p in periods] == [(at(0), at(60), 11000, True)]


def test_energy_stops_flowing_when_the_car_goes_suspended():
    statuses = [StatusChange(at(0), "Charging"), StatusChange(at(40), "SuspendedEV")]
    periods = charging_periods(at(0), at(60), [reading(0, 0), reading(60, 8000)], statuses)
    assert [(p.energy_wh, p.is_charging) for p in periods] == [(8000, True), (0, False)]


def test_ocpp_201_charging_states_say_when_the_car_is_idle():
    statuses = [StatusChange(at(0), "Charging"), StatusChange(at(30), "EVConnected")]
    periods = charging_periods(at(0), at(60), [reading(0, 0), reading(30, 5000), reading(60, 5000)], statuses)
    assert [p.is_charging for p in periods] == [True, False]


def test_energy_is_interpolated_where_a_boundary_falls_between_readings():
    power = [PowerSample(at(0), 11.0), PowerSample(at(15), 22.0)]
    periods = charging_periods(at(0), at(60), [reading(0, 0), reading(30, 6000), reading(60, 12000)], power=power)
    assert [round(p.energy_wh) for p in periods] == [3000, 9000]


def test_a_meter_running_backwards_gives_no_negative_energy():
    statuses = [StatusChange(at(0), "Charging"), StatusChange(at(30), "SuspendedEVSE")]
    periods = charging_periods(at(0), at(60), [reading(0, 5000), reading(30, 9000), reading(60, 100)], statuses)
    assert all(p.energy_wh >= 0 for p in periods)
    assert sum(p.energy_wh for p in periods) == 4000


def test_energy_after_an_idle_status_still_counts_as_charging():
    statuses = [StatusChange(at(0), "SuspendedEV")]
    periods = charging_periods(at(0), at(60), [reading(0, 0), reading(60, 2000)], statuses)
    assert [(p.energy_wh, p.is_charging) for p in periods] == [(2000, True)]


def test_measured_power_and_current_are_kept():
    periods = charging_periods(at(0), at(60), [reading(0, 0), reading(60, 10000)],
                               power=[PowerSample(at(0), 10.5, 45.0)])
    assert (periods[0].max_power_kw, periods[0].max_current_a, periods[0].is_power_measured) == (10.5, 45.0, True)


def test_without_samples_power_is_the_average():
    periods = charging_periods(at(0), at(30), [reading(0, 0), reading(30, 5500)])
    assert periods[0].max_power_kw == pytest.approx(11.0)
    assert periods[0].is_power_measured is False


def test_readings_before_the_session_are_not_billed_into_it():
    periods = charging_periods(at(30), at(60), [reading(0, 0), reading(60, 6000)])
    assert periods[0].energy_wh == pytest.approx(3000)


def test_a_session_of_no_time_has_no_periods():
    assert charging_periods(at(0), at(0), [reading(0, 0)]) == []


def test_times_in_a_local_zone_are_handled_as_instants():
    from zoneinfo import ZoneInfo

    amsterdam = ZoneInfo("Europe/Amsterdam")
    start = datetime(2026, 10, 25, 1, 30, tzinfo=amsterdam)
    end = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=amsterdam)  # after the clocks went back: 2 hours
    periods = charging_periods(start, end, [RegisterReading(start, 0, "x"), RegisterReading(end, 4000, "x")])
    assert periods[0].seconds == 7200
