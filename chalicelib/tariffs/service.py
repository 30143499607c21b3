"""Creating, reading, changing and removing a tenant's tariffs, and finding the one that applies to
a charger: the charger's own, else its site's, else the tenant's default."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.clock import now_rfc3339, utc_now
from chalicelib.errors import Conflict, NotFound
from chalicelib.identifiers import new_id
from chalicelib.store.contract import Page, StillReferenced
from chalicelib.tariffs.models import Tariff, TariffIn, TariffPatch
from chalicelib.validation import patched

if TYPE_CHECKING:
    from chalicelib.charging.models import Charger
    from chalicelib.store.directory import TenantProfileRepository
    from chalicelib.store.sites import SiteRepository
    from chalicelib.store.tariffs import TariffRepository


class TariffService:
    def __init__(self, tariffs: TariffRepository) -> None:
        self._tariffs = tariffs

    def create(self, request: TariffIn) -> Tariff:
        now = now_rfc3339()
        tariff = Tariff(id=new_id("tariff"), created_at=now, updated_at=now, last_updated=now,
                        **request.model_dump())
        self._tariffs.add(tariff)
        return tariff

    def list(self, limit: int, cursor: str | None) -> Page[Tariff]:
        return self._tariffs.list(limit, cursor)

    def get(self, tariff_id: str) -> Tariff:
        tariff = self._tariffs.get(tariff_id)
        if tariff is None:
            raise NotFound.of("tariff", tariff_id)
        return tariff

    def update(self, tariff_id: str, patch: TariffPatch) -> Tariff:
        """A change applies to sessions that start afterwards: a running session keeps the tariff it
        started with."""
        now = now_rfc3339()
        changes = {**patch.model_dump(exclude_unset=True), "updated_at": now, "last_updated": now}
        updated = self._tariffs.update(tariff_id, lambda tariff: patched(tariff, changes))
        if updated is None:
            raise NotFound.of("tariff", tariff_id)
        return updated

    def delete(self, tariff_id: str) -> None:
        try:
            deleted = self._tariffs.delete(tariff_id)
        except StillReferenced:
            raise Conflict("the tariff is assigned to the tenant, a site or a charger; assign another first",
                           code="tariff_in_use") from None
        if not deleted:
            raise NotFound.of("tariff", tariff_id)


class TariffLookup:
    """The tariff that applies to a charger now (read at a session's start, and by the driver's page)."""

    def __init__(self, tariffs: TariffRepository, sites: SiteRepository, profiles: TenantProfileRepository) -> None:
        self._tariffs = tariffs
        self._sites = sites
        self._profiles = profiles

    def for_charger(self, charger: Charger) -> Tariff | None:
        tariff_id = charger.tariff_id
        if not tariff_id:
            site = self._sites.get(charger.site_id)
            tariff_id = site.tariff_id if site is not None else None
        if not tariff_id:
            profile = self._profiles.profile()
            tariff_id = profile.default_tariff_id if profile is not None else None
        tariff = self._tariffs.get(tariff_id) if tariff_id else None
        return tariff if tariff is not None and is_in_force(tariff, utc_now()) else None


def is_in_force(tariff: Tariff, at: datetime) -> bool:
    """OCPI's start_date_time/end_date_time: the tariff applies from the one, up to the other."""
    return ((tariff.start_date_time is None or tariff.start_date_time <= at)
            and (tariff.end_date_time is None or at < tariff.end_date_time))
