"""Creating, reading, changing and removing a tenant's sites."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.clock import now_rfc3339
from chalicelib.errors import Conflict, NotFound, Unprocessable
from chalicelib.identifiers import new_id
from chalicelib.sites.models import RevenueShare, Site, SiteIn, SitePatch
from chalicelib.store.contract import MissingReference, Page, StillReferenced
from chalicelib.validation import patched

if TYPE_CHECKING:
    from chalicelib.store.parties import PartyRepository
    from chalicelib.store.sites import SiteRepository


class SiteService:
    def __init__(self, sites: SiteRepository, parties: PartyRepository, *, platform_fee_bps: int) -> None:
        self._sites = sites
        self._parties = parties
        self._platform_fee_bps = platform_fee_bps

    def create(self, request: SiteIn) -> Site:
        self._check_split(request.revenue_split)
        now = now_rfc3339()
        site = Site(id=new_id("site"), created_at=now, updated_at=now, **request.model_dump())
        try:
            self._sites.add(site)  # checks in the same write that its tariff and parties exist
        except MissingReference as missing:
            raise _unknown(missing) from None
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
        self._check_split(patch.revenue_split)
        try:
            updated = self._sites.update(
                site_id, lambda site: patched(site, {**changes, "updated_at": now_rfc3339()}))
        except MissingReference as missing:
            raise _unknown(missing) from None
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

    def _check_split(self, split: Sequence[RevenueShare] | None) -> None:
        """Shares go to OWNER and EMSP parties, once each, and leave room for the platform's fee."""
        if not split:
            return
        from chalicelib.payments.parties import PartyRole

        seen: set[str] = set()
        for n, share in enumerate(split):
            if share.party_id in seen:
                raise Unprocessable(f"party {share.party_id} appears twice", code="invalid_revenue_split",
                                    field=f"revenue_split[{n}].party_id")
            seen.add(share.party_id)
            party = self._parties.get(share.party_id) if self._parties.accepts_id(share.party_id) else None
            if party is None:
                raise Unprocessable(f"party {share.party_id!r} does not exist", code="unknown_party",
                                    field=f"revenue_split[{n}].party_id")
            if party.role not in (PartyRole.OWNER, PartyRole.EMSP):
                raise Unprocessable("only OWNER and EMSP parties take a share; the CPO takes the rest",
                                    code="invalid_revenue_split", field=f"revenue_split[{n}].party_id")
        total = sum(share.share_bps for share in split)
        if total + self._platform_fee_bps > 10_000:
            raise Unprocessable(
                f"the shares ({total} bps) and the platform fee ({self._platform_fee_bps} bps) exceed 100%",
                code="invalid_revenue_split", field="revenue_split")


def _unknown(missing: MissingReference) -> Unprocessable:
    from chalicelib.charging.chargers import unknown_reference

    return unknown_reference(missing)
