from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.store.chargers import ChargerRepository
from chalicelib.store.table import TableItem
from chalicelib.tenancy.credentials import verify_password
from tests.functional.conftest import SITE, Api, charger_body


def stored_hash(tenant_id: str, charger_id: str) -> str:
    charger = ChargerRepository(tenant_id).get(charger_id)
    assert charger is not None
    return charger.password_hash


def test_registering_a_charger_answers_its_ocpp_url_and_password_once(
        tenant_a: Api, site_a: dict[str, Any]) -> None:
    reply = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"], name="Bay 1"))
    assert reply.status == 201
    slug = tenant_a.get("/v1/tenant").json["slug"]
    assert reply.json["ocpp_url"] == f"ws://127.0.0.1:9000/ocpp/{slug}/CP-1"
    password = reply.json["password"]
    assert 16 <= len(password) <= 40
    charger = reply.json["charger"]
    assert charger["evses"] == [{"id": 1, "connectors": [{
        "id": 1, "standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22.0,
        "format": None, "status": "Unknown", "error_code": None, "status_info": None, "status_at": None,
        "vendor_error_code": None, "session_id": None}]}]
    assert (charger["online"], charger["last_seen"], charger["boot"]) == (False, None, None)

    shown = tenant_a.get("/v1/chargers/CP-1")
    assert shown.status == 200
    assert "password" not in shown.json and password not in str(shown.json)
    assert "password_hash" not in shown.json
    stored = "\n".join(str(i.attribute_values) for i in TableItem.scan())
    assert password not in stored


def test_the_stored_password_hash_verifies_the_issued_password(tenant_a: Api, site_a: dict[str, Any]) -> None:
    password = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"])).json["password"]
    tenant_id = tenant_a.get("/v1/tenant").json["id"]
    assert verify_password(password, stored_hash(tenant_id, "CP-1"))


def test_rotating_the_password_replaces_the_old_one(tenant_a: Api, site_a: dict[str, Any]) -> None:
    old = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"])).json["password"]
    reply = tenant_a.post("/v1/chargers/CP-1/password")
    assert reply.status == 200
    new = reply.json["password"]
    assert new != old
    tenant_id = tenant_a.get("/v1/tenant").json["id"]
    assert verify_password(new, stored_hash(tenant_id, "CP-1"))
    assert not verify_password(old, stored_hash(tenant_id, "CP-1"))
    assert tenant_a.post("/v1/chargers/CP-404/password").status == 404


@pytest.mark.parametrize("charger_id", ["", "x" * 49, "CP 1", "CP:1", "CP/1"])
def test_an_invalid_charge_point_id_is_a_400(tenant_a: Api, site_a: dict[str, Any], charger_id: str) -> None:
    reply = tenant_a.post("/v1/chargers", charger_body(charger_id, site_a["id"]))
    assert reply.status == 400 and reply.json["error"]["field"] == "id"


def test_a_charger_needs_at_least_one_evse_with_a_connector(tenant_a: Api, site_a: dict[str, Any]) -> None:
    assert tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"], evses=[])).json["error"]["field"] \
        == "evses"
    reply = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"], evses=[{"connectors": []}]))
    assert reply.status == 400 and reply.json["error"]["field"] == "evses.0.connectors"
    bad_standard = [{"connectors": [{"standard": "SCHUKO", "power_type": "AC_1_PHASE", "max_power_kw": 3.7}]}]
    reply = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"], evses=bad_standard))
    assert reply.status == 400 and reply.json["error"]["field"] == "evses.0.connectors.0.standard"


def test_a_charger_at_an_unknown_site_is_a_422(tenant_a: Api) -> None:
    reply = tenant_a.post("/v1/chargers", charger_body("CP-1", "site_nowhere"))
    assert reply.status == 422
    assert reply.json["error"] == {"code": "unknown_site", "message": "site 'site_nowhere' does not exist",
                                   "field": "site_id"}
    assert tenant_a.get("/v1/chargers/CP-1").status == 404


def test_a_duplicate_charge_point_id_is_a_409_and_keeps_the_first(tenant_a: Api, site_a: dict[str, Any]) -> None:
    first = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"], name="first"))
    again = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"], name="second"))
    assert again.status == 409 and again.json["error"]["code"] == "duplicate_charger"
    assert tenant_a.get("/v1/chargers/CP-1").json["name"] == "first"
    tenant_id = tenant_a.get("/v1/tenant").json["id"]
    assert verify_password(first.json["password"], stored_hash(tenant_id, "CP-1"))


