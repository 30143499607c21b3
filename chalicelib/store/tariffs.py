"""Tariffs of one tenant. Sites, chargers and the tenant's default point at them (references), so a
tariff in use cannot be deleted."""
from __future__ import annotations

from chalicelib.identifiers import id_pattern
from chalicelib.store.repository import TenantScopedRepository
from chalicelib.tariffs.models import Tariff

TARIFF_ID = id_pattern("tariff")


class TariffRepository(TenantScopedRepository[Tariff]):
    kind = "TARIFF"
    entity = Tariff

    def accepts_id(self, item_id: str) -> bool:
        return TARIFF_ID.match(item_id) is not None
