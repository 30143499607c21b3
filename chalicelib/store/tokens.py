"""Tokens (RFID idTags and roaming tokens) of one tenant, keyed case-insensitively as OCPP compares idTags."""
from __future__ import annotations

from chalicelib.charging.models import Token
from chalicelib.store.repository import TenantScopedRepository


class TokenRepository(TenantScopedRepository[Token]):
    kind = "TOKEN"
    entity = Token

    id_field = "uid"

    def sort_key(self, item_id: str) -> str:
        return item_id.upper()
