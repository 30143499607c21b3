"""OCPP 2.0.1 charger-to-platform messages, TransactionEvents in the shared sessions, and their replay rules."""
from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conftest import Api, RegisteredCharger
from tests.functional.ocpp import CapturedSender, ChargerConnection

TAG = {"idToken": "TAG-1", "type": "ISO14443"}


def event(cp: ChargerConnection, seq: int, kind: str, at: str, wh: float | None = None, *, tx: str = "TX-1",
          trigger: str = "MeterValuePeriodic", context: str | None = None, message_id: str | None = None,
          info: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"eventType": kind, "timestamp": at, "triggerReason": trigger, "seqNo": seq,
                               "transactionInfo": {"transactionId": tx, **(info or {})}, **extra}
    if wh is not None:
        value: dict[str, Any] = {"value": wh}
        if context:
            value["context"] = context
        payload["meterValue"] = [{"timestamp": at, "sampledValue": [value]}]
    return cp.result("TransactionEvent", payload, message_id)


def started(cp: ChargerConnection, at: str = "2026-11-21T08:00:00Z", wh: float = 1000, **kw: Any) -> dict[str, Any]:
    return event(cp, 0, "Started", at, wh, trigger="Authorized", context="Transaction.Begin", idToken=TAG,
                 evse={"id": 1, "connectorId": 1}, **kw)


def ended(cp: ChargerConnection, seq: int, at: str, wh: float, **kw: Any) -> dict[str, Any]:
    return event(cp, seq, "Ended", at, wh, trigger="EVDeparted", context="Transaction.End",
                 info={"stoppedReason": "EVDisconnected"}, **kw)


def the_session(api: Api) -> dict[str, Any]:
    items = api.get("/v1/sessions").json["items"]
    assert len(items) == 1, items
    detail: dict[str, Any] = api.get(f"/v1/sessions/{items[0]['id']}").json
    return detail


def test_boot_heartbeat_and_status_are_answered_per_201(cp201: ChargerConnection, tenant_a: Api) -> None:
    boot = cp201.result("BootNotification", {"reason": "PowerUp", "chargingStation": {
        "model": "Pulsar", "vendorName": "Wallbox", "serialNumber": "W-1", "firmwareVersion": "5.1",
        "modem": {"iccid": "8931", "imsi": "2040"}}})
    assert boot["status"] == "Accepted" and boot["interval"] <= 300
    assert "currentTime" in cp201.result("Heartbeat", {})
    cp201.result("StatusNotification", {"timestamp": "2026-11-21T08:00:00Z", "connectorStatus": "Occupied",
                                        "evseId": 2, "connectorId": 1})
    charger = tenant_a.get("/v1/chargers/CP-1").json
    assert charger["protocol"] == "ocpp2.0.1"
    assert charger["boot"] == {"vendor": "Wallbox", "model": "Pulsar", "reason": "PowerUp", "serial_number": "W-1",
                               "firmware_version": "5.1", "iccid": "8931", "imsi": "2040"}
    assert charger["evses"][1]["connectors"][0]["status"] == "Occupied"


def test_authorize_answers_201_statuses(cp201: ChargerConnection, tenant_a: Api) -> None:
    tenant_a.post("/v1/tokens", {"uid": "BLOCKED-1", "status": "BLOCKED"})
    status = {uid: cp201.result("Authorize", {"idToken": {"idToken": uid, "type": "ISO14443"}})["idTokenInfo"]["status"]
              for uid in ["TAG-1", "BLOCKED-1", "NOBODY"]}
    assert status == {"TAG-1": "Accepted", "BLOCKED-1": "Blocked", "NOBODY": "Unknown"}
    free = cp201.result("Authorize", {"idToken": {"idToken": "", "type": "NoAuthorization"}})
    assert free["idTokenInfo"]["status"] == "Accepted"


