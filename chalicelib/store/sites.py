"""Sites of one tenant."""
from __future__ import annotations

from chalicelib.identifiers import id_pattern
from chalicelib.sites.models import Site
from chalicelib.store.repository import Reference, TenantScopedRepository

SITE_ID = id_pattern("site")


class SiteRepository(TenantScopedRepository[Site]):
    kind = "SITE"
    entity = Site

    def accepts_id(self, item_id: str) -> bool:
        return SITE_ID.match(item_id) is not None

    def references(self, entity: Site) -> list[Reference]:
        from chalicelib.store.parties import PartyRepository
        from chalicelib.store.tariffs import TariffRepository

        refs = [Reference(PartyRepository(self.tenant_id), share.party_id) for share in entity.revenue_split or []]
        if entity.tariff_id:
            refs.append(Reference(TariffRepository(self.tenant_id), entity.tariff_id))
        return refs
