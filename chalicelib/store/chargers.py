"""Chargers of one tenant, indexed by site."""
from __future__ import annotations

from collections.abc import Sequence

from chalicelib.charging.models import Charger
from chalicelib.store.contract import Page
from chalicelib.store.repository import Requirement, TenantScopedRepository
from chalicelib.store.sites import SiteRepository


class ChargerRepository(TenantScopedRepository[Charger]):
    kind = "CHARGER"
    entity = Charger

    def add(self, entity: Charger, *, requires: Sequence[Requirement] = ()) -> None:
        """Create the charger; MissingReference if its site does not exist (checked in the same transaction)."""
        site = Requirement(SiteRepository(self.tenant_id), entity.site_id)
        super().add(entity, requires=[site, *requires])

    def _site_partition(self, site_id: str) -> str:
        return f"{self.partition('SITECHARGERS')}#{site_id}"

    def index_keys(self, entity: Charger) -> tuple[str, str] | None:
        return self._site_partition(entity.site_id), entity.id

    def list_at_site(self, site_id: str, limit: int, cursor: str | None = None) -> Page[Charger]:
        return self.list_by_index(self._site_partition(site_id), limit, cursor)

    def count_at_site(self, site_id: str) -> int:
        return self.count_by_index(self._site_partition(site_id))
