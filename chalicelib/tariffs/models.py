"""The OCPI 2.2.1 Tariff as the platform accepts, stores and serves it.

Prices are Decimal in Python (no binary rounding in pricing) and JSON numbers in JSON output, as OCPI
wants them (0.25, not "0.25"). Numbers are limited to OCPI's 4 decimals and 12 digits so that a dump read back
gives the same tariff.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, PlainSerializer, model_validator

from chalicelib.iso_codes import CurrencyCode
from chalicelib.validation import InputModel


def _json_number(value: Decimal) -> int | float:
    # A whole number stays an int in JSON; others become the float whose repr is the decimal itself.
    return int(value) if value == value.to_integral_value() else float(value)


OcpiNumber = Annotated[
    Decimal, Field(max_digits=12, decimal_places=4), PlainSerializer(_json_number, when_used="json"),
]
NonNegative = Annotated[OcpiNumber, Field(ge=0)]

_TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_DATE = re.compile(r"^[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def _time_of_day(value: str) -> str:
    if not _TIME_OF_DAY.match(value):
        raise ValueError("must be a 24h time of day HH:MM with leading zeros, e.g. 09:30")
    return value


def _calendar_date(value: str) -> str:
    if not _DATE.match(value):
        raise ValueError("must be a date YYYY-MM-DD, e.g. 2026-12-24")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date that exists, e.g. 2026-12-24") from None
    return value


TimeOfDay = Annotated[str, AfterValidator(_time_of_day)]
CalendarDate = Annotated[str, AfterValidator(_calendar_date)]


class TariffType(StrEnum):
    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class TariffDimensionType(StrEnum):
    ENERGY = "ENERGY"  # kWh, step_size in Wh
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"  # hours connected but not charging, step_size in seconds
    TIME = "TIME"  # hours charging, step_size in seconds


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


WEEKDAYS = tuple(DayOfWeek)  # in datetime.weekday() order


class ReservationRestrictionType(StrEnum):
    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class DisplayText(InputModel):
    language: str = Field(min_length=2, max_length=2)
    text: str = Field(min_length=1, max_length=512)


class Price(InputModel):
    """OCPI Price: an amount in the tariff's currency, excluding and (optionally) including VAT."""

    excl_vat: NonNegative
    incl_vat: NonNegative | None = None

    @model_validator(mode="after")
    def _incl_not_below_excl(self) -> Price:
        if self.incl_vat is not None and self.incl_vat < self.excl_vat:
            raise ValueError("incl_vat must not be below excl_vat")
        return self


class PriceComponent(InputModel):
    type: TariffDimensionType
    price: NonNegative  # per unit, excl. VAT
    vat: Annotated[OcpiNumber, Field(ge=0, le=100)] | None = None  # percent; None: no VAT applies
    step_size: int = Field(ge=1, le=10_000_000)


def _check_range(low: Any, high: Any, low_name: str, high_name: str) -> None:
    if low is not None and high is not None and high < low:
        raise ValueError(f"{high_name} must not be below {low_name}")


class TariffRestrictions(InputModel):
    start_time: TimeOfDay | None = None  # local time at the site, inclusive
    end_time: TimeOfDay | None = None  # exclusive; before start_time: wraps past midnight
    start_date: CalendarDate | None = None  # inclusive
    end_date: CalendarDate | None = None  # exclusive
    min_kwh: NonNegative | None = None
    max_kwh: NonNegative | None = None
    min_current: NonNegative | None = None
    max_current: NonNegative | None = None
    min_power: NonNegative | None = None
    max_power: NonNegative | None = None
    min_duration: int | None = Field(default=None, ge=0)
    max_duration: int | None = Field(default=None, ge=0)
    day_of_week: list[DayOfWeek] | None = Field(default=None, min_length=1, max_length=7)
    reservation: ReservationRestrictionType | None = None

    @model_validator(mode="after")
    def _ranges_in_order(self) -> TariffRestrictions:
        for name in ("kwh", "current", "power", "duration"):
            _check_range(getattr(self, f"min_{name}"), getattr(self, f"max_{name}"), f"min_{name}", f"max_{name}")
        if self.start_date is not None and self.end_date is not None and self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date (end_date is exclusive)")
        return self


class TariffElement(InputModel):
    price_components: list[PriceComponent] = Field(min_length=1, max_length=8)
    restrictions: TariffRestrictions | None = None


def _check_price_limits(min_price: Price | None, max_price: Price | None) -> None:
    if min_price is None or max_price is None:
        return
    if max_price.excl_vat < min_price.excl_vat:
        raise ValueError("max_price.excl_vat must not be below min_price.excl_vat")
    if min_price.incl_vat is not None and max_price.incl_vat is not None and max_price.incl_vat < min_price.incl_vat:
        raise ValueError("max_price.incl_vat must not be below min_price.incl_vat")


class TariffFields(InputModel):
    currency: CurrencyCode
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] = Field(default=[], max_length=20)
    tariff_alt_url: str | None = Field(default=None, pattern=r"^https?://", max_length=255)
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] = Field(min_length=1, max_length=100)
    start_date_time: AwareDatetime | None = None
    end_date_time: AwareDatetime | None = None

    @model_validator(mode="after")
    def _limits_in_order(self) -> TariffFields:
        _check_price_limits(self.min_price, self.max_price)
        if (self.start_date_time is not None and self.end_date_time is not None
                and self.end_date_time <= self.start_date_time):
            raise ValueError("end_date_time must be after start_date_time")
        return self


class TariffIn(TariffFields):
    pass


class TariffPatch(InputModel):
    """Any subset of a tariff's fields; null clears an optional one. The whole result is validated again."""

    currency: CurrencyCode | None = None
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] | None = Field(default=None, max_length=20)
    tariff_alt_url: str | None = Field(default=None, pattern=r"^https?://", max_length=255)
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] | None = Field(default=None, min_length=1, max_length=100)
    start_date_time: AwareDatetime | None = None
    end_date_time: AwareDatetime | None = None


class Tariff(TariffFields):
    id: str = Field(min_length=1, max_length=36)
    created_at: str
    updated_at: str
    last_updated: str  # OCPI: when the tariff was last changed; RFC 3339 UTC


def ocpi_tariff(tariff: Tariff, *, country_code: str, party_id: str) -> dict[str, Any]:
    """The OCPI 2.2.1 Tariff object: the stored tariff with its owner, without the platform's own fields."""
    body = tariff.model_dump(mode="json", exclude_none=True, exclude={"created_at", "updated_at"})
    if not body.get("tariff_alt_text"):
        body.pop("tariff_alt_text", None)
    return {"country_code": country_code, "party_id": party_id, **body}
