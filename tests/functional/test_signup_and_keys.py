from typing import Any

import pytest

from chalicelib.store.table import TableItem
from tests.functional.conftest import SIGNUP, Api, sign_up


def all_stored_text() -> str:
    return "\n".join(str(item.attribute_values) for item in TableItem.scan())


def test_signup_creates_a_tenant_with_a_slug_and_an_admin_key(anonymous: Api) -> None:
    reply = anonymous.post("/v1/signup", {**SIGNUP, "party_id": "vlt"})
    assert reply.status == 201
    tenant = reply.json["tenant"]
    assert tenant["slug"] == "volt-parking-bv"
    assert {k: tenant[k] for k in ("name", "country", "currency", "party_id")} == {
        "name": "Volt Parking BV", "country": "NL", "currency": "EUR", "party_id": "VLT"}
    assert tenant["id"].startswith("ten_")
    me = anonymous.with_key(reply.json["api_key"]).get("/v1/tenant")
    assert me.status == 200 and me.json == tenant


def test_the_api_key_is_shown_once_and_stored_only_as_a_hash(anonymous: Api) -> None:
    api, _ = sign_up(anonymous)
    assert api.api_key is not None
    assert api.api_key not in all_stored_text()
    listed = api.get("/v1/api-keys")
    assert listed.status == 200
    assert api.api_key not in str(listed.json)
    assert listed.json["items"][0]["role"] == "admin"
    assert "digest" not in listed.json["items"][0]
    assert api.api_key.startswith(listed.json["items"][0]["hint"])


def test_two_tenants_with_the_same_name_get_different_slugs(anonymous: Api) -> None:
    _, first = sign_up(anonymous)
    _, second = sign_up(anonymous)
    assert first["slug"] == "volt-parking-bv"
    assert second["slug"].startswith("volt-parking-bv-") and second["slug"] != first["slug"]


def test_an_ocpi_party_id_is_unique_per_country(anonymous: Api) -> None:
    sign_up(anonymous, party_id="VLT")
    again = anonymous.post("/v1/signup", {**SIGNUP, "party_id": "vlt"})
    assert again.status == 409
    assert again.json["error"]["code"] == "duplicate_party_id"
    assert again.json["error"]["field"] == "party_id"
    sign_up(anonymous, party_id="VLT", country="BE")


@pytest.mark.parametrize(("field", "value"), [
    ("country", "XX"), ("currency", "EURO"), ("email", "nope"), ("name", ""), ("party_id", "TOOLONG"),
])
def test_signup_rejects_bad_input_naming_the_field(anonymous: Api, field: str, value: Any) -> None:
    reply = anonymous.post("/v1/signup", {**SIGNUP, field: value})
    assert reply.status == 400
    assert reply.json["error"]["field"] == field
    assert field in reply.json["error"]["message"]


def test_signup_with_a_missing_field_names_it(anonymous: Api) -> None:
    body = {k: v for k, v in SIGNUP.items() if k != "currency"}
    reply = anonymous.post("/v1/signup", body)
    assert reply.status == 400
    assert reply.json["error"] == {"code": "missing_field", "message": "currency: field required",
                                   "field": "currency"}


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "", "\"text\""])
def test_a_body_that_is_not_a_json_object_is_a_400(anonymous: Api, raw: str) -> None:
    reply = anonymous.post("/v1/signup", raw=raw)
    assert reply.status == 400
    assert reply.json["error"]["code"] == "invalid_json"


def test_a_failed_signup_stores_nothing(anonymous: Api) -> None:
    before = TableItem.count()
    anonymous.post("/v1/signup", {**SIGNUP, "country": "XX"})
    assert TableItem.count() == before


# -- authentication and roles -------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer evk_unknown",
                                    "Bearer not-even-a-key"])
def test_a_missing_or_bad_key_is_a_401(tenant_a: Api, header: str | None) -> None:
    api = tenant_a.with_key(None)
    reply = api.get("/v1/sites", headers={"Authorization": header} if header is not None else {})
    assert reply.status == 401
    assert reply.json["error"]["code"] in {"unauthenticated", "invalid_api_key"}
    assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_a_viewer_key_reads_but_cannot_write(tenant_a: Api, site_a: dict[str, Any]) -> None:
    created = tenant_a.post("/v1/api-keys", {"role": "viewer", "name": "dashboard"})
    assert created.status == 201 and created.json["role"] == "viewer"
    viewer = tenant_a.with_key(created.json["api_key"])
    assert viewer.get("/v1/sites").status == 200
    assert viewer.get(f"/v1/sites/{site_a['id']}").status == 200
    attempts = [
        viewer.post("/v1/sites", {}),
        viewer.patch(f"/v1/sites/{site_a['id']}", {"name": "x"}),
        viewer.delete(f"/v1/sites/{site_a['id']}"),
        viewer.post("/v1/tokens", {"uid": "AA"}),
        viewer.post("/v1/api-keys", {"role": "admin"}),
        viewer.get("/v1/api-keys"),
    ]
    assert [r.status for r in attempts] == [403] * len(attempts)
    assert attempts[0].json["error"]["code"] == "read_only_key"
    assert tenant_a.get(f"/v1/sites/{site_a['id']}").json["name"] == site_a["name"]


