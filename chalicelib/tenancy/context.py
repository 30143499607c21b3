"""Resolving the caller's tenant context from an `Authorization: Bearer` API key."""
from __future__ import annotations

from chalicelib.errors import Forbidden, Unauthenticated
from chalicelib.store.directory import TenantDirectory
from chalicelib.tenancy.credentials import API_KEY_PREFIX, api_key_digest
from chalicelib.tenancy.models import Role, TenantContext


def resolve_tenant_context(
    directory: TenantDirectory, authorization: str | None, *, needs: Role
) -> TenantContext:
    """The context for a bearer key; Unauthenticated without a valid key, Forbidden if the role is short."""
    scheme, _, api_key = (authorization or "").strip().partition(" ")
    api_key = api_key.strip()
    if scheme.lower() != "bearer" or not api_key:
        raise Unauthenticated("send the tenant API key as 'Authorization: Bearer <api_key>'")
    grant = directory.resolve_api_key(api_key_digest(api_key)) if api_key.startswith(API_KEY_PREFIX) else None
    if grant is None:
        raise Unauthenticated("the API key is not valid (unknown or revoked)", code="invalid_api_key")
    ctx = TenantContext(tenant_id=grant.tenant_id, slug=grant.slug, role=grant.role, key_id=grant.key_id)
    if needs is Role.ADMIN and not ctx.can_write:
        raise Forbidden("this API key has the viewer role and may only read", code="read_only_key")
    return ctx
