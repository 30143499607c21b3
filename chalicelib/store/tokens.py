"""Tokens (RFID idTags and roaming tokens) of one tenant, keyed case-insensitively as OCPP compares idTags."""
from __future__ import annotations

from chalicelib.charging.models import Token, is_token_uid
from chalicelib.store.repository import TenantScopedRepository


class TokenRepository(TenantScopedRepository[Token]):
    kind = "TOKEN"
    entity = Token
    id_field = "uid"

    def accepts_id(self, item_id: str) -> bool:
        return is_token_uid(item_id)  # ASCII only, so upper-casing cannot alias two uids

    def sort_key(self, item_id: str) -> str:
        return item_id.upper()