def test_a_201_transaction_lands_in_the_same_sessions_as_16(cp201: ChargerConnection, tenant_a: Api) -> None:
    assert started(cp201)["idTokenInfo"]["status"] == "Accepted"
    assert cp201.result("Authorize", {"idToken": TAG})["idTokenInfo"]["status"] == "ConcurrentTx"
    event(cp201, 1, "Updated", "2026-11-21T08:30:00Z", 6000)
    live = the_session(tenant_a)
    assert (live["status"], live["energy_wh"], live["transaction_id"], live["ocpp_version"]) == (
        "ACTIVE", 5000, "TX-1", "ocpp2.0.1")
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == [live["id"]]
    ended(cp201, 2, "2026-11-21T09:00:00Z", 11000)
    session = the_session(tenant_a)
    assert {k: session[k] for k in ["status", "started_at", "stopped_at", "meter_start_wh", "meter_stop_wh",
                                    "energy_wh", "stop_reason", "token_uid", "evse_id", "connector_id"]} == {
        "status": "COMPLETED", "started_at": "2026-11-21T08:00:00.000Z", "stopped_at": "2026-11-21T09:00:00.000Z",
        "meter_start_wh": 1000, "meter_stop_wh": 11000, "energy_wh": 10000, "stop_reason": "EVDisconnected",
        "token_uid": "TAG-1", "evse_id": 1, "connector_id": 1}
    assert session["seq_gaps"] == [] and session["event_count"] == 3
    assert cp201.result("Authorize", {"idToken": TAG})["idTokenInfo"]["status"] == "Accepted"
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == []


def test_seq_gaps_and_the_offline_flag_are_recorded(cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201)
    event(cp201, 3, "Updated", "2026-11-21T08:30:00Z", 6000, offline=True)
    ended(cp201, 5, "2026-11-21T09:00:00Z", 11000, offline=True)
    session = the_session(tenant_a)
    assert session["seq_gaps"] == [1, 2, 4] and session["offline"] is True
    events = session["transaction_events"]
    assert [(e["seq_no"], e["event_type"], e["trigger_reason"], e["offline"]) for e in events] == [
        (0, "Started", "Authorized", False), (3, "Updated", "MeterValuePeriodic", True),
        (5, "Ended", "EVDeparted", True)]


def test_a_retried_ended_event_does_not_end_twice(cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201)
    first = ended(cp201, 1, "2026-11-21T09:00:00Z", 11000, message_id="end-1")
    assert ended(cp201, 1, "2026-11-21T09:00:00Z", 11000, message_id="end-1") == first
    done = the_session(tenant_a)
    # Ended again under another seqNo and later: the session keeps its first end.
    ended(cp201, 2, "2026-11-21T09:30:00Z", 15000)
    again = the_session(tenant_a)
    assert (again["stopped_at"], again["energy_wh"]) == (done["stopped_at"], done["energy_wh"]) == (
        "2026-11-21T09:00:00.000Z", 10000)


def test_events_out_of_order_or_replayed_offline_give_the_right_session(
        cp201: ChargerConnection, tenant_a: Api) -> None:
    # The queue of an offline charger arrives in the wrong order, with its original times.
    ended(cp201, 3, "2026-11-20T23:00:00Z", 21000, offline=True)
    event(cp201, 1, "Updated", "2026-11-20T22:20:00Z", 9000, offline=True)
    started(cp201, at="2026-11-20T22:00:00Z", wh=1000, offline=True)
    event(cp201, 2, "Updated", "2026-11-20T22:40:00Z", 15000, offline=True)
    session = the_session(tenant_a)
    assert (session["status"], session["started_at"], session["stopped_at"], session["energy_wh"]) == (
        "COMPLETED", "2026-11-20T22:00:00.000Z", "2026-11-20T23:00:00.000Z", 20000)
    assert session["token_uid"] == "TAG-1" and session["seq_gaps"] == []
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == []


def test_an_update_after_the_end_attaches_without_reopening(cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201)
    ended(cp201, 1, "2026-11-21T09:00:00Z", 11000)
    event(cp201, 2, "Updated", "2026-11-21T09:05:00Z", 11500, trigger="MeterValuePeriodic")
    session = the_session(tenant_a)
    assert (session["status"], session["energy_wh"]) == ("COMPLETED", 10000)
    assert [r["timestamp"] for r in session["meter_values"]][-1] == "2026-11-21T09:05:00.000Z"


def test_a_201_meter_that_reads_0_at_begin_does_not_bill_the_odometer(
        cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201, wh=0)
    event(cp201, 1, "Updated", "2026-11-21T08:15:00Z", 4_520_000)
    ended(cp201, 2, "2026-11-21T09:00:00Z", 4_535_000)
    session = the_session(tenant_a)
    assert session["energy_wh"] == 15_000 and "meter_start_corrected" in session["anomalies"]


