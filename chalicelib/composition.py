"""Building services for a request, in one place: each route asks for the service it needs, built for
the caller's tenant; what holds no tenant state (the directory) is built once per container."""
from __future__ import annotations

from functools import lru_cache

from chalicelib.charging.chargers import ChargerService
from chalicelib.charging.tokens import TokenService
from chalicelib.settings import settings
from chalicelib.sites.service import SiteService
from chalicelib.store.chargers import ChargerRepository
from chalicelib.store.directory import ApiKeyRepository, TenantDirectory, TenantProfileRepository
from chalicelib.store.sites import SiteRepository
from chalicelib.store.tokens import TokenRepository
from chalicelib.tenancy.api_keys import ApiKeyService
from chalicelib.tenancy.models import TenantContext
from chalicelib.tenancy.signup import SignupService


@lru_cache(maxsize=1)
def directory() -> TenantDirectory:
    return TenantDirectory()


def signup_service() -> SignupService:
    return SignupService(directory())


def tenant_profiles(ctx: TenantContext) -> TenantProfileRepository:
    return TenantProfileRepository(ctx.tenant_id)


def api_key_service(ctx: TenantContext) -> ApiKeyService:
    return ApiKeyService(ctx, ApiKeyRepository(ctx.tenant_id))


def site_service(ctx: TenantContext) -> SiteService:
    return SiteService(SiteRepository(ctx.tenant_id))


def charger_service(ctx: TenantContext) -> ChargerService:
    return ChargerService(
        ChargerRepository(ctx.tenant_id), tenant_slug=ctx.slug, ocpp_base_url=settings().ocpp_base_url,
    )


def token_service(ctx: TenantContext) -> TokenService:
    return TokenService(TokenRepository(ctx.tenant_id))
