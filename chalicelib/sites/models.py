"""The site model and the shapes the sites API accepts."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from chalicelib.iso_codes import CountryCode, TimeZoneName
from chalicelib.validation import EmailAddress, InputModel

# Coordinates to 7 decimals (about 1 cm), as OCPI's GeoLocation; this also keeps values inside DynamoDB's range.
Latitude = Annotated[float, Field(ge=-90, le=90), AfterValidator(lambda v: round(v, 7))]
Longitude = Annotated[float, Field(ge=-180, le=180), AfterValidator(lambda v: round(v, 7))]
GridKw = Annotated[float, Field(ge=0.1, le=100_000), AfterValidator(lambda kw: round(kw, 3))]


class SiteOwner(InputModel):
    """Who owns the site (a business or person the CPO operates for)."""

    name: str = Field(min_length=1, max_length=100)
    email: EmailAddress | None = None


class RevenueShare(InputModel):
    """A payout party's share of the site's revenue, in basis points of what the driver paid."""

    party_id: str = Field(min_length=1, max_length=64)
    share_bps: int = Field(ge=1, le=10_000)


RevenueSplit = Annotated[list[RevenueShare], Field(max_length=10)]


class SiteFields(InputModel):
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: CountryCode
    latitude: Latitude
    longitude: Longitude
    time_zone: TimeZoneName
    # Grid connection capacity shared by the site's chargers; load management allocates within it.
    max_power_kw: GridKw | None = None
    owner: SiteOwner | None = None
    tariff_id: str | None = Field(default=None, min_length=1, max_length=64)
    # OWNER and EMSP parties' shares; the CPO (the tenant) takes the rest after the platform fee.
    revenue_split: RevenueSplit | None = None


class SiteIn(SiteFields):
    pass


class SitePatch(InputModel):
    """Any subset of the site's fields; null clears an optional one."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    address: str | None = Field(default=None, min_length=1, max_length=200)
    city: str | None = Field(default=None, min_length=1, max_length=100)
    postal_code: str | None = Field(default=None, min_length=1, max_length=20)
    country: CountryCode | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    time_zone: TimeZoneName | None = None
    max_power_kw: GridKw | None = None
    owner: SiteOwner | None = None
    tariff_id: str | None = Field(default=None, min_length=1, max_length=64)
    revenue_split: RevenueSplit | None = None


class Site(SiteFields):
    model_config = SiteFields.model_config | {"extra": "ignore"}

    id: str
    created_at: str
    updated_at: str
