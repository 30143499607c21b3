"""Every OCPP 1.6 charger-to-platform message, answered per its schema, and what it changes."""
from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functional.conftest import Api
from tests.functional.ocpp import ChargerConnection

T0 = "2026-11-21T08:00:00Z"


def start(cp: ChargerConnection, tag: str = "TAG-1", connector: int = 1, meter: int = 1000,
          at: str = "2026-11-21T08:00:05Z", **kw: Any) -> dict[str, Any]:
    return cp.result("StartTransaction", {"connectorId": connector, "idTag": tag, "meterStart": meter,
                                          "timestamp": at, **kw})


def meter(cp: ChargerConnection, tx: int | None, at: str, wh: str, connector: int = 1, **kw: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"connectorId": connector, "meterValue": [{"timestamp": at, "sampledValue": [
        {"value": wh, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}], **kw}
    if tx is not None:
        payload["transactionId"] = tx
    return cp.result("MeterValues", payload)


def stop(cp: ChargerConnection, tx: int, meter_stop: int, at: str = "2026-11-21T09:00:00Z",
         **kw: Any) -> dict[str, Any]:
    return cp.result("StopTransaction", {"transactionId": tx, "meterStop": meter_stop, "timestamp": at, **kw})


def session_of(api: Api, tx: int) -> dict[str, Any]:
    sessions = [s for s in api.get("/v1/sessions").json["items"] if s["transaction_id"] == str(tx)]
    assert len(sessions) == 1, sessions
    detail: dict[str, Any] = api.get(f"/v1/sessions/{sessions[0]['id']}").json
    return detail


# -- boot, heartbeat, status -------------------------------------------------------------------------

def test_boot_notification_is_accepted_with_an_interval_of_at_most_300_s_and_stored(
        cp: ChargerConnection, tenant_a: Api) -> None:
    answer = cp.result("BootNotification", {
        "chargePointVendor": "Alfen", "chargePointModel": "Eve Double", "chargePointSerialNumber": "S-1",
        "chargeBoxSerialNumber": "B-1", "firmwareVersion": "6.1.0", "iccid": "8931", "imsi": "2040",
        "meterType": "ABB", "meterSerialNumber": "M-1"})
    assert answer["status"] == "Accepted" and 0 < answer["interval"] <= 300
    boot = tenant_a.get("/v1/chargers/CP-1").json["boot"]
    assert boot == {"vendor": "Alfen", "model": "Eve Double", "serial_number": "S-1",
                    "charge_box_serial_number": "B-1", "firmware_version": "6.1.0", "iccid": "8931",
                    "imsi": "2040", "meter_type": "ABB", "meter_serial_number": "M-1"}


def test_heartbeat_answers_the_current_time(cp: ChargerConnection) -> None:
    answer = cp.result("Heartbeat", {})
    assert answer["currentTime"].startswith("20") and answer["currentTime"].endswith("Z")


def test_status_notifications_per_connector_and_for_the_charger_are_shown_with_error_codes(
        cp: ChargerConnection, tenant_a: Api) -> None:
    cp.result("StatusNotification", {"connectorId": 0, "errorCode": "NoError", "status": "Available",
                                     "timestamp": T0})
    cp.result("StatusNotification", {"connectorId": 2, "errorCode": "GroundFailure", "status": "Faulted",
                                     "info": "RCD tripped", "vendorId": "Alfen", "vendorErrorCode": "E42",
                                     "timestamp": T0})
    charger = tenant_a.get("/v1/chargers/CP-1").json
    assert (charger["status"], charger["error_code"]) == ("Available", "NoError")
    first, second = (evse["connectors"][0] for evse in charger["evses"])
    assert first["status"] == "Unknown"
    assert (second["status"], second["error_code"], second["status_info"], second["vendor_error_code"]) == (
        "Faulted", "GroundFailure", "RCD tripped", "E42")
    history = tenant_a.get("/v1/chargers/CP-1/events?type=StatusNotification").json["items"]
    assert sorted(e["data"]["connector"] for e in history) == ["0", "2/1"]
    assert {e["data"]["vendor_id"] for e in history if "vendor_id" in e["data"]} == {"Alfen"}


def test_a_status_replayed_with_an_older_timestamp_does_not_replace_a_newer_one(
        cp: ChargerConnection, tenant_a: Api) -> None:
    cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging",
                                     "timestamp": "2026-11-21T08:10:00Z"})
    cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing",
                                     "timestamp": "2026-11-21T08:00:00Z"})
    connector = tenant_a.get("/v1/chargers/CP-1").json["evses"][0]["connectors"][0]
    assert connector["status"] == "Charging"
    history = tenant_a.get("/v1/chargers/CP-1/events?type=StatusNotification").json["items"]
    assert [e["data"]["status"] for e in history] == ["Charging", "Preparing"]  # both kept, newest first


