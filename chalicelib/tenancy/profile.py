"""The tenant's own settings: name, default tariff, checkout hold."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.errors import NotFound
from chalicelib.store.contract import MissingReference
from chalicelib.tenancy.models import Tenant, TenantPatch
from chalicelib.validation import patched

if TYPE_CHECKING:
    from chalicelib.store.directory import TenantProfileRepository


def update_profile(profiles: TenantProfileRepository, patch: TenantPatch) -> Tenant:
    changes = patch.model_dump(exclude_unset=True)
    try:
        updated = profiles.update(profiles.tenant_id, lambda tenant: patched(tenant, changes))
    except MissingReference as missing:
        from chalicelib.charging.chargers import unknown_reference

        raise unknown_reference(missing) from None
    if updated is None:
        raise NotFound.of("tenant", profiles.tenant_id)
    return updated
