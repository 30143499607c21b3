"""Pricing a charging session with an OCPI 2.2.1 tariff (mod_tariffs, and mod_cdrs on step_size).

How a session is priced:

- The charging periods are cut wherever a restriction of the tariff could change its answer: the
  site's local clock times named in the tariff and local midnights (time, date and day restrictions,
  so a DST day has its real 23 or 25 hours), the moments the session's duration reaches a
  min/max_duration, and the moments its energy reaches a min/max_kwh (energy is taken as flowing
  evenly within a period, as the CDR chapter allows: "interpolated by the CPO").
- For each slice and each dimension, the first tariff element that has a price component for that
  dimension and whose restrictions all match at the slice's start prices it. Bounds as the spec has
  them: start_time, start_date, min_* inclusive; end_time, end_date, max_* exclusive; end_time before
  start_time wraps past midnight and end_time 00:00 means the end of the day. Elements with a
  `reservation` restriction price reservations, never a charging session. A current restriction does
  not match a slice whose current the charger never reported.
- ENERGY is billed for the energy of every slice, TIME for slices in which the car charges,
  PARKING_TIME for slices in which it is connected but idle, FLAT once per session (the first element
  with a FLAT component that matches at any moment of the session, scanning from its start).
- step_size (mod_cdrs): once per session for ENERGY, and once for TIME and PARKING_TIME together: the
  billed total of the dimension is rounded up to a multiple of the step_size of the component that
  priced its last slice, and the extra goes to that last slice. When PARKING_TIME is billed, only the
  parking total is rounded (charging time followed by parking is not); otherwise the TIME total is.
- min_price and max_price bound the total excl. VAT and, when given, the total incl. VAT.

The one rounding rule for amounts: each receipt line (dimension x tariff element, one VAT rate) has
an exact Decimal amount excl. VAT (volume x unit price) and an exact VAT (that amount x rate). The
session's total excl. VAT and its total VAT are the exact sums rounded half up to minor units of the
currency; incl. VAT = excl. + VAT. The lines get whole minor units by largest remainder (ties: the
earlier line), so they add up to the totals exactly and each is within one minor unit of its exact
amount. A min/max price adjusts the totals by one final line.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from chalicelib.money import largest_remainder, minor_amount, round_half_up, to_minor
from chalicelib.tariffs.models import (
    WEEKDAYS,
    PriceComponent,
    Tariff,
    TariffDimensionType,
    TariffElement,
    TariffRestrictions,
)
from chalicelib.tariffs.periods import ChargingPeriod

Dimension = TariffDimensionType
PRICE_LIMIT = "PRICE_LIMIT"  # the receipt line a min_price or max_price adds
_WH_PER_KWH = Decimal(1000)
_NOISE = Decimal("0.001")  # Wh or seconds: below what a meter or a clock reports
_SECONDS_PER_HOUR = Decimal(3600)
_VOLUME_PLACES = Decimal("0.0001")  # OCPI numbers: 4 decimals


@dataclass(frozen=True)
class CdrDimension:
    type: str  # OCPI CdrDimensionType: ENERGY, TIME, PARKING_TIME, MAX_POWER, MAX_CURRENT
    volume: Decimal


@dataclass(frozen=True)
class CdrChargingPeriod:
    start_date_time: datetime
    dimensions: list[CdrDimension]
    tariff_id: str | None


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    dimension: str  # a TariffDimensionType, or PRICE_LIMIT
    volume: Decimal  # billed: kWh, hours, or 1 for a flat fee
    unit: str  # "kWh", "h" or "" (flat fee and price limit)
    unit_price: Decimal  # excl. VAT
    vat_percent: Decimal | None
    amount_excl_vat: int  # minor units
    amount_incl_vat: int


@dataclass(frozen=True)
class Cost:
    excl_vat: int  # minor units
    incl_vat: int


@dataclass(frozen=True)
class PricedSession:
    tariff_id: str
    currency: str
    charging_periods: list[CdrChargingPeriod]
    total_energy_kwh: Decimal
    total_time_h: Decimal
    total_parking_time_h: Decimal
    costs: dict[str, Cost]  # by TariffDimensionType, only those billed; the price limit line is apart
    total_cost: Cost
    lines: list[ReceiptLine] = field(default_factory=list)


@dataclass
class _Slice:
    start: datetime
    end: datetime
    energy_wh: Decimal
    is_charging: bool
    power_kw: Decimal
    current_a: Decimal | None
    is_power_measured: bool
    energy_before_wh: Decimal = Decimal(0)


@dataclass
class _Billed:
    slice_index: int
    dimension: Dimension
    element_index: int
    component: PriceComponent
    volume: Decimal  # Wh, seconds, or 1 (FLAT)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta // timedelta(microseconds=1)) / Decimal(1_000_000)


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def _clock_times(tariff: Tariff) -> set[str]:
    times = {"00:00"}
    for element in tariff.elements:
        if element.restrictions is not None:
            times |= {t for t in (element.restrictions.start_time, element.restrictions.end_time) if t}
    return times


def _cuts(period: ChargingPeriod, energy_before_wh: Decimal, session_start: datetime, tariff: Tariff,
          tz: ZoneInfo) -> list[datetime]:
    """Instants inside the period at which some restriction may start or stop matching."""
    cuts: set[datetime] = set()
    first_day = period.start.astimezone(tz).date() - timedelta(days=1)
    last_day = period.end.astimezone(tz).date() + timedelta(days=1)
    clock = [time.fromisoformat(t) for t in _clock_times(tariff)]
    day = first_day
    while day <= last_day:
        for moment in clock:
            cuts.add(datetime.combine(day, moment, tzinfo=tz).astimezone(UTC))
        day += timedelta(days=1)
    energy_wh = _decimal(period.energy_wh)
    for element in tariff.elements:
        restrictions = element.restrictions
        if restrictions is None:
            continue
        for seconds in (restrictions.min_duration, restrictions.max_duration):
            if seconds is not None:
                cuts.add(session_start + timedelta(seconds=seconds))
        for kwh in (restrictions.min_kwh, restrictions.max_kwh):
            if kwh is not None and energy_wh > 0:
                reached = (kwh * _WH_PER_KWH - energy_before_wh) / energy_wh
                if 0 < reached < 1:
                    microseconds = int(reached * ((period.end - period.start) // timedelta(microseconds=1)))
                    cuts.add(period.start + timedelta(microseconds=microseconds))
    return sorted(cut for cut in cuts if period.start < cut < period.end)


def _slices(periods: Sequence[ChargingPeriod], tariff: Tariff, tz: ZoneInfo) -> list[_Slice]:
    session_start = periods[0].start
    slices: list[_Slice] = []
    energy_before = Decimal(0)
    for period in periods:
        energy = max(_decimal(period.energy_wh), Decimal(0))
        bounds = [period.start, *_cuts(period, energy_before, session_start, tariff, tz), period.end]
        total_us = (period.end - period.start) // timedelta(microseconds=1)
        given = Decimal(0)
        for index, (start, end) in enumerate(itertools.pairwise(bounds)):
            is_last = index == len(bounds) - 2
            share = energy - given if is_last else energy * ((end - start) // timedelta(microseconds=1)) / total_us
            slices.append(_Slice(
                start, end, share, period.is_charging, _decimal(period.max_power_kw),
                None if period.max_current_a is None else _decimal(period.max_current_a),
                period.is_power_measured, energy_before + given,
            ))
            given += share
        energy_before += energy
    return slices


def _matches(restrictions: TariffRestrictions | None, piece: _Slice, session_start: datetime, tz: ZoneInfo) -> bool:
    if restrictions is None:
        return True
    if restrictions.reservation is not None:
        return False
    local = piece.start.astimezone(tz)
    return (
        _in_time_window(restrictions.start_time, restrictions.end_time, local.hour * 60 + local.minute)
        and (restrictions.start_date is None or local.date().isoformat() >= restrictions.start_date)
        and (restrictions.end_date is None or local.date().isoformat() < restrictions.end_date)
        and (restrictions.day_of_week is None or WEEKDAYS[local.weekday()] in restrictions.day_of_week)
        and _in_range(piece.energy_before_wh / _WH_PER_KWH, restrictions.min_kwh, restrictions.max_kwh)
        and _in_range(_seconds(piece.start - session_start), restrictions.min_duration, restrictions.max_duration)
        and _in_range(piece.power_kw if piece.is_charging else Decimal(0),
                      restrictions.min_power, restrictions.max_power)
        and _current_matches(restrictions, piece)
    )


def _current_matches(restrictions: TariffRestrictions, piece: _Slice) -> bool:
    if restrictions.min_current is None and restrictions.max_current is None:
        return True
    current = piece.current_a if piece.current_a is not None else (None if piece.is_charging else Decimal(0))
    return current is not None and _in_range(current, restrictions.min_current, restrictions.max_current)


def _in_range(value: Decimal, low: Decimal | int | None, high: Decimal | int | None) -> bool:
    return (low is None or value >= low) and (high is None or value < high)


def _in_time_window(start_time: str | None, end_time: str | None, minute: int) -> bool:
    start = _minutes(start_time) if start_time else 0
    end = _minutes(end_time) if end_time else 24 * 60
    if end == 0:
        end = 24 * 60  # "To stop at end of the day use: 00:00"
    if start == end:
        return True  # a window of a whole day
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # wraps past midnight


def _priced_by(tariff: Tariff, dimension: Dimension, piece: _Slice, session_start: datetime,
               tz: ZoneInfo) -> tuple[int, PriceComponent] | None:
    for index, element in enumerate(tariff.elements):
        component = _component(element, dimension)
        if component is not None and _matches(element.restrictions, piece, session_start, tz):
            return index, component
    return None


def _component(element: TariffElement, dimension: Dimension) -> PriceComponent | None:
    return next((c for c in element.price_components if c.type == dimension), None)


def _bill(slices: list[_Slice], tariff: Tariff, tz: ZoneInfo) -> list[_Billed]:
    session_start = slices[0].start
    billed: list[_Billed] = []
    for index, piece in enumerate(slices):
        if not any(b.dimension == Dimension.FLAT for b in billed):
            found = _priced_by(tariff, Dimension.FLAT, piece, session_start, tz)
            if found is not None:
                billed.append(_Billed(index, Dimension.FLAT, found[0], found[1], Decimal(1)))
        time_dimension = Dimension.TIME if piece.is_charging else Dimension.PARKING_TIME
        volumes = ((Dimension.ENERGY, piece.energy_wh), (time_dimension, _seconds(piece.end - piece.start)))
        for dimension, volume in volumes:
            if volume <= 0:
                continue
            found = _priced_by(tariff, dimension, piece, session_start, tz)
            if found is not None:
                billed.append(_Billed(index, dimension, found[0], found[1], volume))
    return billed


def _round_up_to_step(billed: list[_Billed], dimension: Dimension) -> None:
    """Round the dimension's billed total up to the last component's step_size; the extra goes to
    the last billed slice."""
    of_dimension = [b for b in billed if b.dimension == dimension]
    if not of_dimension:
        return
    exact = sum((b.volume for b in of_dimension), Decimal(0))
    # Energy spread over slices by float interpolation sums to e.g. 12000.000000000002 Wh: that noise,
    # far below a thousandth of a Wh or second, must not round a whole step up.
    total = exact.quantize(_NOISE)
    step = of_dimension[-1].component.step_size
    steps = (total / step).to_integral_value(rounding=ROUND_CEILING)
    of_dimension[-1].volume += steps * step - exact


def _apply_step_sizes(billed: list[_Billed]) -> None:
    _round_up_to_step(billed, Dimension.ENERGY)
    if any(b.dimension == Dimension.PARKING_TIME for b in billed):
        _round_up_to_step(billed, Dimension.PARKING_TIME)
    else:
        _round_up_to_step(billed, Dimension.TIME)


_UNITS = {Dimension.ENERGY: ("kWh", _WH_PER_KWH), Dimension.TIME: ("h", _SECONDS_PER_HOUR),
          Dimension.PARKING_TIME: ("h", _SECONDS_PER_HOUR), Dimension.FLAT: ("", Decimal(1))}
_LABELS = {Dimension.ENERGY: "Energy", Dimension.TIME: "Charging time",
           Dimension.PARKING_TIME: "Parking time", Dimension.FLAT: "Start fee"}
_ORDER = (Dimension.FLAT, Dimension.ENERGY, Dimension.TIME, Dimension.PARKING_TIME)


@dataclass
class _ExactLine:
    dimension: Dimension
    component: PriceComponent
    volume: Decimal  # in the unit of the line: kWh, h, or 1
    excl_vat: Decimal  # minor units, exact
    vat: Decimal


def _exact_lines(billed: list[_Billed], currency: str) -> list[_ExactLine]:
    grouped: dict[tuple[Dimension, int], list[_Billed]] = {}
    for entry in billed:
        grouped.setdefault((entry.dimension, entry.element_index), []).append(entry)
    lines = []
    for (dimension, _), entries in sorted(grouped.items(), key=lambda kv: (_ORDER.index(kv[0][0]), kv[0][1])):
        component = entries[0].component
        volume = sum((e.volume for e in entries), Decimal(0)) / _UNITS[dimension][1]
        excl = minor_amount(volume * component.price, currency)
        vat = excl * (component.vat or 0) / 100
        lines.append(_ExactLine(dimension, component, volume, excl, vat))
    return lines


def _price_limit(total: Cost, tariff: Tariff, vat_rate: Decimal) -> Cost:
    """The totals within min_price and max_price. A limit without incl_vat keeps the session's VAT rate
    (`vat_rate`, VAT over the amount excl. VAT): a capped 10.00 excl. at 20 % is 12.00 incl."""
    excl, incl = total.excl_vat, total.incl_vat
    currency = tariff.currency

    def with_vat(amount: int) -> int:
        return amount + round_half_up(amount * vat_rate)

    if tariff.min_price is not None:
        low = to_minor(tariff.min_price.excl_vat, currency)
        if excl < low:
            excl, incl = low, with_vat(low)
        if tariff.min_price.incl_vat is not None:
            incl = max(incl, to_minor(tariff.min_price.incl_vat, currency))
    if tariff.max_price is not None:
        high = to_minor(tariff.max_price.excl_vat, currency)
        if excl > high:
            excl, incl = high, with_vat(high)
        if tariff.max_price.incl_vat is not None:
            incl = min(incl, to_minor(tariff.max_price.incl_vat, currency))
    return Cost(excl, max(incl, excl))


def _cdr_periods(slices: list[_Slice], tariff_id: str) -> list[CdrChargingPeriod]:
    periods = []
    for piece in slices:
        hours = (_seconds(piece.end - piece.start) / _SECONDS_PER_HOUR).quantize(_VOLUME_PLACES)
        dimensions = []
        if piece.energy_wh > 0:
            dimensions.append(CdrDimension("ENERGY", (piece.energy_wh / _WH_PER_KWH).quantize(_VOLUME_PLACES)))
        dimensions.append(CdrDimension("TIME" if piece.is_charging else "PARKING_TIME", hours))
        if piece.is_power_measured:
            dimensions.append(CdrDimension("MAX_POWER", piece.power_kw.quantize(_VOLUME_PLACES)))
        if piece.current_a is not None:
            dimensions.append(CdrDimension("MAX_CURRENT", piece.current_a.quantize(_VOLUME_PLACES)))
        periods.append(CdrChargingPeriod(piece.start, dimensions, tariff_id))
    return periods


def price_session(periods: Sequence[ChargingPeriod], tariff: Tariff, tz: ZoneInfo) -> PricedSession:
    """The cost of a session, made of `periods` (so far: an active session's live cost), under
    `tariff`, at a site in time zone `tz`. See the module docstring for the rules."""
    # In UTC: Python compares and subtracts datetimes of one zone by wall clock, wrong across DST.
    periods = sorted((replace(p, start=p.start.astimezone(UTC), end=p.end.astimezone(UTC))
                      for p in periods if p.end > p.start), key=lambda p: p.start)
    slices = _slices(periods, tariff, tz) if periods else []
    billed = _bill(slices, tariff, tz) if slices else []
    _apply_step_sizes(billed)
    exact = _exact_lines(billed, tariff.currency)
    total_excl = round_half_up(sum((line.excl_vat for line in exact), Decimal(0)))
    total_vat = round_half_up(sum((line.vat for line in exact), Decimal(0)))
    excl_parts = largest_remainder([line.excl_vat for line in exact], total_excl)
    vat_parts = largest_remainder([line.vat for line in exact], total_vat)

    lines = [
        ReceiptLine(
            label=_LABELS[line.dimension], dimension=line.dimension.value,
            volume=line.volume.quantize(_VOLUME_PLACES) if line.dimension != Dimension.FLAT else Decimal(1),
            unit=_UNITS[line.dimension][0], unit_price=line.component.price, vat_percent=line.component.vat,
            amount_excl_vat=excl, amount_incl_vat=excl + vat,
        )
        for line, excl, vat in zip(exact, excl_parts, vat_parts, strict=True)
    ]
    costs: dict[str, Cost] = {}
    for receipt_line in lines:
        so_far = costs.get(receipt_line.dimension, Cost(0, 0))
        costs[receipt_line.dimension] = Cost(so_far.excl_vat + receipt_line.amount_excl_vat,
                                             so_far.incl_vat + receipt_line.amount_incl_vat)
    computed = Cost(total_excl, total_excl + total_vat)
    exact_excl = sum((line.excl_vat for line in exact), Decimal(0))
    if exact_excl > 0:
        vat_rate = sum((line.vat for line in exact), Decimal(0)) / exact_excl
    else:  # nothing consumed (a minimum price alone): the tariff's own rate
        vat_rate = max((c.vat or Decimal(0) for e in tariff.elements for c in e.price_components),
                       default=Decimal(0)) / 100
    total = _price_limit(computed, tariff, vat_rate)
    if total != computed:
        label = "Minimum price" if total.excl_vat > computed.excl_vat or total.incl_vat > computed.incl_vat \
            else "Maximum price"
        lines.append(ReceiptLine(label, PRICE_LIMIT, Decimal(1), "", Decimal(0), None,
                                 total.excl_vat - computed.excl_vat, total.incl_vat - computed.incl_vat))

    total_energy = sum((s.energy_wh for s in slices), Decimal(0)) / _WH_PER_KWH
    total_seconds = _seconds(periods[-1].end - periods[0].start) if periods else Decimal(0)
    parking_seconds = sum((_seconds(s.end - s.start) for s in slices if not s.is_charging), Decimal(0))
    return PricedSession(
        tariff_id=tariff.id, currency=tariff.currency,
        charging_periods=_cdr_periods(slices, tariff.id),
        total_energy_kwh=total_energy.quantize(_VOLUME_PLACES),
        total_time_h=(total_seconds / _SECONDS_PER_HOUR).quantize(_VOLUME_PLACES),
        total_parking_time_h=(parking_seconds / _SECONDS_PER_HOUR).quantize(_VOLUME_PLACES),
        costs=costs, total_cost=total, lines=lines,
    )