def test_units_and_multipliers_of_201_meter_values(cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201, wh=1000)
    cp201.result("TransactionEvent", {
        "eventType": "Updated", "timestamp": "2026-11-21T08:30:00Z", "triggerReason": "MeterValuePeriodic",
        "seqNo": 1, "transactionInfo": {"transactionId": "TX-1"}, "meterValue": [{
            "timestamp": "2026-11-21T08:30:00Z", "sampledValue": [
                {"value": 6.5, "unitOfMeasure": {"unit": "kWh"}},
                {"value": 7.4, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W", "multiplier": 3}},
                {"value": 230.1, "measurand": "Voltage", "phase": "L1-N"}]}]})
    session = the_session(tenant_a)
    assert session["energy_wh"] == 5500
    power = next(v for v in session["meter_values"][-1]["values"] if v["measurand"] == "Power.Active.Import")
    assert (power["value"], power["unit"], power["multiplier"]) == ("7.4", "W", 3)


@pytest.mark.parametrize("action", ["MeterValues", "NotifyReport", "NotifyEvent", "FirmwareStatusNotification",
                                    "LogStatusNotification", "SecurityEventNotification", "DataTransfer"])
def test_the_other_201_messages_are_answered_and_kept(cp201: ChargerConnection, tenant_a: Api,
                                                      action: str) -> None:
    payloads: dict[str, dict[str, Any]] = {
        "MeterValues": {"evseId": 1, "meterValue": [{"timestamp": "2026-11-21T08:00:00Z",
                                                     "sampledValue": [{"value": 1.0}]}]},
        "NotifyReport": {"requestId": 1, "generatedAt": "2026-11-21T08:00:00Z", "seqNo": 0, "reportData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
             "variableAttribute": [{"value": "300"}]}]},
        "NotifyEvent": {"generatedAt": "2026-11-21T08:00:00Z", "seqNo": 0, "eventData": [{
            "eventId": 1, "timestamp": "2026-11-21T08:00:00Z", "trigger": "Alerting", "actualValue": "1",
            "eventNotificationType": "HardWiredNotification", "component": {"name": "EVSE"},
            "variable": {"name": "Problem"}}]},
        "FirmwareStatusNotification": {"status": "Installed"},
        "LogStatusNotification": {"status": "Uploaded", "requestId": 4},
        "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": "2026-11-21T08:00:00Z"},
        "DataTransfer": {"vendorId": "com.vendor", "data": {"x": 1}},
    }
    answer = cp201.result(action, payloads[action])
    if action == "DataTransfer":
        assert answer == {"status": "UnknownVendorId"}
    if action in {"NotifyReport", "NotifyEvent", "SecurityEventNotification", "DataTransfer"}:
        assert tenant_a.get(f"/v1/chargers/CP-1/events?type={action}").json["items"]


@pytest.mark.parametrize(("frame", "code"), [
    ('[2,"e1","Heartbeat",{"extra":1}]', "FormatViolation"),
    ('[2,"e1","StatusNotification",{"timestamp":"2026-11-21T08:00:00Z","evseId":1,"connectorId":1}]',
     "OccurrenceConstraintViolation"),
    ('[2,"e1","StatusNotification",{"timestamp":"2026-11-21T08:00:00Z","connectorStatus":"Busy","evseId":1,'
     '"connectorId":1}]', "PropertyConstraintViolation"),
    ('[2,"e1","Heartbeat"]', "RpcFrameworkError"),
    ('[2,"e1","Jump",{}]', "NotImplemented"),
    ('[2,"e1","RequestStartTransaction",{"remoteStartId":1,"idToken":{"idToken":"x","type":"Central"}}]',
     "NotSupported"),
])
def test_bad_201_calls_get_the_201_spelling(cp201: ChargerConnection, frame: str, code: str) -> None:
    reply = cp201.send_raw(frame)
    assert reply[0] == 4 and reply[2] == code, reply


