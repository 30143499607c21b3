"""Validated ISO code types for pydantic models: countries (ISO 3166-1 alpha-2), currencies (ISO 4217)
and IANA time zones."""
from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _country(code: str) -> str:
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. NL")
    return code


def _currency(code: str) -> str:
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR")
    return code


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(name: str) -> str:
    if name not in _time_zones():
        raise ValueError("must be an IANA time zone, e.g. Europe/Amsterdam")
    return name


CountryCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_country)]
CurrencyCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_currency)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
