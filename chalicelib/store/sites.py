"""Sites of one tenant."""
from __future__ import annotations

from chalicelib.sites.models import Site
from chalicelib.store.repository import TenantScopedRepository


class SiteRepository(TenantScopedRepository[Site]):
    kind = "SITE"
    entity = Site