def test_an_api_key_defaults_to_viewer(tenant_a: Api) -> None:
    assert tenant_a.post("/v1/api-keys", {}).json["role"] == "viewer"


def test_a_revoked_key_stops_working_at_once(tenant_a: Api) -> None:
    created = tenant_a.post("/v1/api-keys", {"role": "admin"})
    second = tenant_a.with_key(created.json["api_key"])
    assert second.get("/v1/tenant").status == 200
    assert tenant_a.delete(f"/v1/api-keys/{created.json['id']}").status == 204
    assert second.get("/v1/tenant").status == 401
    assert created.json["id"] not in [k["id"] for k in tenant_a.get("/v1/api-keys").json["items"]]


def test_the_last_admin_key_cannot_be_revoked(tenant_a: Api) -> None:
    own = tenant_a.get("/v1/api-keys").json["items"][0]
    reply = tenant_a.delete(f"/v1/api-keys/{own['id']}")
    assert reply.status == 409
    assert reply.json["error"]["code"] == "last_admin_key"
    assert tenant_a.get("/v1/tenant").status == 200


def test_revoking_an_unknown_key_is_a_404(tenant_a: Api) -> None:
    assert tenant_a.delete("/v1/api-keys/key_nope").status == 404


def test_a_body_that_is_not_json_by_content_type_gets_the_contract_error_shape(anonymous: Api) -> None:
    reply = anonymous.post("/v1/signup", raw="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 415
    assert reply.json["error"]["code"] == "unsupported_media_type"
    assert "application/x-www-form-urlencoded" in reply.json["error"]["message"]


def test_an_unsupported_method_gets_the_contract_error_shape(tenant_a: Api) -> None:
    reply = tenant_a.call("PUT", "/v1/sites")
    assert reply.status == 405
    assert reply.json["error"]["code"] == "method_not_allowed"


def test_two_admins_revoking_each_other_at_once_leave_one_admin(tenant_a: Api) -> None:
    from chalicelib.store.directory import ApiKeyRepository
    from chalicelib.tenancy.api_keys import ApiKeyService
    from chalicelib.tenancy.models import Role, TenantContext

    second = tenant_a.post("/v1/api-keys", {"role": "admin"}).json
    tenant = tenant_a.get("/v1/tenant").json
    first_id = next(k["id"] for k in tenant_a.get("/v1/api-keys").json["items"] if k["id"] != second["id"])
    ctx = TenantContext(tenant["id"], tenant["slug"], Role.ADMIN, first_id)
    keys = ApiKeyRepository(tenant["id"])
    service = ApiKeyService(ctx, keys)
    original_list = keys.list
    raced = False

    def list_then_race(limit: int, cursor: str | None = None) -> Any:
        nonlocal raced
        page = original_list(limit, cursor)
        if not raced:  # the other admin's revoke of the first key lands after this one counted admins
            raced = True
            ApiKeyService(ctx, ApiKeyRepository(tenant["id"])).revoke(first_id)
        return page

    keys.list = list_then_race  # type: ignore[method-assign]
    with pytest.raises(Exception) as refused:
        service.revoke(second["id"])
    assert getattr(refused.value, "code", None) == "last_admin_key"
    remaining = [k for k in tenant_a.with_key(second["api_key"]).get("/v1/api-keys").json["items"]]
    assert [k["id"] for k in remaining] == [second["id"]]


def test_a_revoke_that_keeps_colliding_says_so_and_the_key_still_works(
        tenant_a: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from pynamodb.connection import Connection
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    viewer = tenant_a.post("/v1/api-keys", {"role": "viewer"}).json

    def always_colliding(*args: Any, **kwargs: Any) -> Any:
        reasons = [CancellationReason(code="TransactionConflict"), None]
        cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "x"}},
                                   "TransactWriteItems", cancellation_reasons=reasons)
        raise TransactWriteError("cancelled", cause=cause)

    monkeypatch.setattr(Connection, "transact_write_items", always_colliding)
    reply = tenant_a.delete(f"/v1/api-keys/{viewer['id']}")
    assert reply.status == 409 and reply.json["error"]["code"] == "concurrent_modification"
    monkeypatch.undo()
    assert tenant_a.with_key(viewer["api_key"]).get("/v1/tenant").status == 200
