"""Tenant, API key and tenant-context models, and the shapes the tenant API accepts."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from chalicelib.iso_codes import CountryCode, CurrencyCode
from chalicelib.validation import EmailAddress, InputModel


class Role(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# OCPI party id: three alphanumeric characters, unique together with the country code.
PartyId = Annotated[str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z0-9]{3}$")]


class SignupIn(InputModel):
    name: str = Field(min_length=1, max_length=100)
    email: EmailAddress
    country: CountryCode
    currency: CurrencyCode
    party_id: PartyId | None = None


class Tenant(BaseModel):
    id: str
    slug: str
    name: str
    email: str
    country: str
    currency: str
    party_id: str | None = None
    default_tariff_id: str | None = None  # for chargers and sites with no tariff of their own
    # The pre-authorisation a driver's card is held for at checkout, in minor units; the session
    # stops when its cost reaches it. None: 50 units of the currency.
    checkout_hold: int | None = None
    created_at: str


class TenantPatch(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    default_tariff_id: str | None = Field(default=None, min_length=1, max_length=64)
    checkout_hold: int | None = Field(default=None, ge=100, le=100_000_000)


class ApiKeyIn(InputModel):
    role: Role = Role.VIEWER
    name: str | None = Field(default=None, min_length=1, max_length=64)


class ApiKey(BaseModel):
    id: str
    role: Role
    name: str | None = None
    hint: str
    created_at: str
    digest: str  # SHA-256 of the secret; needed to revoke its lookup item, never shown


@dataclass(frozen=True)
class TenantContext:
    """Who is calling, resolved once at the edge from a credential and passed down."""

    tenant_id: str
    slug: str
    role: Role
    key_id: str

    @property
    def can_write(self) -> bool:
        return self.role is Role.ADMIN