def test_the_same_charge_point_id_in_two_tenants_is_two_chargers(tenant_a: Api, tenant_b: Api,
                                                                  site_a: dict[str, Any]) -> None:
    site_b = tenant_b.post("/v1/sites", SITE).json
    a = tenant_a.post("/v1/chargers", charger_body("SHARED-1", site_a["id"], name="A's"))
    b = tenant_b.post("/v1/chargers", charger_body("SHARED-1", site_b["id"], name="B's"))
    assert a.status == b.status == 201
    assert a.json["ocpp_url"] != b.json["ocpp_url"]
    assert tenant_a.get("/v1/chargers/SHARED-1").json["name"] == "A's"
    assert tenant_b.get("/v1/chargers/SHARED-1").json["name"] == "B's"


def test_ids_with_url_special_characters_work_in_paths(tenant_a: Api, site_a: dict[str, Any]) -> None:
    charger_id = "EVB*P|12+3=4@x.y"
    reply = tenant_a.post("/v1/chargers", charger_body(charger_id, site_a["id"]))
    assert reply.status == 201
    assert reply.json["ocpp_url"].endswith("/EVB*P%7C12+3=4@x.y")
    assert tenant_a.get(f"/v1/chargers/{quote(charger_id, safe='')}").json["id"] == charger_id


def test_a_charger_is_updated_and_moved_to_another_site(tenant_a: Api, site_a: dict[str, Any]) -> None:
    tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"]))
    other = tenant_a.post("/v1/sites", {**SITE, "name": "Other"}).json
    two_evses = [{"connectors": [{"standard": "IEC_62196_T2_COMBO", "power_type": "DC", "max_power_kw": 150}]},
                 {"connectors": [{"standard": "CHADEMO", "power_type": "DC", "max_power_kw": 50}]}]
    reply = tenant_a.patch("/v1/chargers/CP-1", {"site_id": other["id"], "ocpp_version": "2.0.1",
                                                 "evses": two_evses})
    assert reply.status == 200
    assert reply.json["site_id"] == other["id"] and reply.json["ocpp_version"] == "2.0.1"
    assert [e["connectors"][0]["standard"] for e in reply.json["evses"]] == ["IEC_62196_T2_COMBO", "CHADEMO"]
    assert [c["id"] for c in tenant_a.get(f"/v1/chargers?site_id={other['id']}").json["items"]] == ["CP-1"]
    assert tenant_a.get(f"/v1/chargers?site_id={site_a['id']}").json["items"] == []


def test_a_charger_cannot_move_to_an_unknown_site_or_lose_its_site(tenant_a: Api, site_a: dict[str, Any]) -> None:
    tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"]))
    assert tenant_a.patch("/v1/chargers/CP-1", {"site_id": "site_gone"}).status == 422
    assert tenant_a.patch("/v1/chargers/CP-1", {"site_id": None}).status == 400
    no_evses = tenant_a.patch("/v1/chargers/CP-1", {"evses": None})
    assert no_evses.status == 400 and no_evses.json["error"]["field"] == "evses"
    assert tenant_a.patch("/v1/chargers/CP-1", {"ocpp_version": "1.5"}).status == 400
    assert tenant_a.get("/v1/chargers/CP-1").json["site_id"] == site_a["id"]


def test_chargers_are_listed_in_pages(tenant_a: Api, site_a: dict[str, Any]) -> None:
    for i in range(5):
        tenant_a.post("/v1/chargers", charger_body(f"CP-{i}", site_a["id"]))
    first = tenant_a.get("/v1/chargers?limit=2")
    assert [c["id"] for c in first.json["items"]] == ["CP-0", "CP-1"]
    assert "password_hash" not in first.json["items"][0]
    second = tenant_a.get(f"/v1/chargers?limit=2&next={first.json['next']}")
    assert [c["id"] for c in second.json["items"]] == ["CP-2", "CP-3"]
    by_site = tenant_a.get(f"/v1/chargers?site_id={site_a['id']}&limit=4")
    rest = tenant_a.get(f"/v1/chargers?site_id={site_a['id']}&limit=4&next={by_site.json['next']}")
    assert [c["id"] for c in by_site.json["items"] + rest.json["items"]] == [f"CP-{i}" for i in range(5)]
    assert rest.json["next"] is None


def test_a_deleted_charger_is_gone(tenant_a: Api, site_a: dict[str, Any]) -> None:
    tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"]))
    assert tenant_a.delete("/v1/chargers/CP-1").status == 204
    assert tenant_a.get("/v1/chargers/CP-1").status == 404
    assert tenant_a.delete("/v1/chargers/CP-1").status == 404
    assert tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"])).status == 201
