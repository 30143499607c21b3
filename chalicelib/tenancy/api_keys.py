"""Managing a tenant's API keys: create (secret shown once), list, revoke."""
from __future__ import annotations

from chalicelib.clock import now_rfc3339
from chalicelib.errors import Conflict, NotFound
from chalicelib.identifiers import new_id
from chalicelib.store.contract import MAX_PAGE_SIZE, Page
from chalicelib.store.directory import ApiKeyRepository
from chalicelib.tenancy.credentials import api_key_digest, api_key_hint, new_api_key
from chalicelib.tenancy.models import ApiKey, ApiKeyIn, Role, TenantContext


class ApiKeyService:
    def __init__(self, ctx: TenantContext, keys: ApiKeyRepository) -> None:
        self._ctx = ctx
        self._keys = keys

    def create(self, request: ApiKeyIn) -> tuple[ApiKey, str]:
        secret = new_api_key()
        key = ApiKey(
            id=new_id("key"), role=request.role, name=request.name, hint=api_key_hint(secret),
            created_at=now_rfc3339(), digest=api_key_digest(secret),
        )
        self._keys.add_key(key, self._ctx.slug)
        return key, secret

    def list(self, limit: int, cursor: str | None) -> Page[ApiKey]:
        return self._keys.list(limit, cursor)

    def revoke(self, key_id: str) -> None:
        key = self._keys.get(key_id)
        if key is None:
            raise NotFound.of("api key", key_id)
        if key.role is Role.ADMIN and self._admin_count() <= 1:
            raise Conflict(
                "this is the tenant's last admin key; create another admin key first",
                code="last_admin_key",
            )
        self._keys.revoke(key)

    def _admin_count(self) -> int:
        count, cursor = 0, None
        while True:
            page = self._keys.list(MAX_PAGE_SIZE, cursor)
            count += sum(1 for k in page.items if k.role is Role.ADMIN)
            if page.next is None:
                return count
            cursor = page.next
