import pytest

from tests.functional.conftest import Api


def test_a_token_is_created_read_updated_and_deleted(tenant_a: Api) -> None:
    created = tenant_a.post("/v1/tokens", {"uid": "04A2B3C4D5", "type": "RFID", "group_id": "FLEET-1",
                                            "contract_id": "NL-VLT-C12345678-X",
                                            "expires_at": "2030-06-01T12:00:00+02:00"})
    assert created.status == 201
    token = created.json
    assert token["status"] == "ACCEPTED"
    assert token["expires_at"] == "2030-06-01T10:00:00.000Z"
    assert tenant_a.get("/v1/tokens/04A2B3C4D5").json == token

    blocked = tenant_a.patch("/v1/tokens/04A2B3C4D5", {"status": "BLOCKED", "expires_at": None})
    assert blocked.status == 200
    assert blocked.json["status"] == "BLOCKED" and blocked.json["expires_at"] is None
    assert blocked.json["group_id"] == "FLEET-1"

    assert tenant_a.delete("/v1/tokens/04A2B3C4D5").status == 204
    assert tenant_a.get("/v1/tokens/04A2B3C4D5").status == 404


def test_token_uids_are_case_insensitive_like_ocpp_id_tags(tenant_a: Api) -> None:
    assert tenant_a.post("/v1/tokens", {"uid": "04ab"}).status == 201
    duplicate = tenant_a.post("/v1/tokens", {"uid": "04AB"})
    assert duplicate.status == 409 and duplicate.json["error"]["code"] == "duplicate_token"
    assert tenant_a.get("/v1/tokens/04AB").json["uid"] == "04ab"


@pytest.mark.parametrize(("body", "field"), [
    ({"uid": "AA", "status": "ACTIVE"}, "status"),
    ({"uid": "AA", "type": "CARD"}, "type"),
    ({"uid": "AA", "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
    ({"uid": "A" * 37}, "uid"),
    ({"uid": "has space"}, "uid"),
    ({}, "uid"),
])
def test_an_invalid_token_is_a_400_naming_the_field(tenant_a: Api, body: dict[str, str], field: str) -> None:
    reply = tenant_a.post("/v1/tokens", body)
    assert reply.status == 400 and reply.json["error"]["field"] == field


def test_a_patch_cannot_null_the_status(tenant_a: Api) -> None:
    tenant_a.post("/v1/tokens", {"uid": "AA"})
    reply = tenant_a.patch("/v1/tokens/AA", {"status": None})
    assert reply.status == 400 and reply.json["error"]["field"] == "status"
    assert tenant_a.get("/v1/tokens/AA").json["status"] == "ACCEPTED"


def test_tokens_are_listed_in_pages(tenant_a: Api) -> None:
    for uid in ["A1", "B2", "C3"]:
        tenant_a.post("/v1/tokens", {"uid": uid})
    first = tenant_a.get("/v1/tokens?limit=2")
    second = tenant_a.get(f"/v1/tokens?limit=2&next={first.json['next']}")
    assert [t["uid"] for t in first.json["items"] + second.json["items"]] == ["A1", "B2", "C3"]
    assert second.json["next"] is None
