from collections.abc import Callable
from typing import Any

from tests.functional.conftest import Api, charger_body

TARIFF: dict[str, Any] = {
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}]},
    ],
}


def test_a_tariff_is_created_read_updated_and_deleted_in_ocpi_shape(tenant_a: Api) -> None:
    created = tenant_a.post("/v1/tariffs", {**TARIFF, "min_price": {"excl_vat": 0.5}})
    assert created.status == 201, created.json
    tariff = created.json
    assert tariff["id"].startswith("tariff_")
    assert tariff["elements"][0]["price_components"][0]["price"] == 0.25  # an OCPI number, not text
    assert tariff["min_price"] == {"excl_vat": 0.5}
    assert tenant_a.get(f"/v1/tariffs/{tariff['id']}").json == tariff

    patched = tenant_a.patch(f"/v1/tariffs/{tariff['id']}", {"max_price": {"excl_vat": 40}})
    assert patched.status == 200 and patched.json["max_price"] == {"excl_vat": 40}
    assert patched.json["elements"] == tariff["elements"]
    assert [t["id"] for t in tenant_a.get("/v1/tariffs").json["items"]] == [tariff["id"]]

    assert tenant_a.delete(f"/v1/tariffs/{tariff['id']}").status == 204
    assert tenant_a.get(f"/v1/tariffs/{tariff['id']}").status == 404


def test_an_invalid_tariff_is_a_400_naming_the_field(tenant_a: Api) -> None:
    bad = {"currency": "EUR", "elements": [{"price_components": [{"type": "ENERGY", "price": -1, "step_size": 1}]}]}
    reply = tenant_a.post("/v1/tariffs", bad)
    assert reply.status == 400
    assert reply.json["error"]["field"] == "elements.0.price_components.0.price"


def test_a_tariff_in_use_by_a_site_charger_or_the_tenant_cannot_be_deleted(
        tenant_a: Api, site_a: dict[str, Any]) -> None:
    tariff = tenant_a.post("/v1/tariffs", TARIFF).json
    cases: list[tuple[Callable[[], Any], Callable[[], Any]]] = [
        (lambda: tenant_a.patch(f"/v1/sites/{site_a['id']}", {"tariff_id": tariff["id"]}),
         lambda: tenant_a.patch(f"/v1/sites/{site_a['id']}", {"tariff_id": None})),
        (lambda: tenant_a.post("/v1/chargers", charger_body("CP-T", site_a["id"], tariff_id=tariff["id"])),
         lambda: tenant_a.patch("/v1/chargers/CP-T", {"tariff_id": None})),
        (lambda: tenant_a.patch("/v1/tenant", {"default_tariff_id": tariff["id"]}),
         lambda: tenant_a.patch("/v1/tenant", {"default_tariff_id": None})),
    ]
    for assign, unassign in cases:
        assert assign().status in (200, 201)
        reply = tenant_a.delete(f"/v1/tariffs/{tariff['id']}")
        assert reply.status == 409 and reply.json["error"]["code"] == "tariff_in_use"
        assert unassign().status == 200
    assert tenant_a.delete(f"/v1/tariffs/{tariff['id']}").status == 204


def test_assigning_an_unknown_or_other_tenants_tariff_is_a_422(
        tenant_a: Api, tenant_b: Api, site_a: dict[str, Any]) -> None:
    theirs = tenant_b.post("/v1/tariffs", TARIFF).json
    for reply in (
        tenant_a.patch(f"/v1/sites/{site_a['id']}", {"tariff_id": theirs["id"]}),
        tenant_a.post("/v1/chargers", charger_body("CP-T", site_a["id"], tariff_id=theirs["id"])),
        tenant_a.patch("/v1/tenant", {"default_tariff_id": theirs["id"]}),
    ):
        assert reply.status == 422 and reply.json["error"]["code"] == "unknown_tariff", reply.json
    assert tenant_a.get(f"/v1/sites/{site_a['id']}").json.get("tariff_id") is None
    assert tenant_a.get("/v1/chargers/CP-T").status == 404


def test_a_tariff_outside_its_validity_window_applies_to_no_new_session(
        tenant_a: Api, site_a: dict[str, Any]) -> None:
    from chalicelib.composition import tariff_lookup
    from chalicelib.store.chargers import ChargerRepository

    tenant_id = tenant_a.get("/v1/tenant").json["id"]
    expired = tenant_a.post("/v1/tariffs", {**TARIFF, "end_date_time": "2020-01-01T00:00:00Z"}).json
    assert tenant_a.post("/v1/chargers", charger_body("CP-T", site_a["id"], tariff_id=expired["id"])).status == 201
    charger = ChargerRepository(tenant_id).get("CP-T")
    assert charger is not None and tariff_lookup(tenant_id).for_charger(charger) is None
    assert tenant_a.patch(f"/v1/tariffs/{expired['id']}", {"end_date_time": None}).status == 200
    found = tariff_lookup(tenant_id).for_charger(charger)
    assert found is not None and found.id == expired["id"]
