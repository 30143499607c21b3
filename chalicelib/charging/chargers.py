"""Registering chargers, issuing their OCPP URL and password, and keeping their configuration."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from chalicelib.charging.models import Charger, ChargerIn, ChargerPatch, number_evses
from chalicelib.clock import now_rfc3339
from chalicelib.errors import Conflict, NotFound, Unprocessable
from chalicelib.store.contract import AlreadyExists, MissingReference, Page
from chalicelib.tenancy.credentials import hash_password, new_charger_password
from chalicelib.validation import patched

if TYPE_CHECKING:
    from chalicelib.charging.live import ChargerLive
    from chalicelib.store.charger_state import ChargerStateRepository
    from chalicelib.store.chargers import ChargerRepository


def ocpp_url(ocpp_base_url: str, tenant_slug: str, charger_id: str) -> str:
    """The WebSocket URL a charger is configured with: `{base}/{tenant_slug}/{charge_point_id}`."""
    # '|' is the only identity character that must be escaped in a URL path.
    return f"{ocpp_base_url}/{tenant_slug}/{quote(charger_id, safe='*+=@-_.')}"


class ChargerService:
    def __init__(self, chargers: ChargerRepository, *, tenant_slug: str, ocpp_base_url: str,
                 states: ChargerStateRepository, disconnect: Callable[[str], object]) -> None:
        self._chargers = chargers
        self._states = states
        self._disconnect = disconnect  # closes a WebSocket connection (API Gateway's management API)
        self._slug = tenant_slug
        self._ocpp_base_url = ocpp_base_url

    def ocpp_url(self, charger_id: str) -> str:
        return ocpp_url(self._ocpp_base_url, self._slug, charger_id)

    def register(self, request: ChargerIn) -> tuple[Charger, str]:
        """Store the charger; returns it with its password (the only time it is shown)."""
        password = new_charger_password()
        now = now_rfc3339()
        charger = Charger(
            id=request.id, site_id=request.site_id, name=request.name, ocpp_version=request.ocpp_version,
            evses=number_evses(request.evses), tariff_id=request.tariff_id, password_hash=hash_password(password),
            created_at=now, updated_at=now, password_rotated_at=now,
        )
        try:
            self._chargers.add(charger)  # checks in the same write that the site exists
        except AlreadyExists:
            raise Conflict(f"a charger with id {request.id!r} already exists", code="duplicate_charger",
                           field="id") from None
        except MissingReference as missing:
            raise unknown_reference(missing) from None
        return charger, password

    def list(self, limit: int, cursor: str | None, site_id: str | None = None) -> Page[Charger]:
        if site_id is not None:
            return self._chargers.list_at_site(site_id, limit, cursor)
        return self._chargers.list(limit, cursor)

    def get(self, charger_id: str) -> Charger:
        charger = self._chargers.get(charger_id)
        if charger is None:
            raise NotFound.of("charger", charger_id)
        return charger

    def live(self, charger_id: str) -> ChargerLive:
        """What the charger last reported (offline and unknown until it connects)."""
        return self._states.get(charger_id)

    def live_of(self, charger_ids: Sequence[str]) -> dict[str, ChargerLive]:
        return self._states.get_many(charger_ids)

    def update(self, charger_id: str, patch: ChargerPatch) -> Charger:
        changes = patch.model_dump(exclude_unset=True)

        def apply(charger: Charger) -> Charger:
            fields = {**changes, "updated_at": now_rfc3339()}
            if patch.evses is not None:
                fields["evses"] = number_evses(patch.evses)
            return patched(charger, fields)

        try:
            updated = self._chargers.update(charger_id, apply)  # checks the new site in the same write
        except MissingReference as missing:
            raise unknown_reference(missing) from None
        if updated is None:
            raise NotFound.of("charger", charger_id)
        return updated

    def rotate_password(self, charger_id: str) -> str:
        password = new_charger_password()
        now = now_rfc3339()
        updated = self._chargers.update(
            charger_id,
            lambda c: c.model_copy(update={"password_hash": hash_password(password),
                                           "password_rotated_at": now, "updated_at": now}),
        )
        if updated is None:
            raise NotFound.of("charger", charger_id)
        self._end_connection(charger_id)  # it authenticated with the old password
        return password

    def delete(self, charger_id: str) -> None:
        connection = self._states.get(charger_id).connection_id
        if not self._chargers.delete(charger_id):
            raise NotFound.of("charger", charger_id)
        self._states.delete(charger_id)  # a charger re-registered under the same id starts afresh
        if connection:
            self._disconnect(connection)

    def _end_connection(self, charger_id: str) -> None:
        connection = self._states.get(charger_id).connection_id
        if connection:
            self._disconnect(connection)


_REFERENCE_FIELDS = {"SITE": "site_id", "TARIFF": "tariff_id", "PARTY": "revenue_split"}


def unknown_reference(missing: MissingReference) -> Unprocessable:
    """A referenced item of the tenant (site, tariff, party) that does not exist."""
    what = missing.kind.lower()
    return Unprocessable(f"{what} {missing.item_id!r} does not exist", code=f"unknown_{what}",
                         field=_REFERENCE_FIELDS.get(missing.kind, what))
