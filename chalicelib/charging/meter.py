"""Meter readings, version-neutral, and what energy they show.

A reading is what a charger sampled at one instant (OCPP MeterValue): several sampled values, each with
its measurand, phase, context, location and unit. Readings are stored compactly: a sampled value keeps
only the fields that differ from OCPP's defaults (measurand Energy.Active.Import.Register, unit Wh,
context Sample.Periodic, location Outlet, format Raw).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

ENERGY_REGISTER = "Energy.Active.Import.Register"
_DEFAULTS = {
    "measurand": ENERGY_REGISTER, "unit": "Wh", "context": "Sample.Periodic",
    "location": "Outlet", "format": "Raw", "phase": None,
}
_MAX_REGISTER_WH = 1e12
# Energy units and their factor to Wh (OCPP 1.6 UnitOfMeasure; 2.0.1 adds a multiplier).
_TO_WH = {"Wh": 1.0, "kWh": 1000.0}


class SampledValue(BaseModel):
    value: str  # as the charger sent it: a number in text, or signed data
    measurand: str = ENERGY_REGISTER
    unit: str = "Wh"
    phase: str | None = None
    context: str = "Sample.Periodic"
    location: str = "Outlet"
    format: str = "Raw"
    multiplier: int = 0  # OCPP 2.0.1 unitOfMeasure.multiplier: value x 10^multiplier

    def compact(self) -> dict[str, object]:
        fields = self.model_dump(exclude_defaults=True)
        return {k: v for k, v in fields.items() if _DEFAULTS.get(k, object()) != v}

    def energy_wh(self) -> float | None:
        """The value in Wh when this is a plain energy register reading, else None."""
        if self.measurand != ENERGY_REGISTER or self.phase is not None or self.format != "Raw":
            return None
        factor = _TO_WH.get(self.unit)
        if factor is None:
            return None
        try:
            wh = float(self.value) * factor * 10.0**self.multiplier
        except (ValueError, OverflowError):
            return None
        # "Infinity", "NaN", 1e400 parse as floats; a negative or petawatt-hour register is no reading.
        return wh if math.isfinite(wh) and 0 <= wh <= _MAX_REGISTER_WH else None


class MeterReading(BaseModel):
    timestamp: str  # RFC 3339 UTC, the charger's clock
    values: list[SampledValue]

    def compact(self) -> list[object]:
        return [self.timestamp, [v.compact() for v in self.values]]

    @classmethod
    def from_compact(cls, data: Sequence[Any]) -> MeterReading:
        timestamp, values = data
        return cls(timestamp=str(timestamp), values=[SampledValue(**v) for v in values])


@dataclass(frozen=True)
class RegisterReading:
    at: datetime
    wh: float
    context: str


def register_readings(readings: Iterable[MeterReading]) -> list[RegisterReading]:
    """The energy register readings of one meter, in time order, duplicates dropped. A charger may
    report several meters (the outlet's, the grid side's at the inlet): the outlet's is the one that
    measures what the EV got, and another is used only when the outlet's is never reported."""
    by_location: dict[str, list[RegisterReading]] = {}
    seen: set[tuple[str, datetime, float]] = set()
    for reading in readings:
        at = datetime.fromisoformat(reading.timestamp)
        for value in reading.values:
            wh = value.energy_wh()
            if wh is not None and (value.location, at, wh) not in seen:
                seen.add((value.location, at, wh))
                by_location.setdefault(value.location, []).append(RegisterReading(at, wh, value.context))
    preferred = next((loc for loc in _METER_PREFERENCE if loc in by_location), None)
    registers = by_location.get(preferred, []) if preferred else next(iter(by_location.values()), [])
    return sorted(registers, key=lambda r: (r.at, r.wh))


_METER_PREFERENCE = ("Outlet", "Cable", "Inlet")


def dedupe_readings(readings: Iterable[MeterReading]) -> list[MeterReading]:
    """Readings in time order, each instant's identical values kept once (a replayed message stores
    the same readings again)."""
    merged: dict[str, list[SampledValue]] = {}
    for reading in readings:
        values = merged.setdefault(reading.timestamp, [])
        for value in reading.values:
            if value not in values:
                values.append(value)
    return [MeterReading(timestamp=ts, values=merged[ts]) for ts in sorted(merged)]


def transaction_meter_key(charger_id: str, transaction_id: str) -> str:
    """Readings of one transaction. Charger and transaction id: 2.0.1 ids are unique per charger only."""
    return f"TX#{charger_id}#{transaction_id}"


def connector_meter_key(charger_id: str, connector: str) -> str:
    return f"CP#{charger_id}#{connector}"