def test_a_charger_offering_both_versions_speaks_201_and_its_sessions_join_16_ones(
        sender: CapturedSender, charger_a: RegisteredCharger, tenant_a: Api) -> None:
    tenant_a.post("/v1/tokens", {"uid": "TAG-1"})
    old = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password, protocols="ocpp1.6")
    old.connect()
    tx = old.result("StartTransaction", {"connectorId": 2, "idTag": "TAG-1", "meterStart": 0,
                                         "timestamp": "2026-11-21T07:00:00Z"})["transactionId"]
    old.result("StopTransaction", {"transactionId": tx, "meterStop": 500, "timestamp": "2026-11-21T07:10:00Z"})
    new = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password,
                            protocols="ocpp2.0.1,ocpp1.6")
    assert new.connect()["headers"]["Sec-WebSocket-Protocol"] == "ocpp2.0.1"
    started(new)
    ended(new, 1, "2026-11-21T09:00:00Z", 2000)
    versions = sorted(s["ocpp_version"] for s in tenant_a.get("/v1/sessions?status=COMPLETED").json["items"])
    assert versions == ["ocpp1.6", "ocpp2.0.1"]


def test_a_huge_seqno_jump_is_reported_without_building_the_range(
        cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201)
    event(cp201, 2**40, "Updated", "2026-11-21T08:30:00Z", 6000)
    ended(cp201, 2**40 + 2, "2026-11-21T09:00:00Z", 11000)
    session = the_session(tenant_a)
    assert session["status"] == "COMPLETED" and session["seq_gaps"][:2] == [1, 2]
    assert len(session["seq_gaps"]) == 100  # reported up to a cap


def test_a_token_presented_after_plug_in_is_checked_and_held(
        cp201: ChargerConnection, tenant_a: Api) -> None:
    tenant_a.post("/v1/tokens", {"uid": "BLOCKED-1", "status": "BLOCKED"})
    event(cp201, 0, "Started", "2026-11-21T08:00:00Z", 1000, trigger="CablePluggedIn", context="Transaction.Begin",
          evse={"id": 1, "connectorId": 1})
    late = event(cp201, 1, "Updated", "2026-11-21T08:01:00Z", 1100, trigger="Authorized", idToken=TAG)
    assert late["idTokenInfo"]["status"] == "Accepted"
    assert cp201.result("Authorize", {"idToken": TAG})["idTokenInfo"]["status"] == "ConcurrentTx"
    assert the_session(tenant_a)["authorization"] == "ACCEPTED"
    event(cp201, 0, "Started", "2026-11-21T10:00:00Z", 1000, tx="TX-2", trigger="CablePluggedIn",
          evse={"id": 2, "connectorId": 1})
    blocked = event(cp201, 1, "Updated", "2026-11-21T10:01:00Z", 1100, tx="TX-2", trigger="Authorized",
                    idToken={"idToken": "BLOCKED-1", "type": "ISO14443"})
    assert blocked["idTokenInfo"]["status"] == "Blocked"
    second = next(s for s in tenant_a.get("/v1/sessions").json["items"] if s["transaction_id"] == "TX-2")
    assert second["authorization"] == "BLOCKED"


def test_a_seqno_reused_after_a_reboot_keeps_both_events(cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201, wh=1000)
    event(cp201, 1, "Updated", "2026-11-21T08:30:00Z", 6000)
    # The charger rebooted mid-transaction and counts seqNo from 0 again.
    event(cp201, 0, "Updated", "2026-11-21T08:40:00Z", 8000, trigger="Trigger")
    ended(cp201, 1, "2026-11-21T09:00:00Z", 11000)
    session = the_session(tenant_a)
    assert (session["meter_start_wh"], session["energy_wh"]) == (1000, 10000)


def test_an_update_without_evse_first_places_the_session_when_its_evse_arrives(
        cp201: ChargerConnection, tenant_a: Api) -> None:
    event(cp201, 1, "Updated", "2026-11-21T08:10:00Z", 2000)  # ahead of its Started, no evse
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == []
    started(cp201)
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == [the_session(tenant_a)["id"]]
    ended(cp201, 2, "2026-11-21T09:00:00Z", 11000)
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == []


def test_201_meter_values_of_the_evse_join_its_session(cp201: ChargerConnection, tenant_a: Api) -> None:
    started(cp201, wh=1000)
    cp201.result("MeterValues", {"evseId": 1, "meterValue": [{"timestamp": "2026-11-21T08:30:00Z",
                                                             "sampledValue": [{"value": 6000}]}]})
    cp201.result("MeterValues", {"evseId": 2, "meterValue": [{"timestamp": "2026-11-21T08:30:00Z",
                                                             "sampledValue": [{"value": 99999}]}]})
    assert the_session(tenant_a)["energy_wh"] == 5000
