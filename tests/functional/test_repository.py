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


class RacingSites(SiteRepository):
    """A site repository in which something happens right after the next read (another request)."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(tenant_id)
        self.after_next_read: Any = None

    def _get_item(self, item_id: str) -> Any:
        item = super()._get_item(item_id)
        hook, self.after_next_read = self.after_next_read, None
        if hook is not None:
            hook()
        return item


def charger_at(site_id: str, charger_id: str = "CP-1") -> Any:
    from chalicelib.charging.models import Charger, EvseIn, number_evses

    evses = number_evses([EvseIn.model_validate(
        {"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]})])
    return Charger(id=charger_id, site_id=site_id, evses=evses, password_hash="x",
                   created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z",
                   password_rotated_at="2026-01-01T00:00:00.000Z")


def test_a_site_deleted_while_a_charger_is_added_there_is_kept(aws: None) -> None:
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.contract import StillReferenced

    tenant = new_id("ten")
    sites, chargers = RacingSites(tenant), ChargerRepository(tenant)
    site = make_site(sites)
    sites.after_next_read = lambda: chargers.add(charger_at(site.id))  # lands between read and delete
    with pytest.raises(StillReferenced):
        sites.delete(site.id)
    assert sites.get(site.id) is not None
    assert chargers.get("CP-1") is not None


def test_a_charger_cannot_be_added_or_moved_to_a_deleted_site(aws: None) -> None:
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.contract import MissingReference

    tenant = new_id("ten")
    sites, chargers = SiteRepository(tenant), ChargerRepository(tenant)
    home, gone = make_site(sites), make_site(sites)
    assert sites.delete(gone.id)
    with pytest.raises(MissingReference):
        chargers.add(charger_at(gone.id))
    chargers.add(charger_at(home.id))
    with pytest.raises(MissingReference):
        chargers.update("CP-1", lambda c: c.model_copy(update={"site_id": gone.id}))
    stored = chargers.get("CP-1")
    assert stored is not None and stored.site_id == home.id


def test_moving_a_charger_moves_which_site_may_be_deleted(aws: None) -> None:
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.contract import StillReferenced

    tenant = new_id("ten")
    sites, chargers = SiteRepository(tenant), ChargerRepository(tenant)
    old, new = make_site(sites), make_site(sites)
    chargers.add(charger_at(old.id))
    chargers.update("CP-1", lambda c: c.model_copy(update={"site_id": new.id}))
    assert sites.delete(old.id) is True
    with pytest.raises(StillReferenced):
        sites.delete(new.id)
    assert chargers.delete("CP-1") is True
    assert sites.delete(new.id) is True


def test_a_site_edit_racing_a_charger_add_keeps_the_charger_counted(aws: None) -> None:
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.contract import StillReferenced

    tenant = new_id("ten")
    sites, chargers = RacingSites(tenant), ChargerRepository(tenant)
    site = make_site(sites)
    sites.after_next_read = lambda: chargers.add(charger_at(site.id))
    sites.update(site.id, lambda s: s.model_copy(update={"name": "Renamed"}))  # read before the add
    with pytest.raises(StillReferenced):
        sites.delete(site.id)
    stored = sites.get(site.id)
    assert stored is not None and stored.name == "Renamed"


def test_a_write_prepared_against_a_deleted_charger_never_lands_on_its_re_creation(aws: None) -> None:
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.contract import StillReferenced

    tenant = new_id("ten")
    sites, chargers = SiteRepository(tenant), ChargerRepository(tenant)
    first, second = make_site(sites), make_site(sites)
    chargers.add(charger_at(first.id))
    raced = False

    def rename(current: Any) -> Any:
        nonlocal raced
        if not raced:  # meanwhile CP-1 is deleted and registered again, at the second site
            raced = True
            assert chargers.delete("CP-1")
            chargers.add(charger_at(second.id))
        return current.model_copy(update={"name": "renamed"})

    chargers.update("CP-1", rename)
    stored = chargers.get("CP-1")
    assert stored is not None and (stored.site_id, stored.name) == (second.id, "renamed")
    assert sites.delete(first.id) is True
    with pytest.raises(StillReferenced):
        sites.delete(second.id)


def busy_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, error: Exception) -> list[int]:
    """Make target.name fail once with `error`, as real DynamoDB does under contention (moto never does)."""
    original = getattr(target, name)
    calls = [0]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, flaky)
    return calls


def client_error(code: str, operation: str) -> Any:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "busy"}}, operation)


def test_a_write_to_an_item_busy_in_another_transaction_is_retried(aws: None,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from pynamodb.exceptions import PutError

    from chalicelib.store.table import TableItem

    repo = SiteRepository(new_id("ten"))
    site = make_site(repo)
    calls = busy_once(monkeypatch, TableItem, "save",
                      PutError("busy", cause=client_error("TransactionConflictException", "PutItem")))
    updated = repo.update(site.id, lambda s: s.model_copy(update={"name": "After retry"}))
    assert updated is not None and calls[0] == 2
    stored = repo.get(site.id)
    assert stored is not None and stored.name == "After retry"


def test_a_transaction_cancelled_by_a_collision_is_retried(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from pynamodb.connection import Connection
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.store.chargers import ChargerRepository

    tenant = new_id("ten")
    sites, chargers = SiteRepository(tenant), ChargerRepository(tenant)
    site = make_site(sites)
    from pynamodb.exceptions import CancellationReason, VerboseClientError

    reasons = [None, CancellationReason(code="TransactionConflict", message="collided")]
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                               "TransactWriteItems", cancellation_reasons=reasons)
    cancelled = TransactWriteError("cancelled", cause=cause)
    calls = busy_once(monkeypatch, Connection, "transact_write_items", cancelled)
    chargers.add(charger_at(site.id))
    assert calls[0] == 2
    assert chargers.get("CP-1") is not None
    with pytest.raises(Exception, match="still referenced"):
        sites.delete(site.id)
