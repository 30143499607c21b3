"""$connect and $disconnect: who may connect, which subprotocol is answered, and which connection is current."""
from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conftest import Api, RegisteredCharger, register_charger
from tests.functional.ocpp import CapturedSender, ChargerConnection, basic, connect_event


def connection(sender: CapturedSender, charger: RegisteredCharger, **kw: Any) -> ChargerConnection:
    return ChargerConnection(sender, charger.slug, charger.id, charger.password, **kw)


def test_a_charger_with_its_password_connects_and_gets_ocpp16_echoed(
        sender: CapturedSender, charger_a: RegisteredCharger, tenant_a: Api) -> None:
    reply = connection(sender, charger_a).connect()
    assert reply["statusCode"] == 200
    assert reply["headers"]["Sec-WebSocket-Protocol"] == "ocpp1.6"
    shown = tenant_a.get("/v1/chargers/CP-1").json
    assert shown["online"] is True and shown["protocol"] == "ocpp1.6" and shown["last_seen"]


@pytest.mark.parametrize("authorization", [
    None, "", "Basic", "Basic !!!", "Bearer abc", basic("CP-1", "wrong-password"), basic("CP-2", "{password}"),
    basic("cp-1", "{password}"),
])
def test_wrong_or_missing_credentials_are_refused_with_401(
        sender: CapturedSender, charger_a: RegisteredCharger, tenant_a: Api, authorization: str | None) -> None:
    if authorization and "{password}" in authorization:
        user = "CP-2" if "CP-2" in authorization else "cp-1"
        authorization = basic(user, charger_a.password)
    reply = connection(sender, charger_a).connect(authorization=authorization)
    assert reply["statusCode"] == 401
    assert "Sec-WebSocket-Protocol" not in reply["headers"]
    assert tenant_a.get("/v1/chargers/CP-1").json["online"] is False


def test_an_unknown_charger_or_tenant_is_refused_with_401(sender: CapturedSender, charger_a: RegisteredCharger) -> None:
    unknown_charger = ChargerConnection(sender, charger_a.slug, "CP-404", charger_a.password)
    assert unknown_charger.connect(authorization=basic("CP-404", charger_a.password))["statusCode"] == 401
    unknown_tenant = ChargerConnection(sender, "no-such-tenant", charger_a.id, charger_a.password)
    assert unknown_tenant.connect()["statusCode"] == 401


def test_a_charger_of_tenant_a_cannot_connect_through_tenant_b_url(
        sender: CapturedSender, charger_a: RegisteredCharger, tenant_b: Api) -> None:
    b_site = tenant_b.post("/v1/sites", {"name": "B", "address": "x", "city": "y", "postal_code": "1",
                                         "country": "NL", "latitude": 52.0, "longitude": 4.0,
                                         "time_zone": "Europe/Amsterdam"}).json["id"]
    b_charger = register_charger(tenant_b, b_site, "CP-1")
    # Tenant A's password at tenant B's URL for the same charge point id: refused.
    assert ChargerConnection(sender, b_charger.slug, "CP-1", charger_a.password).connect()["statusCode"] == 401
    assert ChargerConnection(sender, b_charger.slug, "CP-1", b_charger.password).connect()["statusCode"] == 200


@pytest.mark.parametrize(("offered", "answered"), [
    ("ocpp1.6", "ocpp1.6"), ("ocpp2.0.1, ocpp1.6", "ocpp2.0.1"), ("ocpp1.6,ocpp2.0.1", "ocpp1.6"),
    ("ocpp1.5,ocpp1.6", "ocpp1.6"), ("ocpp2.1, ocpp2.0.1", "ocpp2.0.1"),
])
def test_the_answered_subprotocol_is_one_the_charger_offered(
        sender: CapturedSender, charger_a: RegisteredCharger, offered: str, answered: str) -> None:
    reply = connection(sender, charger_a).connect(protocols=offered)
    assert (reply["statusCode"], reply["headers"]["Sec-WebSocket-Protocol"]) == (200, answered)


@pytest.mark.parametrize("offered", [None, "", "ocpp1.5", "ocpp2.0"])
def test_a_charger_offering_no_supported_subprotocol_is_refused(
        sender: CapturedSender, charger_a: RegisteredCharger, offered: str | None) -> None:
    reply = connection(sender, charger_a).connect(protocols=offered)
    assert reply["statusCode"] == 400 and "subprotocol" in reply["body"]


def test_a_charger_pinned_to_a_version_is_answered_only_with_it(
        sender: CapturedSender, tenant_a: Api, site_a: dict[str, Any]) -> None:
    pinned = register_charger(tenant_a, site_a["id"], "CP-201", ocpp_version="2.0.1")
    assert connection(sender, pinned).connect()["statusCode"] == 400  # offers only ocpp1.6
    both = connection(sender, pinned, protocols="ocpp1.6, ocpp2.0.1").connect()
    assert both["headers"]["Sec-WebSocket-Protocol"] == "ocpp2.0.1"
    old = register_charger(tenant_a, site_a["id"], "CP-16", ocpp_version="1.6")
    assert connection(sender, old, protocols="ocpp2.0.1, ocpp1.6").connect()["headers"][
        "Sec-WebSocket-Protocol"] == "ocpp1.6"


def test_the_path_form_is_accepted_as_well_as_the_query_form(
        sender: CapturedSender, charger_a: RegisteredCharger) -> None:
    import app

    event = connect_event("conn-path=", None, None, authorization=basic("CP-1", charger_a.password),
                          protocols="ocpp1.6", path=f"/ocpp/{charger_a.slug}/CP-1")
    assert app.ocpp_connect(event, None)["statusCode"] == 200
    missing = connect_event("conn-none=", None, None, authorization=basic("CP-1", charger_a.password),
                            protocols="ocpp1.6", path="/")
    assert app.ocpp_connect(missing, None)["statusCode"] == 400


def test_the_newest_connection_wins_and_the_old_one_is_closed(
        sender: CapturedSender, charger_a: RegisteredCharger, tenant_a: Api) -> None:
    first, second = connection(sender, charger_a), connection(sender, charger_a)
    assert first.connect()["statusCode"] == 200
    assert second.connect()["statusCode"] == 200
    assert sender.closed == [first.connection_id]
    first.disconnect()  # the old socket's $disconnect arrives after the new connect
    assert tenant_a.get("/v1/chargers/CP-1").json["online"] is True
    second.disconnect()
    shown = tenant_a.get("/v1/chargers/CP-1").json
    assert shown["online"] is False and shown["protocol"] is None


def test_a_frame_on_a_connection_the_platform_does_not_know_closes_it(
        sender: CapturedSender, charger_a: RegisteredCharger) -> None:
    stranger = connection(sender, charger_a)  # never connected
    assert stranger.send_raw('[2,"1","Heartbeat",{}]') is None
    assert sender.closed == [stranger.connection_id]


def test_a_deleted_charger_connection_is_closed_at_its_next_frame(
        cp: ChargerConnection, tenant_a: Api, sender: CapturedSender) -> None:
    from chalicelib import composition

    assert tenant_a.delete("/v1/chargers/CP-1").status == 204
    composition.ocpp_gateway()._chargers.clear()  # another container, or the cache's minute gone by
    assert cp.send_raw('[2,"1","Heartbeat",{}]') is None
    assert cp.connection_id in sender.closed