# -- authorisation -------------------------------------------------------------------------------------

def test_authorize_answers_accepted_blocked_expired_and_invalid(cp: ChargerConnection, tenant_a: Api) -> None:
    tenant_a.post("/v1/tokens", {"uid": "BLOCKED-1", "status": "BLOCKED"})
    tenant_a.post("/v1/tokens", {"uid": "OLD-1", "expires_at": "2020-01-01T00:00:00Z"})
    tenant_a.post("/v1/tokens", {"uid": "FLEET-1", "group_id": "FLEET", "expires_at": "2030-01-01T00:00:00Z"})
    statuses = {tag: cp.result("Authorize", {"idTag": tag})["idTagInfo"]
                for tag in ["TAG-1", "tag-1", "BLOCKED-1", "OLD-1", "NOBODY", "FLEET-1"]}
    assert statuses["TAG-1"] == {"status": "Accepted"} == statuses["tag-1"]
    assert statuses["BLOCKED-1"]["status"] == "Blocked"
    assert statuses["OLD-1"]["status"] == "Expired"
    assert statuses["NOBODY"] == {"status": "Invalid"}
    assert statuses["FLEET-1"] == {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00.000Z",
                                   "parentIdTag": "FLEET"}


def test_authorize_answers_concurrent_tx_while_the_token_is_charging(cp: ChargerConnection) -> None:
    tx = start(cp)["transactionId"]
    assert cp.result("Authorize", {"idTag": "TAG-1"})["idTagInfo"]["status"] == "ConcurrentTx"
    stop(cp, tx, 2000)
    assert cp.result("Authorize", {"idTag": "TAG-1"})["idTagInfo"]["status"] == "Accepted"


# -- transactions ----------------------------------------------------------------------------------------

def test_a_transaction_runs_from_start_to_stop_and_shows_as_a_session(cp: ChargerConnection, tenant_a: Api) -> None:
    started = start(cp, meter=1000, at="2026-11-21T08:00:05Z")
    assert started["idTagInfo"] == {"status": "Accepted"}
    tx = started["transactionId"]
    assert isinstance(tx, int)
    charger = tenant_a.get("/v1/chargers/CP-1").json
    assert charger["evses"][0]["connectors"][0]["session_id"] == charger["active_sessions"][0]
    meter(cp, tx, "2026-11-21T08:30:00Z", "5000")
    live = session_of(tenant_a, tx)
    assert (live["status"], live["energy_wh"]) == ("ACTIVE", 4000)
    answer = stop(cp, tx, 11000, idTag="TAG-1", reason="EVDisconnected", transactionData=[
        {"timestamp": "2026-11-21T09:00:00Z", "sampledValue": [{"value": "11000", "context": "Transaction.End"}]}])
    assert answer == {"idTagInfo": {"status": "Accepted"}}
    session = session_of(tenant_a, tx)
    assert {k: session[k] for k in ["charger_id", "evse_id", "connector_id", "token_uid", "status", "started_at",
                                    "stopped_at", "meter_start_wh", "meter_stop_wh", "energy_wh", "stop_reason"]} == {
        "charger_id": "CP-1", "evse_id": 1, "connector_id": 1, "token_uid": "TAG-1", "status": "COMPLETED",
        "started_at": "2026-11-21T08:00:05.000Z", "stopped_at": "2026-11-21T09:00:00.000Z",
        "meter_start_wh": 1000, "meter_stop_wh": 11000, "energy_wh": 10000, "stop_reason": "EVDisconnected"}
    assert [r["timestamp"] for r in session["meter_values"]] == ["2026-11-21T08:30:00.000Z",
                                                                 "2026-11-21T09:00:00.000Z"]
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == []


def test_transaction_ids_are_integers_unique_per_tenant(cp: ChargerConnection) -> None:
    first = start(cp, connector=1)["transactionId"]
    second = start(cp, tag="TAG-2", connector=2, at="2026-11-21T08:01:00Z")["transactionId"]
    assert isinstance(first, int) and isinstance(second, int) and first != second


def test_an_invalid_id_tag_still_gets_a_transaction_id(cp: ChargerConnection, tenant_a: Api) -> None:
    started = start(cp, tag="NOBODY")
    assert started["idTagInfo"] == {"status": "Invalid"} and isinstance(started["transactionId"], int)
    assert session_of(tenant_a, started["transactionId"])["authorization"] == "UNKNOWN"


def test_the_second_connector_maps_to_the_second_evse(cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, connector=2)["transactionId"]
    session = session_of(tenant_a, tx)
    assert (session["evse_id"], session["connector_id"], session["ocpp_connector_id"]) == (2, 1, 2)


