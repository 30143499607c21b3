"""Sites of one tenant."""
from __future__ import annotations

from chalicelib.identifiers import id_pattern
from chalicelib.sites.models import Site
from chalicelib.store.repository import TenantScopedRepository

SITE_ID = id_pattern("site")


class SiteRepository(TenantScopedRepository[Site]):
    kind = "SITE"
    entity = Site

    def accepts_id(self, item_id: str) -> bool:
        return SITE_ID.match(item_id) is not None
