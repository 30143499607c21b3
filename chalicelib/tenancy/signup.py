"""Signing up a tenant: a unique slug, optional OCPI party claim, and a first admin key shown once."""
from __future__ import annotations

from chalicelib.clock import now_rfc3339
from chalicelib.errors import Conflict
from chalicelib.identifiers import new_id
from chalicelib.store.directory import PartyIdTaken, SlugTaken, TenantDirectory
from chalicelib.tenancy.credentials import api_key_digest, api_key_hint, new_api_key
from chalicelib.tenancy.models import ApiKey, Role, SignupIn, Tenant
from chalicelib.tenancy.slugs import slug_candidates

_SLUG_ATTEMPTS = 8


class SignupService:
    def __init__(self, directory: TenantDirectory) -> None:
        self._directory = directory

    def sign_up(self, request: SignupIn) -> tuple[Tenant, str]:
        """Create the tenant; returns it with its admin API key (the only time the key is shown)."""
        tenant_id = new_id("ten")
        created_at = now_rfc3339()
        secret = new_api_key()
        admin_key = ApiKey(
            id=new_id("key"), role=Role.ADMIN, name="signup", hint=api_key_hint(secret),
            created_at=created_at, digest=api_key_digest(secret),
        )
        for attempt, slug in enumerate(slug_candidates(request.name)):
            tenant = Tenant(
                id=tenant_id, slug=slug, name=request.name, email=str(request.email),
                country=request.country, currency=request.currency, party_id=request.party_id,
                created_at=created_at,
            )
            try:
                self._directory.register(tenant, admin_key)
                return tenant, secret
            except SlugTaken:
                if attempt + 1 >= _SLUG_ATTEMPTS:
                    raise Conflict("no free URL name was found for this tenant name; try a more specific name",
                                   code="slug_unavailable", field="name") from None
            except PartyIdTaken:
                raise Conflict(
                    f"party id {request.party_id} is already registered in {request.country}",
                    code="duplicate_party_id", field="party_id",
                ) from None
        raise AssertionError("unreachable")
