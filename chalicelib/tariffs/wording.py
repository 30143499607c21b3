"""A tariff in plain words for a driver: what they pay, incl. VAT, and when."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.money import exponent
from chalicelib.tariffs.models import Price, PriceComponent, Tariff, TariffDimensionType, TariffRestrictions

_UNITS = {
    TariffDimensionType.ENERGY: "per kWh",
    TariffDimensionType.TIME: "per hour while charging",
    TariffDimensionType.PARKING_TIME: "per hour while parked",
    TariffDimensionType.FLAT: "start fee",
}


def _amount(value: Decimal, currency: str) -> str:
    """Rounded to the currency's minor unit, as a driver reads prices; a tiny price that would show as
    zero keeps up to 4 decimals (0.0025 EUR per kWh is not free)."""
    places = exponent(currency)
    shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if shown == 0 and value > 0:
        shown = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return f"{shown} {currency}"


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _minutes(seconds: int) -> str:
    if seconds % 60:
        return f"{seconds} seconds"
    return "1 minute" if seconds == 60 else f"{seconds // 60} minutes"


def _days(days: Sequence[str]) -> str:
    names = [day.capitalize() for day in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _conditions(restrictions: TariffRestrictions | None) -> list[str]:
    if restrictions is None:
        return []
    said = []
    if restrictions.start_time or restrictions.end_time:
        said.append(f"{restrictions.start_time or '00:00'}–{restrictions.end_time or '24:00'}")
    if restrictions.day_of_week:
        said.append(f"on {_days(restrictions.day_of_week)}")
    if restrictions.start_date:
        said.append(f"from {restrictions.start_date}")
    if restrictions.end_date:
        said.append(f"before {restrictions.end_date}")
    if restrictions.min_duration:
        said.append(f"after {_minutes(restrictions.min_duration)}")
    if restrictions.max_duration is not None:
        said.append(f"for the first {_minutes(restrictions.max_duration)}")
    if restrictions.min_kwh:
        said.append(f"from {restrictions.min_kwh.normalize():f} kWh")
    if restrictions.max_kwh is not None:
        said.append(f"for the first {restrictions.max_kwh.normalize():f} kWh")
    for name, unit in (("power", "kW"), ("current", "A")):
        low, high = getattr(restrictions, f"min_{name}"), getattr(restrictions, f"max_{name}")
        if low is not None:
            said.append(f"at {low.normalize():f} {unit} or more")
        if high is not None:
            said.append(f"below {high.normalize():f} {unit}")
    return said


def _step(component: PriceComponent) -> str | None:
    if component.step_size <= 1 or component.type == TariffDimensionType.FLAT:
        return None
    if component.type == TariffDimensionType.ENERGY:
        return f"billed per {component.step_size} Wh"
    return f"billed per {_minutes(component.step_size)}"


def _with_vat(price: Decimal, vat: Decimal | None) -> Decimal:
    return price * (1 + (vat or 0) / Decimal(100))


def _limit(word: str, price: Price, currency: str) -> str:
    if price.incl_vat is not None:
        return f"{word} {_amount(price.incl_vat, currency)} per session incl. VAT"
    return f"{word} {_amount(price.excl_vat, currency)} per session excl. VAT"


def describe_tariff(tariff: Tariff) -> list[str]:
    """One line per price, in the order the tariff lists them, then the session's price limits. A price
    that applies only under restrictions says when; reservation prices are left out (drivers reserve
    elsewhere)."""
    lines = []
    for element in tariff.elements:
        if element.restrictions is not None and element.restrictions.reservation is not None:
            continue
        for component in element.price_components:
            text = f"{_amount(_with_vat(component.price, component.vat), tariff.currency)} {_UNITS[component.type]}"
            details = [*_conditions(element.restrictions)]
            step = _step(component)
            if step:
                details.append(step)
            if details:
                text += ", " + ", ".join(details)
            if component.vat:
                text += f" (incl. {_percent(component.vat)} VAT)"
            lines.append(text)
    if tariff.min_price is not None:
        lines.append(_limit("At least", tariff.min_price, tariff.currency))
    if tariff.max_price is not None:
        lines.append(_limit("At most", tariff.max_price, tariff.currency))
    return lines
