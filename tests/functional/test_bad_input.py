"""Odd and hostile input gets a clear 4xx and never reaches storage in a form DynamoDB would refuse."""
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.store.table import TableItem
from tests.functional.conftest import SITE, Api, charger_body


def test_coordinates_below_dynamodb_number_range_are_stored_rounded(tenant_a: Api) -> None:
    reply = tenant_a.post("/v1/sites", {**SITE, "latitude": 1e-131, "longitude": 4.123456789})
    assert reply.status == 201
    assert (reply.json["latitude"], reply.json["longitude"]) == (0.0, 4.1234568)
    patched = tenant_a.patch(f"/v1/sites/{reply.json['id']}", {"longitude": 1e-200})
    assert patched.status == 200 and patched.json["longitude"] == 0.0


@pytest.mark.parametrize("kw", [1e-200, 0.05, 0])
def test_a_power_rating_below_a_tenth_of_a_kw_is_a_400(tenant_a: Api, site_a: dict[str, Any], kw: float) -> None:
    evses = [{"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": kw}]}]
    reply = tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"], evses=evses))
    assert reply.status == 400 and reply.json["error"]["field"] == "evses.0.connectors.0.max_power_kw"
    assert tenant_a.post("/v1/sites", {**SITE, "max_power_kw": kw}).status == 400


@pytest.mark.parametrize("zone", ["Factory", "localtime", "posixrules", "posix/Europe/Paris"])
def test_tz_database_names_that_are_not_places_are_refused(tenant_a: Api, zone: str) -> None:
    reply = tenant_a.post("/v1/sites", {**SITE, "time_zone": zone})
    assert reply.status == 400 and reply.json["error"]["field"] == "time_zone"


def test_deeply_nested_json_is_a_400(anonymous: Api) -> None:
    reply = anonymous.post("/v1/signup", raw="[" * 200_000)
    assert reply.status == 400 and reply.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("charger_id", [".", "..", "..."])
def test_ids_of_only_dots_are_refused(tenant_a: Api, site_a: dict[str, Any], charger_id: str) -> None:
    assert tenant_a.post("/v1/chargers", charger_body(charger_id, site_a["id"])).status == 400
    assert tenant_a.post("/v1/tokens", {"uid": charger_id}).status == 400


@pytest.mark.parametrize("path", [
    "/v1/chargers/" + "x" * 3000, "/v1/sites/" + "s" * 3000, "/v1/tokens/" + "t" * 3000,
    "/v1/chargers/%2E%2E", "/v1/sites/site_..%2F..", "/v1/tokens/%C3%9F", "/v1/chargers/CP%231",
])
def test_malformed_ids_in_paths_are_simply_not_found(tenant_a: Api, path: str) -> None:
    reply = tenant_a.get(path)
    assert reply.status == 404, reply.json
    assert reply.json["error"]["code"].endswith("_not_found")


def test_a_non_ascii_uid_cannot_alias_an_ascii_token(tenant_a: Api) -> None:
    tenant_a.post("/v1/tokens", {"uid": "SS"})
    tenant_a.post("/v1/tokens", {"uid": "FF"})
    assert tenant_a.get(f"/v1/tokens/{quote('ß')}").status == 404
    assert tenant_a.delete(f"/v1/tokens/{quote('ﬀ')}").status == 404
    assert tenant_a.get("/v1/tokens/FF").status == 200


def test_an_oversized_site_filter_or_cursor_is_harmless(tenant_a: Api, site_a: dict[str, Any]) -> None:
    tenant_a.post("/v1/chargers", charger_body("CP-1", site_a["id"]))
    assert tenant_a.get("/v1/chargers?site_id=" + "s" * 2000).json["items"] == []
    long_cursor = "A" * 1025
    reply = tenant_a.get(f"/v1/chargers?next={long_cursor}")
    assert reply.status == 400 and reply.json["error"]["field"] == "next"


def test_a_signup_refused_in_its_transaction_stores_nothing(anonymous: Api) -> None:
    first = anonymous.post("/v1/signup", {"name": "One", "email": "a@a.example", "country": "NL",
                                          "currency": "EUR", "party_id": "ONE"})
    assert first.status == 201
    before = sorted((i.pk, i.sk) for i in TableItem.scan())
    second = anonymous.post("/v1/signup", {"name": "Two", "email": "b@b.example", "country": "NL",
                                           "currency": "EUR", "party_id": "ONE"})
    assert second.status == 409
    assert sorted((i.pk, i.sk) for i in TableItem.scan()) == before


def test_running_out_of_slugs_is_a_409_not_a_500(anonymous: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import itertools

    from chalicelib.tenancy import signup

    monkeypatch.setattr(signup, "slug_candidates", lambda name: itertools.repeat("same-slug"))
    assert anonymous.post("/v1/signup", {"name": "A", "email": "a@a.example", "country": "NL",
                                         "currency": "EUR"}).status == 201
    reply = anonymous.post("/v1/signup", {"name": "B", "email": "b@b.example", "country": "NL", "currency": "EUR"})
    assert reply.status == 409 and reply.json["error"]["code"] == "slug_unavailable"
