"""Chargers of one tenant: each references its site, and is indexed by it."""
from __future__ import annotations

from chalicelib.charging.models import Charger, is_charge_point_id
from chalicelib.store.contract import Page
from chalicelib.store.repository import Reference, TenantScopedRepository
from chalicelib.store.sites import SiteRepository


class ChargerRepository(TenantScopedRepository[Charger]):
    kind = "CHARGER"
    entity = Charger

    def accepts_id(self, item_id: str) -> bool:
        return is_charge_point_id(item_id)

    def references(self, entity: Charger) -> list[Reference]:
        refs = [Reference(SiteRepository(self.tenant_id), entity.site_id)]
        if entity.tariff_id:
            from chalicelib.store.tariffs import TariffRepository

            refs.append(Reference(TariffRepository(self.tenant_id), entity.tariff_id))
        return refs

    def _site_partition(self, site_id: str) -> str:
        return f"{self.partition('SITECHARGERS')}#{site_id}"

    def index_keys(self, entity: Charger) -> tuple[str, str] | None:
        return self._site_partition(entity.site_id), entity.id

    def list_at_site(self, site_id: str, limit: int, cursor: str | None = None) -> Page[Charger]:
        if not SiteRepository(self.tenant_id).accepts_id(site_id):
            return Page([], None)
        return self.list_by_index(self._site_partition(site_id), limit, cursor)
