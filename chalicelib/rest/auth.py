"""The caller's tenant context, resolved once per request from its bearer API key."""
from __future__ import annotations

from chalice.app import Request

from chalicelib.composition import directory
from chalicelib.observability import logger
from chalicelib.tenancy.context import resolve_tenant_context
from chalicelib.tenancy.models import Role, TenantContext

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def tenant_context(request: Request, *, admin_only: bool = False) -> TenantContext:
    """Reads need any key; writes (and admin-only routes) need an admin key."""
    needs = Role.ADMIN if admin_only or request.method not in _READ_METHODS else Role.VIEWER
    ctx = resolve_tenant_context(directory(), request.headers.get("authorization"), needs=needs)
    logger.thread_safe_append_keys(tenant_id=ctx.tenant_id)
    return ctx
