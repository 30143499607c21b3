"""The tenant-scoped repository against moto: concurrent writers never lose each other's changes."""
from typing import Any

import pytest

from chalicelib.identifiers import new_id
from chalicelib.sites.models import Site
from chalicelib.store.contract import ConcurrentModification
from chalicelib.store.sites import SiteRepository
from tests.functional.conftest import SITE


def make_site(repo: SiteRepository) -> Site:
    site = Site(id=new_id("site"), created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z",
                **SITE)
    repo.add(site)
    return site


def test_an_update_that_races_another_retries_and_keeps_both_changes(aws: None) -> None:
    repo = SiteRepository(new_id("ten"))
    site = make_site(repo)
    raced = False

    def rename(current: Site) -> Site:
        nonlocal raced
        if not raced:  # another request changes the city between this read and this write
            raced = True
            repo.update(site.id, lambda s: s.model_copy(update={"city": "Utrecht"}))
        return current.model_copy(update={"name": "Renamed"})

    result = repo.update(site.id, rename)
    stored = repo.get(site.id)
    assert result is not None and stored is not None
    assert (stored.name, stored.city) == ("Renamed", "Utrecht")


def test_an_update_that_always_loses_the_race_gives_up_without_writing(aws: None) -> None:
    repo = SiteRepository(new_id("ten"))
    site = make_site(repo)

    def always_raced(current: Site) -> Site:
        repo.update(site.id, lambda s: s.model_copy(update={"city": s.city + "!"}))
        return current.model_copy(update={"name": "Never"})

    with pytest.raises(ConcurrentModification):
        repo.update(site.id, always_raced)
    stored = repo.get(site.id)
    assert stored is not None and stored.name == SITE["name"]


def test_two_tenants_repositories_never_see_each_other(aws: None) -> None:
    mine, theirs = SiteRepository(new_id("ten")), SiteRepository(new_id("ten"))
    site = make_site(mine)
    assert theirs.get(site.id) is None
    assert theirs.list(10).items == []
    assert theirs.update(site.id, lambda s: s) is None
    assert theirs.delete(site.id) is False
    assert mine.get(site.id) == site


def test_the_stored_item_keys_start_with_the_tenant(aws: None) -> None:
    from chalicelib.store.table import TableItem

    tenant = new_id("ten")
    make_site(SiteRepository(tenant))
    keys: list[Any] = [(i.pk, i.sk) for i in TableItem.scan()]
    assert keys and all(pk.startswith(f"T#{tenant}#") for pk, _ in keys)
