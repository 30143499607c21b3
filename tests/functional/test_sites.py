from typing import Any

import pytest

from tests.functional.conftest import SITE, Api, charger_body


def test_a_site_is_created_read_updated_and_deleted(tenant_a: Api) -> None:
    created = tenant_a.post("/v1/sites", {**SITE, "owner": {"name": "Owner BV", "email": "o@owner.example"}})
    assert created.status == 201
    site = created.json
    assert site["id"].startswith("site_")
    assert site["time_zone"] == "Europe/Amsterdam" and site["max_power_kw"] == 150
    assert site["owner"] == {"name": "Owner BV", "email": "o@owner.example"}
    assert tenant_a.get(f"/v1/sites/{site['id']}").json == site

    patched = tenant_a.patch(f"/v1/sites/{site['id']}", {"name": "Depot Zuid", "max_power_kw": None})
    assert patched.status == 200
    assert patched.json["name"] == "Depot Zuid" and patched.json["max_power_kw"] is None
    assert patched.json["city"] == "Amsterdam"
    assert patched.json["updated_at"] >= site["updated_at"]

    assert tenant_a.delete(f"/v1/sites/{site['id']}").status == 204
    assert tenant_a.get(f"/v1/sites/{site['id']}").status == 404


@pytest.mark.parametrize(("field", "value"), [
    ("time_zone", "Mars/Olympus"), ("latitude", 90.5), ("longitude", 200), ("country", "ZZ"), ("max_power_kw", -5),
])
def test_an_invalid_site_is_a_400_naming_the_field(tenant_a: Api, field: str, value: Any) -> None:
    reply = tenant_a.post("/v1/sites", {**SITE, field: value})
    assert reply.status == 400
    assert reply.json["error"]["field"] == field


def test_a_patch_cannot_null_a_required_field_and_leaves_the_site_intact(
        tenant_a: Api, site_a: dict[str, Any]) -> None:
    reply = tenant_a.patch(f"/v1/sites/{site_a['id']}", {"name": None, "city": "Utrecht"})
    assert reply.status == 400 and reply.json["error"]["field"] == "name"
    assert tenant_a.get(f"/v1/sites/{site_a['id']}").json == site_a


def test_a_patch_with_an_invalid_time_zone_is_refused(tenant_a: Api, site_a: dict[str, Any]) -> None:
    reply = tenant_a.patch(f"/v1/sites/{site_a['id']}", {"time_zone": "Europe/Nowhere"})
    assert reply.status == 400 and reply.json["error"]["field"] == "time_zone"


def test_a_site_with_chargers_cannot_be_deleted(tenant_a: Api, site_a: dict[str, Any]) -> None:
    assert tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"])).status == 201
    reply = tenant_a.delete(f"/v1/sites/{site_a['id']}")
    assert reply.status == 409 and reply.json["error"]["code"] == "site_has_chargers"
    assert tenant_a.delete("/v1/chargers/CP-1").status == 204
    assert tenant_a.delete(f"/v1/sites/{site_a['id']}").status == 204


def test_an_unknown_site_is_a_404(tenant_a: Api) -> None:
    for reply in (tenant_a.get("/v1/sites/site_missing"), tenant_a.patch("/v1/sites/site_missing", {"name": "x"}),
                  tenant_a.delete("/v1/sites/site_missing")):
        assert reply.status == 404
        assert reply.json["error"]["code"] == "site_not_found"


def test_sites_are_listed_in_pages_in_creation_order(tenant_a: Api) -> None:
    made = [tenant_a.post("/v1/sites", {**SITE, "name": f"Site {i}"}).json["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/v1/sites?limit=3" + (f"&next={cursor}" if cursor else "")
        reply = tenant_a.get(path)
        assert reply.status == 200
        assert len(reply.json["items"]) <= 3
        seen += [s["id"] for s in reply.json["items"]]
        pages += 1
        cursor = reply.json["next"]
        if cursor is None:
            break
    assert seen == made
    assert pages == 3


@pytest.mark.parametrize("params", ["limit=0", "limit=101", "limit=abc", "next=%21%21", "colour=red"])
def test_bad_list_parameters_are_a_400(tenant_a: Api, params: str) -> None:
    reply = tenant_a.get(f"/v1/sites?{params}")
    assert reply.status == 400
    assert reply.json["error"]["field"] in {"limit", "next", "colour"}
