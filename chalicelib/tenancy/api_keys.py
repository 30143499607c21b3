"""Managing a tenant's API keys: create (secret shown once), list, revoke."""
from __future__ import annotations

import builtins

from chalicelib.clock import now_rfc3339
from chalicelib.errors import Conflict, NotFound
from chalicelib.identifiers import new_id
from chalicelib.store.contract import MAX_PAGE_SIZE, ConcurrentModification, Page
from chalicelib.store.directory import ApiKeyRepository
from chalicelib.tenancy.credentials import api_key_digest, api_key_hint, new_api_key
from chalicelib.tenancy.models import ApiKey, ApiKeyIn, Role, TenantContext

_REVOKE_ROUNDS = 3


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
        if key.role is not Role.ADMIN:
            self._keys.revoke(key)
            return
        # An admin key goes only while another admin key provably stays (checked in the same write).
        # Each keeper tried can vanish meanwhile (revoked by someone else): then try the next one.
        for _ in range(_REVOKE_ROUNDS):
            keepers = [other for other in self._admin_keys() if other.id != key.id]
            if not keepers:
                raise Conflict("this is the tenant's last admin key; create another admin key first",
                               code="last_admin_key")
            for keeper in keepers:
                if self._keys.revoke(key, while_kept=keeper):
                    return
            if self._keys.get(key.id) is None:
                return  # revoked meanwhile by someone else: the outcome asked for
        raise ConcurrentModification(key_id)

    def _admin_keys(self) -> builtins.list[ApiKey]:
        admins: builtins.list[ApiKey] = []
        cursor = None
        while True:
            page = self._keys.list(MAX_PAGE_SIZE, cursor)
            admins += [k for k in page.items if k.role is Role.ADMIN]
            if page.next is None:
                return admins
            cursor = page.next
