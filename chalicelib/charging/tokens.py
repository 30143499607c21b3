"""Managing a tenant's tokens (RFID idTags, app and roaming tokens)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.charging.models import Token, TokenIn, TokenPatch, stored_token_fields
from chalicelib.clock import now_rfc3339
from chalicelib.errors import Conflict, NotFound
from chalicelib.store.contract import AlreadyExists, Page
from chalicelib.validation import patched

if TYPE_CHECKING:
    from chalicelib.store.tokens import TokenRepository


class TokenService:
    def __init__(self, tokens: TokenRepository) -> None:
        self._tokens = tokens

    def create(self, request: TokenIn) -> Token:
        now = now_rfc3339()
        token = Token(**stored_token_fields(request.model_dump()), created_at=now, updated_at=now)
        try:
            self._tokens.add(token)
        except AlreadyExists:
            # uids compare case-insensitively, as OCPP compares idTags
            raise Conflict(f"a token with uid {request.uid!r} already exists", code="duplicate_token",
                           field="uid") from None
        return token

    def list(self, limit: int, cursor: str | None) -> Page[Token]:
        return self._tokens.list(limit, cursor)

    def get(self, uid: str) -> Token:
        token = self._tokens.get(uid)
        if token is None:
            raise NotFound.of("token", uid)
        return token

    def update(self, uid: str, patch: TokenPatch) -> Token:
        changes = stored_token_fields(patch.model_dump(exclude_unset=True))
        updated = self._tokens.update(uid, lambda t: patched(t, {**changes, "updated_at": now_rfc3339()}))
        if updated is None:
            raise NotFound.of("token", uid)
        return updated

    def delete(self, uid: str) -> None:
        if not self._tokens.delete(uid):
            raise NotFound.of("token", uid)
