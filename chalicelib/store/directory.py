"""Global lookups that resolve a tenant at the edge: API key digest, slug, OCPI party.

These are the only items whose keys do not start with a tenant id. They hold just enough to build
a tenant context; everything else is read through tenant-scoped repositories afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.identifiers import id_pattern
from chalicelib.store.repository import Reference, TenantScopedRepository
from chalicelib.store.table import TableItem
from chalicelib.store.transactions import failed_conditions, transact
from chalicelib.tenancy.models import ApiKey, Role, Tenant

KEY_ID = id_pattern("key")
_KEY = "APIKEY"
_SLUG = "SLUG"
_PARTY = "PARTY"


class SlugTaken(Exception):
    pass


class PartyIdTaken(Exception):
    pass


@dataclass(frozen=True)
class KeyGrant:
    tenant_id: str
    slug: str
    key_id: str
    role: Role


def _lookup(kind: str, value: str, **data: str) -> TableItem:
    return TableItem(f"{kind}#{value}", kind, kind=kind, data=data)


def _get_lookup(kind: str, value: str) -> TableItem | None:
    try:
        return TableItem.get(f"{kind}#{value}", kind, consistent_read=True)
    except TableItem.DoesNotExist:
        return None


class TenantProfileRepository(TenantScopedRepository[Tenant]):
    kind = "TENANT"
    entity = Tenant

    def sort_key(self, item_id: str) -> str:
        return "PROFILE"  # one profile per tenant partition

    def references(self, entity: Tenant) -> list[Reference]:
        from chalicelib.store.tariffs import TariffRepository

        if not entity.default_tariff_id:
            return []
        return [Reference(TariffRepository(self.tenant_id), entity.default_tariff_id)]

    def profile(self) -> Tenant | None:
        return self.get(self.tenant_id)


class ApiKeyRepository(TenantScopedRepository[ApiKey]):
    kind = "APIKEY"
    entity = ApiKey

    def accepts_id(self, item_id: str) -> bool:
        return KEY_ID.match(item_id) is not None

    def add_key(self, key: ApiKey, slug: str) -> None:
        """Write the key's record and its digest lookup together."""

        def stage(tx: TransactWrite) -> None:
            tx.save(self._to_item(key), condition=TableItem.pk.does_not_exist())
            tx.save(_key_lookup(key, self.tenant_id, slug), condition=TableItem.pk.does_not_exist())

        transact(stage)

    def revoke(self, key: ApiKey, *, while_kept: ApiKey | None = None) -> bool:
        """Delete the key and its lookup. With `while_kept`, only if that other key still exists at
        the same instant (so two admins revoking each other cannot leave a tenant with none):
        False when it does not."""

        def stage(tx: TransactWrite) -> None:
            tx.delete(TableItem(self._pk, self.sort_key(key.id)), add_version_condition=False)
            tx.delete(TableItem(f"{_KEY}#{key.digest}", _KEY), add_version_condition=False)
            if while_kept is not None:
                tx.condition_check(TableItem, self._pk, self.sort_key(while_kept.id),
                                   condition=TableItem.pk.exists())

        try:
            transact(stage)
        except TransactWriteError as exc:
            if failed_conditions(exc):
                return False
            raise
        return True


def _key_lookup(key: ApiKey, tenant_id: str, slug: str) -> TableItem:
    return _lookup(_KEY, key.digest, tenant_id=tenant_id, slug=slug, key_id=key.id, role=key.role.value)


class TenantDirectory:
    """Registers tenants and resolves API keys and slugs (chargers' URLs) to them."""

    def resolve_slug(self, slug: str) -> str | None:
        """The id of the tenant with this slug, None when there is none."""
        if not slug or len(slug) > 64:
            return None
        item = _get_lookup(_SLUG, slug)
        return None if item is None else str(item.data["tenant_id"])

    def register(self, tenant: Tenant, admin_key: ApiKey) -> None:
        """Write the tenant, its slug and party claims and its first key in one transaction."""
        profiles = TenantProfileRepository(tenant.id)
        keys = ApiKeyRepository(tenant.id)
        claims = [_lookup(_SLUG, tenant.slug, tenant_id=tenant.id)]
        if tenant.party_id:
            claims.append(_lookup(_PARTY, f"{tenant.country}#{tenant.party_id}", tenant_id=tenant.id))

        def stage(tx: TransactWrite) -> None:
            for claim in claims:
                tx.save(claim, condition=TableItem.pk.does_not_exist())
            tx.save(profiles._to_item(tenant), condition=TableItem.pk.does_not_exist())
            tx.save(keys._to_item(admin_key), condition=TableItem.pk.does_not_exist())
            tx.save(_key_lookup(admin_key, tenant.id, tenant.slug), condition=TableItem.pk.does_not_exist())

        try:
            transact(stage)
        except TransactWriteError as exc:
            failed = failed_conditions(exc)
            if 0 in failed:
                raise SlugTaken(tenant.slug) from exc
            if tenant.party_id and 1 in failed:
                raise PartyIdTaken(tenant.party_id) from exc
            raise

    def resolve_api_key(self, digest: str) -> KeyGrant | None:
        item = _get_lookup(_KEY, digest)
        if item is None:
            return None
        data = item.data.as_dict()
        return KeyGrant(data["tenant_id"], data["slug"], data["key_id"], Role(data["role"]))
