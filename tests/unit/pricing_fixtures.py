"""Plain builders for pricing tests: tariffs as OCPI JSON, and charging periods at a site's local time."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.tariffs.models import Tariff
from chalicelib.tariffs.periods import ChargingPeriod

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STAMP = "2026-01-01T00:00:00.000Z"


def tariff(*elements: dict[str, Any], currency: str = "EUR", **fields: Any) -> Tariff:
    return Tariff.model_validate({
        "id": "T1", "currency": currency, "elements": list(elements),
        "created_at": STAMP, "updated_at": STAMP, "last_updated": STAMP, **fields,
    })


def component(kind: str, price: float, vat: float | None = None, step_size: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "price": price, "step_size": step_size}
    if vat is not None:
        body["vat"] = vat
    return body


def element(*components: dict[str, Any], **restrictions: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"price_components": list(components)}
    if restrictions:
        body["restrictions"] = restrictions
    return body


def local(year: int, month: int, day: int, hour: int, minute: int = 0, tz: ZoneInfo = AMSTERDAM) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def charging(start: datetime, minutes: float, kwh: float, *, current_a: float | None = None,
             power_kw: float | None = None) -> ChargingPeriod:
    end = start.astimezone(UTC) + timedelta(minutes=minutes)  # real minutes, also across DST
    average = kwh / (minutes / 60)
    return ChargingPeriod(start, end, kwh * 1000, True, power_kw if power_kw is not None else average,
                          current_a, is_power_measured=power_kw is not None)


def parked(start: datetime, minutes: float) -> ChargingPeriod:
    return ChargingPeriod(start, start.astimezone(UTC) + timedelta(minutes=minutes), 0.0, False, 0.0)

