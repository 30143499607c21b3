"""A session's charging periods, from plain data: the energy register readings, the connector status
changes and the power samples a charger reported.

A period is a stretch of the session in which what pricing looks at stays the same: whether the car
is charging (energy flows, or the charger says Charging) or parked idle (connected, no energy), and the
power/current sample in force. Energy between two register readings is spread linearly over the time
between them, but only over the part of that time the charger did not report the car idle: a meter
read every 15 minutes must not bill energy into the parking time after the car went SuspendedEV.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from chalicelib.charging.meter import RegisterReading

# OCPP 1.6 connector statuses and OCPP 2.0.1 chargingStates, by whether energy can flow.
_CHARGING = frozenset({"Charging"})
_IDLE = frozenset({
    "SuspendedEV", "SuspendedEVSE", "Finishing", "EVConnected", "Idle", "Preparing", "Available",
})


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    status: str  # OCPP 1.6 status (Charging, SuspendedEV, ...) or 2.0.1 chargingState


@dataclass(frozen=True)
class PowerSample:
    """What the charger measured at `at`; it stands until the next sample."""

    at: datetime
    power_kw: float | None
    current_a: float | None = None  # summed over the phases, as OCPI's current restrictions mean


@dataclass(frozen=True)
class ChargingPeriod:
    start: datetime
    end: datetime
    energy_wh: float
    is_charging: bool
    max_power_kw: float  # measured, or when no sample is known the average: energy / time
    max_current_a: float | None = None  # None: the charger reported no current
    is_power_measured: bool = False

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _is_charging_status(status: str) -> bool | None:
    """True: energy may flow; False: the car is connected but idle; None: the status does not say."""
    if status in _CHARGING:
        return True
    return False if status in _IDLE else None


def _in_force(times: Sequence[datetime], at: datetime) -> int | None:
    """Index of the last of `times` (in order) at or before `at`."""
    found = None
    for index, moment in enumerate(times):
        if moment > at:
            break
        found = index
    return found


def _energy_per_slice(
    cuts: list[datetime], registers: Sequence[RegisterReading], is_idle_at: list[bool],
) -> list[float]:
    """Energy (Wh) in each slice cuts[i]..cuts[i+1]. Readings are made monotone (a register never runs
    backwards; a lower reading is noise or a reset, never negative energy). Each reading interval's energy
    goes to its slices in proportion to their non-idle time, or to all of its time when it was idle
    throughout (energy flowed after all)."""
    energy = [0.0] * (len(cuts) - 1)
    readings = sorted(registers, key=lambda r: r.at)
    highest = float("-inf")
    monotone: list[tuple[datetime, float]] = []
    for reading in readings:
        highest = max(highest, reading.wh)
        monotone.append((reading.at, highest))
    for (a, wh_a), (b, wh_b) in itertools.pairwise(monotone):
        delta = wh_b - wh_a
        if delta <= 0 or b <= a:
            continue
        overlaps = []
        for index in range(len(cuts) - 1):
            lo, hi = max(a, cuts[index]), min(b, cuts[index + 1])
            if hi > lo:
                overlaps.append((index, (hi - lo).total_seconds()))
        # Time of the reading interval outside the session still takes its share (not billed here).
        inside = sum(seconds for _, seconds in overlaps)
        outside = (b - a).total_seconds() - inside
        active = [(i, s) for i, s in overlaps if not is_idle_at[i]]
        if active:
            weight_total = sum(s for _, s in active) + outside
            for index, seconds in active:
                energy[index] += delta * seconds / weight_total
        else:
            for index, seconds in overlaps:
                energy[index] += delta * seconds / (b - a).total_seconds()
    return energy


def charging_periods(
    started_at: datetime,
    stopped_at: datetime,
    registers: Sequence[RegisterReading],
    statuses: Sequence[StatusChange] = (),
    power: Sequence[PowerSample] = (),
) -> list[ChargingPeriod]:
    """The session from `started_at` to `stopped_at` (for an active session: now) as charging periods,
    in time order, cut where the charging status or the power sample changes."""
    # In UTC: Python compares and subtracts datetimes of one zone by wall clock, wrong across DST.
    started_at, stopped_at = started_at.astimezone(UTC), stopped_at.astimezone(UTC)
    if stopped_at <= started_at:
        return []
    statuses = sorted((replace(s, at=s.at.astimezone(UTC)) for s in statuses), key=lambda s: s.at)
    power = sorted((replace(p, at=p.at.astimezone(UTC)) for p in power), key=lambda p: p.at)
    registers = [RegisterReading(r.at.astimezone(UTC), r.wh, r.context) for r in registers]
    status_times = [change.at for change in statuses]
    power_times = [sample.at for sample in power]
    cuts = sorted({started_at, stopped_at, *(
        moment for moment in [*status_times, *power_times] if started_at < moment < stopped_at
    )})
    status_index = [_in_force(status_times, cut) for cut in cuts[:-1]]
    said_charging = [None if i is None else _is_charging_status(statuses[i].status) for i in status_index]
    energy = _energy_per_slice(cuts, registers, [said is False for said in said_charging])
    power_index = [_in_force(power_times, cut) for cut in cuts[:-1]]

    periods: list[ChargingPeriod] = []
    previous_key: tuple[bool, int | None] | None = None
    for slice_index, (start, end) in enumerate(itertools.pairwise(cuts)):
        is_charging = said_charging[slice_index] is True or energy[slice_index] > 0
        key = (is_charging, power_index[slice_index])
        if periods and key == previous_key:
            last = periods[-1]
            periods[-1] = _period(last.start, end, last.energy_wh + energy[slice_index], is_charging,
                                  power, power_index[slice_index])
        else:
            periods.append(_period(start, end, energy[slice_index], is_charging, power, power_index[slice_index]))
        previous_key = key
    return periods


def _period(
    start: datetime, end: datetime, energy_wh: float, is_charging: bool,
    power: Sequence[PowerSample], power_index: int | None,
) -> ChargingPeriod:
    sample = power[power_index] if power_index is not None else None
    hours = (end - start).total_seconds() / 3600
    average_kw = energy_wh / 1000 / hours if hours > 0 else 0.0
    if sample is not None and sample.power_kw is not None:
        return ChargingPeriod(start, end, energy_wh, is_charging, max(sample.power_kw, 0.0),
                              sample.current_a, is_power_measured=True)
    return ChargingPeriod(start, end, energy_wh, is_charging, average_kw,
                          sample.current_a if sample is not None else None)
