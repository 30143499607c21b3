"""Creating, reading, changing and removing a tenant's sites."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.clock import now_rfc3339
from chalicelib.errors import Conflict, NotFound
from chalicelib.identifiers import new_id
from chalicelib.sites.models import Site, SiteIn, SitePatch
from chalicelib.store.contract import Page, StillReferenced
from chalicelib.validation import patched

if TYPE_CHECKING:
    from chalicelib.store.sites import SiteRepository


class SiteService:
    def __init__(self, sites: SiteRepository) -> None:
        self._sites = sites

    def create(self, request: SiteIn) -> Site:
        now = now_rfc3339()
        site = Site(id=new_id("site"), created_at=now, updated_at=now, **request.model_dump())
        self._sites.add(site)
        return site

    def list(self, limit: int, cursor: str | None) -> Page[Site]:
        return self._sites.list(limit, cursor)

    def get(self, site_id: str) -> Site:
        site = self._sites.get(site_id)
        if site is None:
            raise NotFound.of("site", site_id)
        return site

    def update(self, site_id: str, patch: SitePatch) -> Site:
        changes = patch.model_dump(exclude_unset=True)

        updated = self._sites.update(site_id, lambda site: patched(site, {**changes, "updated_at": now_rfc3339()}))
        if updated is None:
            raise NotFound.of("site", site_id)
        return updated

    def delete(self, site_id: str) -> None:
        try:
            deleted = self._sites.delete(site_id)
        except StillReferenced:
            raise Conflict("the site still has chargers; move or delete them first",
                           code="site_has_chargers") from None
        if not deleted:
            raise NotFound.of("site", site_id)
