"""What chargers in the field do wrong, and what the platform does about it (found in review)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functional.conftest import Api, RegisteredCharger, register_charger
from tests.functional.ocpp import CapturedSender, ChargerConnection, basic, connect_event
from tests.functional.test_ocpp16_messages import meter, session_of, start, stop


def test_a_lost_stop_is_closed_when_the_connector_starts_again_and_the_driver_is_not_locked_out(
        cp: ChargerConnection, tenant_a: Api) -> None:
    first = start(cp, meter=1000, at="2026-11-21T08:00:00Z")["transactionId"]
    meter(cp, first, "2026-11-21T08:30:00Z", "4000")
    # The charger rebooted and its StopTransaction was lost; the same driver starts again.
    second = start(cp, meter=4500, at="2026-11-21T10:00:00Z")
    assert second["idTagInfo"]["status"] == "Accepted"
    lost = session_of(tenant_a, first)
    assert (lost["status"], lost["stopped_at"], lost["energy_wh"], lost["anomalies"]) == (
        "COMPLETED", "2026-11-21T08:30:00.000Z", 3000, ["stop_lost"])
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == [
        session_of(tenant_a, second["transactionId"])["id"]]


@pytest.mark.parametrize("bad", ["Infinity", "1e400", "NaN", "-5"])
def test_a_non_finite_or_negative_reading_is_ignored(cp: ChargerConnection, tenant_a: Api, bad: str) -> None:
    tx = start(cp, meter=1000, at="2026-11-21T08:00:00Z")["transactionId"]
    meter(cp, tx, "2026-11-21T08:10:00Z", bad)
    meter(cp, tx, "2026-11-21T08:20:00Z", "3000")
    assert session_of(tenant_a, tx)["energy_wh"] == 2000
    assert stop(cp, tx, 5000, at="2026-11-21T09:00:00Z") == {}
    assert session_of(tenant_a, tx)["energy_wh"] == 4000


def test_energy_comes_from_the_outlet_meter_not_the_grid_meter(cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=1000, at="2026-11-21T08:00:00Z")["transactionId"]
    cp.result("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
        {"timestamp": "2026-11-21T08:30:00Z", "sampledValue": [
            {"value": "6000", "location": "Outlet"}, {"value": "987654", "location": "Inlet"}]}]})
    assert session_of(tenant_a, tx)["energy_wh"] == 5000


def test_readings_sent_without_a_transaction_id_join_the_session_on_their_connector(
        cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=1000, at="2026-11-21T08:00:00Z")["transactionId"]
    meter(cp, None, "2026-11-21T08:30:00Z", "6000", connector=1)  # clock-aligned, no transactionId
    meter(cp, None, "2026-11-21T08:30:00Z", "9999", connector=2)  # another connector's
    assert session_of(tenant_a, tx)["energy_wh"] == 5000
    assert [r["timestamp"] for r in session_of(tenant_a, tx)["meter_values"]] == ["2026-11-21T08:30:00.000Z"]


def test_rotating_the_password_closes_the_connection_it_opened(
        cp: ChargerConnection, tenant_a: Api, sender: CapturedSender) -> None:
    assert tenant_a.post("/v1/chargers/CP-1/password").status == 200
    assert cp.connection_id in sender.closed
    # Even if that close were lost, a frame on the old connection in a fresh container is refused.
    from chalicelib import composition

    composition.ocpp_gateway()._chargers.clear()
    sender.closed.clear()
    assert cp.send_raw('[2,"1","Heartbeat",{}]') is None and cp.connection_id in sender.closed


def test_deleting_a_charger_closes_its_connection_and_a_new_one_under_its_id_starts_afresh(
        cp: ChargerConnection, tenant_a: Api, site_a: dict[str, Any], sender: CapturedSender) -> None:
    cp.result("BootNotification", {"chargePointVendor": "Old", "chargePointModel": "Gone"})
    assert tenant_a.delete("/v1/chargers/CP-1").status == 204
    assert cp.connection_id in sender.closed
    register_charger(tenant_a, site_a["id"], "CP-1")
    cp.send_raw('[2,"late","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure","status":"Faulted"}]')
    fresh = tenant_a.get("/v1/chargers/CP-1").json
    assert (fresh["boot"], fresh["online"], fresh["evses"][0]["connectors"][0]["status"]) == (None, False, "Unknown")


def test_connectors_the_charger_is_not_registered_with_are_refused(cp: ChargerConnection) -> None:
    reply = cp.send_raw('[2,"c9","StatusNotification",{"connectorId":9,"errorCode":"NoError","status":"Available"}]')
    assert reply[2] == "PropertyConstraintViolation" and reply[4] == {"field": "connectorId"}
    zero = cp.send_raw('[2,"c0","StartTransaction",{"connectorId":0,"idTag":"TAG-1","meterStart":0,'
                       '"timestamp":"2026-11-21T08:00:00Z"}]')
    assert zero[2] == "PropertyConstraintViolation"


def test_two_chargers_starting_one_token_at_once_give_one_concurrent_tx(
        cp: ChargerConnection, tenant_a: Api, site_a: dict[str, Any], sender: CapturedSender,
        monkeypatch: pytest.MonkeyPatch) -> None:
    other = register_charger(tenant_a, site_a["id"], "CP-2")
    second = ChargerConnection(sender, other.slug, other.id, other.password)
    second.connect()
    assert start(cp)["idTagInfo"]["status"] == "Accepted"
    # The second charger's check ran before the first one's lock was written (two Lambdas at once).
    monkeypatch.setattr("chalicelib.store.sessions.SessionRepository.session_of_token", lambda self, uid: None)
    assert start(second)["idTagInfo"]["status"] == "ConcurrentTx"


def test_a_too_long_message_id_is_answered_under_that_id(cp: ChargerConnection) -> None:
    long_id = "x" * 37
    assert cp.send_raw(json.dumps([2, long_id, "Heartbeat", {}]))[:3] == [4, long_id, "ProtocolError"]


def test_made_up_actions_do_not_become_metric_dimensions(cp: ChargerConnection,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    cp.send_raw(json.dumps([2, "m", "A" * 500, {}]))
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert {m["action"] for m in metrics} == {"unknown"}


def test_subprotocols_offered_on_several_header_lines_are_all_considered(
        sender: CapturedSender, charger_a: RegisteredCharger) -> None:
    import app

    event = connect_event("multi=", charger_a.slug, "CP-1", authorization=basic("CP-1", charger_a.password),
                          protocols="ocpp1.5")
    event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = ["ocpp1.6", "ocpp1.5"]
    reply = app.ocpp_connect(event, None)
    assert reply["headers"]["Sec-WebSocket-Protocol"] == "ocpp1.6"


@pytest.mark.parametrize(("timestamp", "accepted"), [
    ("2026-11-21t08:00:00z", True), ("2026-11-21T09:00:00+01:00", True), ("2026-11-21T08:00:00", True),
    ("2026-11-21T08:00:00.123456789Z", True), ("2026-11-21", False),
])
def test_timestamps_as_rfc_3339_allows_them(cp: ChargerConnection, timestamp: str, accepted: bool) -> None:
    reply = cp.send_raw(json.dumps([2, "t", "StatusNotification", {
        "connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": timestamp}]))
    assert (reply[0] == 3) is accepted, reply