def test_meter_values_keep_every_measurand_phase_context_and_unit(cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp)["transactionId"]
    values = [
        {"value": "1.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh", "context": "Sample.Clock"},
        {"value": "16.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        {"value": "230.2", "measurand": "Voltage", "phase": "L1-N", "unit": "V", "location": "Inlet"},
        {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"},
        {"value": "81", "measurand": "SoC", "unit": "Percent", "location": "EV"},
        {"value": "35", "measurand": "Temperature", "unit": "Celsius", "location": "Body"},
    ]
    cp.result("MeterValues", {"connectorId": 1, "transactionId": tx,
                              "meterValue": [{"timestamp": "2026-11-21T08:10:00Z", "sampledValue": values}]})
    stored = session_of(tenant_a, tx)["meter_values"][0]["values"]
    assert [(v["measurand"], v["value"], v["unit"], v["phase"], v["context"], v["location"]) for v in stored] == [
        (v["measurand"], v["value"], v["unit"], v.get("phase"), v.get("context", "Sample.Periodic"),
         v.get("location", "Outlet")) for v in values]
    assert session_of(tenant_a, tx)["energy_wh"] == 500  # 1.5 kWh read against a start of 1000 Wh


def test_meter_values_outside_a_transaction_are_accepted(cp: ChargerConnection) -> None:
    assert meter(cp, None, T0, "123456", connector=0) == {}


def test_data_transfer_is_kept_for_the_operator(cp: ChargerConnection, tenant_a: Api) -> None:
    answer = cp.result("DataTransfer", {"vendorId": "com.alfen", "messageId": "diag", "data": "{\"t\": 41}"})
    assert answer["status"] == "UnknownVendorId"  # nothing acts on vendor data; it is stored, not lost
    event = tenant_a.get("/v1/chargers/CP-1/events?type=DataTransfer").json["items"][0]
    assert event["data"] == {"vendorId": "com.alfen", "messageId": "diag", "data": "{\"t\": 41}"}


def test_firmware_and_diagnostics_progress_is_shown(cp: ChargerConnection, tenant_a: Api) -> None:
    assert cp.result("FirmwareStatusNotification", {"status": "Installing"}) == {}
    assert cp.result("DiagnosticsStatusNotification", {"status": "Uploaded"}) == {}
    charger = tenant_a.get("/v1/chargers/CP-1").json
    assert (charger["firmware_status"], charger["diagnostics_status"]) == ("Installing", "Uploaded")
    types = [e["type"] for e in tenant_a.get("/v1/chargers/CP-1/events").json["items"]]
    assert "FirmwareStatusNotification" in types and "DiagnosticsStatusNotification" in types


# -- CALLERRORs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("frame", "code"), [
    ('[2,"e1","Heartbeat",{"extra":1}]', "FormationViolation"),
    ('[2,"e1","StatusNotification",{"connectorId":1,"status":"Available"}]', "OccurenceConstraintViolation"),
    ('[2,"e1","StatusNotification",{"connectorId":"one","errorCode":"NoError","status":"Available"}]',
     "TypeConstraintViolation"),
    ('[2,"e1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Dancing"}]',
     "PropertyConstraintViolation"),
    ('[2,"e1","Authorize",{"idTag":"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}]', "TypeConstraintViolation"),
    ('[2,"e1","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"yesterday"}]',
     "PropertyConstraintViolation"),
    ('[2,"e1","FlyToTheMoon",{}]', "NotImplemented"),
    ('[2,"e1","RemoteStartTransaction",{"idTag":"T"}]', "NotSupported"),
    ('[2,"e1","Heartbeat",[]]', "FormationViolation"),
    ('[2,"e1","Heartbeat"]', "ProtocolError"),
    ('[9,"e1","Heartbeat",{}]', "ProtocolError"),
])
def test_bad_calls_get_the_16_callerror_with_a_short_description(cp: ChargerConnection, frame: str, code: str) -> None:
    reply = cp.send_raw(frame)
    assert reply[0] == 4 and reply[1] == "e1" and reply[2] == code, reply
    assert len(reply[3]) < 120 and len(json.dumps(reply[4])) < 120  # no schema or payload dump


@pytest.mark.parametrize("frame", ["not json", "{}", "[]", '"text"', "[2]"])
def test_a_malformed_frame_gets_a_protocol_error_under_id_minus_one(cp: ChargerConnection, frame: str) -> None:
    assert cp.send_raw(frame)[:3] == [4, "-1", "ProtocolError"]


def test_a_rejected_call_changes_nothing(cp: ChargerConnection, tenant_a: Api) -> None:
    cp.send_raw('[2,"e2","StartTransaction",{"connectorId":1,"idTag":"TAG-1","meterStart":"lots","timestamp":"'
                + T0 + '"}]')
    assert tenant_a.get("/v1/sessions").json["items"] == []


def test_results_from_the_charger_are_not_answered(cp: ChargerConnection) -> None:
    assert cp.send_raw('[3,"platform-1",{"status":"Accepted"}]') is None
    assert cp.send_raw('[4,"platform-2","NotSupported","no",{}]') is None
