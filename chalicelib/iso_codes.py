"""Validated ISO code types for pydantic models: countries (ISO 3166-1 alpha-2), currencies (ISO 4217)
and IANA time zones. The code tables come from the small, self-contained `iso3166` and `iso4217`
packages (pycountry would add 21 MB of translations to every Lambda)."""
from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

# The code tables (iso3166, iso4217) are imported when a code is first checked, not when a model that
# uses them is defined: a Lambda that checks no codes (an OCPP frame) never pays for them.


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _country(code: str) -> str:
    import iso3166

    if code not in iso3166.countries_by_alpha2:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. NL")
    return code


def minor_units(currency: str) -> int | None:
    """Digits after the decimal point (EUR 2, JPY 0, KWD 3); None for what is not money to bill in
    (precious metals, funds, the testing and no-currency codes) or not a currency at all."""
    from iso4217 import Currency

    try:
        exponent: int | None = Currency(currency).exponent
    except ValueError:
        return None
    return exponent


def _currency(code: str) -> str:
    if len(code) != 3 or minor_units(code) is None:
        raise ValueError("must be an ISO 4217 currency code, e.g. EUR")
    return code


# Names in the tz database that are not places: "the host's zone" and placeholders.
_NOT_PLACES = frozenset({"Factory", "localtime", "posixrules"})


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(
        name for name in zoneinfo.available_timezones()
        if name not in _NOT_PLACES and not name.startswith(("posix/", "right/"))
    )


def _time_zone(name: str) -> str:
    if name not in _time_zones():
        raise ValueError("must be an IANA time zone, e.g. Europe/Amsterdam")
    return name


CountryCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_country)]
CurrencyCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_currency)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
