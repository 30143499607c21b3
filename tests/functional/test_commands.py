"""POST /v1/chargers/{id}/commands and GET /v1/commands/{id}, for 1.6 and 2.0.1 chargers."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from chalicelib.ocpp import schemas
from tests.functional.conftest import Api, RegisteredCharger
from tests.functional.ocpp import CapturedSender, ChargerConnection


def send(api: Api, action: str, payload: dict[str, Any] | None = None, query: str = "") -> Any:
    body: dict[str, Any] = {"action": action}
    if payload is not None:
        body["payload"] = payload
    return api.post(f"/v1/chargers/CP-1/commands{query}", body)


def last_call(cp: ChargerConnection) -> list[Any]:
    calls = cp.platform_calls()
    assert calls, "the platform sent nothing"
    return calls[-1]  # type: ignore[no-any-return]


def answer(cp: ChargerConnection, call: list[Any], payload: dict[str, Any]) -> None:
    assert cp.send_raw(f'[3,"{call[1]}",{_json(payload)}]') is None


def _json(data: Any) -> str:
    import json

    return json.dumps(data)


VERBS_16 = [
    ("start", {"token_uid": "TAG-1", "evse_id": 2}, "RemoteStartTransaction", {"idTag": "TAG-1", "connectorId": 2}),
    ("reset", {"type": "hard"}, "Reset", {"type": "Hard"}),
    ("reset", None, "Reset", {"type": "Soft"}),
    ("unlock", {"evse_id": 2}, "UnlockConnector", {"connectorId": 2}),
    ("availability", {"operative": False}, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}),
    ("trigger", {"message": "MeterValues", "evse_id": 1}, "TriggerMessage",
     {"requestedMessage": "MeterValues", "connectorId": 1}),
    ("reserve", {"token_uid": "TAG-1", "expires_at": "2026-11-21T10:00:00Z", "evse_id": 1, "reservation_id": 7},
     "ReserveNow", {"connectorId": 1, "expiryDate": "2026-11-21T10:00:00.000Z", "idTag": "TAG-1",
                    "reservationId": 7}),
    ("cancel_reservation", {"reservation_id": 7}, "CancelReservation", {"reservationId": 7}),
    ("get_configuration", {"keys": ["HeartbeatInterval"]}, "GetConfiguration", {"key": ["HeartbeatInterval"]}),
    ("set_configuration", {"key": "HeartbeatInterval", "value": "300"}, "ChangeConfiguration",
     {"key": "HeartbeatInterval", "value": "300"}),
    ("set_charging_profile", {"evse_id": 1, "profile": {
        "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative", "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0}]}}}, "SetChargingProfile", None),
    ("clear_charging_profile", {"profile_id": 1}, "ClearChargingProfile", {"id": 1}),
    ("update_firmware", {"location": "https://fw.example/eve.bin", "retrieve_at": "2026-11-22T02:00:00Z"},
     "UpdateFirmware", {"location": "https://fw.example/eve.bin", "retrieveDate": "2026-11-22T02:00:00.000Z"}),
    ("get_diagnostics", {"location": "ftp://logs.example/"}, "GetDiagnostics", {"location": "ftp://logs.example/"}),
    ("data_transfer", {"vendor_id": "com.alfen", "message_id": "x", "data": {"a": 1}}, "DataTransfer",
     {"vendorId": "com.alfen", "messageId": "x", "data": '{"a":1}'}),
    ("ClearCache", None, "ClearCache", {}),
    ("GetLocalListVersion", None, "GetLocalListVersion", {}),
]


@pytest.mark.parametrize(("verb", "payload", "action", "expected"), VERBS_16, ids=[f"{v[0]}-{v[2]}" for v in VERBS_16])
def test_each_verb_becomes_its_16_call(cp: ChargerConnection, tenant_a: Api, verb: str, payload: Any,
                                       action: str, expected: Any) -> None:
    reply = send(tenant_a, verb, payload)
    assert reply.status == 202, reply.json
    assert reply.json["status"] == "pending" and reply.json["id"].startswith("cmd_")
    call = last_call(cp)
    assert (call[1], call[2]) == (reply.json["id"], action)
    if expected is not None:
        assert call[3] == expected
    schemas.validate_request("ocpp1.6", action, call[3])


VERBS_201 = [
    ("start", {"token_uid": "TAG-1", "evse_id": 1}, "RequestStartTransaction"),
    ("stop", {"transaction_id": "TX-1"}, "RequestStopTransaction"),
    ("reset", {"type": "hard"}, "Reset"),
    ("unlock", {"evse_id": 1}, "UnlockConnector"),
    ("availability", {"operative": True, "evse_id": 1}, "ChangeAvailability"),
    ("trigger", {"message": "StatusNotification", "evse_id": 1, "connector_id": 1}, "TriggerMessage"),
    ("reserve", {"token_uid": "TAG-1", "expires_at": "2026-11-21T10:00:00Z"}, "ReserveNow"),
    ("cancel_reservation", {"reservation_id": 3}, "CancelReservation"),
    ("get_configuration", {"keys": ["OCPPCommCtrlr.HeartbeatInterval"]}, "GetVariables"),
    ("get_configuration", None, "GetBaseReport"),
    ("set_configuration", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "300"}, "SetVariables"),
    ("clear_charging_profile", {"evse_id": 1}, "ClearChargingProfile"),
    ("update_firmware", {"location": "https://fw.example/x.bin"}, "UpdateFirmware"),
    ("get_diagnostics", {"location": "https://logs.example/"}, "GetLog"),
    ("data_transfer", {"vendor_id": "com.vendor", "data": {"k": [1, 2]}}, "DataTransfer"),
    ("GetTransactionStatus", {}, "GetTransactionStatus"),
    ("ClearCache", {}, "ClearCache"),
]


@pytest.mark.parametrize(("verb", "payload", "action"), VERBS_201, ids=[f"{v[0]}-{v[2]}" for v in VERBS_201])
def test_each_verb_becomes_its_201_call(cp201: ChargerConnection, tenant_a: Api, verb: str, payload: Any,
                                        action: str) -> None:
    reply = send(tenant_a, verb, payload)
    assert reply.status == 202, reply.json
    call = last_call(cp201)
    assert call[2] == action
    schemas.validate_request("ocpp2.0.1", action, call[3])


def test_the_charger_answer_settles_the_command(cp: ChargerConnection, tenant_a: Api) -> None:
    command = send(tenant_a, "start", {"token_uid": "TAG-1", "evse_id": 1}).json
    answer(cp, last_call(cp), {"status": "Accepted"})
    shown = tenant_a.get(f"/v1/commands/{command['id']}").json
    assert (shown["status"], shown["response"], shown["action"], shown["charger_id"]) == (
        "accepted", {"status": "Accepted"}, "start", "CP-1")
    assert shown["request"] == {"idTag": "TAG-1", "connectorId": 1} and shown["answered_at"]


def test_a_rejection_and_a_callerror_are_kept(cp: ChargerConnection, tenant_a: Api) -> None:
    rejected = send(tenant_a, "unlock", {"evse_id": 1}).json
    answer(cp, last_call(cp), {"status": "UnlockFailed"})
    failed = send(tenant_a, "reset").json
    assert cp.send_raw(f'[4,"{failed["id"]}","NotSupported","no reset here",{{}}]') is None
    assert tenant_a.get(f"/v1/commands/{rejected['id']}").json["status"] == "rejected"
    error = tenant_a.get(f"/v1/commands/{failed['id']}").json
    assert error["status"] == "error" and error["error"]["code"] == "NotSupported"


def test_a_second_answer_changes_nothing(cp: ChargerConnection, tenant_a: Api) -> None:
    command = send(tenant_a, "reset").json
    call = last_call(cp)
    answer(cp, call, {"status": "Accepted"})
    answer(cp, call, {"status": "Rejected"})
    assert tenant_a.get(f"/v1/commands/{command['id']}").json["status"] == "accepted"


def test_another_charger_cannot_answer_a_command(
        cp: ChargerConnection, tenant_a: Api, site_a: dict[str, Any], sender: CapturedSender) -> None:
    from tests.functional.conftest import register_charger

    other = register_charger(tenant_a, site_a["id"], "CP-2")
    intruder = ChargerConnection(sender, other.slug, other.id, other.password)
    assert intruder.connect()["statusCode"] == 200
    command = send(tenant_a, "reset").json
    answer(intruder, last_call(cp), {"status": "Rejected"})
    assert tenant_a.get(f"/v1/commands/{command['id']}").json["status"] == "pending"


def test_wait_returns_the_answer_as_soon_as_it_arrives(cp: ChargerConnection, tenant_a: Api) -> None:
    command = send(tenant_a, "reset").json
    call = last_call(cp)
    answering = threading.Timer(0.3, lambda: answer(cp, call, {"status": "Accepted"}))
    answering.start()
    started = time.monotonic()
    shown = tenant_a.get(f"/v1/commands/{command['id']}?wait=5").json
    answering.join()
    assert shown["status"] == "accepted" and time.monotonic() - started < 4


def test_a_command_to_an_offline_charger_is_409(charger_a: RegisteredCharger, tenant_a: Api,
                                                sender: CapturedSender) -> None:
    reply = send(tenant_a, "reset")
    assert reply.status == 409 and reply.json["error"]["code"] == "charger_offline"
    assert send(tenant_a, "reset").status == 409


def test_a_command_whose_connection_went_away_ends_offline(cp: ChargerConnection, tenant_a: Api) -> None:
    command = send(tenant_a, "reset").json
    cp.disconnect()
    assert tenant_a.get(f"/v1/commands/{command['id']}").json["status"] == "offline"


def test_a_command_the_charger_never_answers_times_out(cp: ChargerConnection, tenant_a: Api,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chalicelib.charging.commands.ANSWER_DEADLINE_S", 0)
    command = send(tenant_a, "reset").json
    assert tenant_a.get(f"/v1/commands/{command['id']}").json["status"] == "timeout"


def test_a_gone_connection_at_send_time_is_409_and_the_command_offline(
        cp: ChargerConnection, tenant_a: Api, sender: CapturedSender) -> None:
    sender.closed.append(cp.connection_id)  # the charger vanished without a $disconnect yet
    reply = send(tenant_a, "reset")
    assert reply.status == 409 and "cmd_" in reply.json["error"]["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "fly"}, "action"),
    ({"action": "BootNotification"}, "action"),  # a message only chargers send
    ({"action": "start", "payload": {}}, "payload.token_uid"),
    ({"action": "start", "payload": {"token_uid": "T", "evse_id": 9}}, "payload.evse_id"),
    ({"action": "reset", "payload": {"type": "gentle"}}, "payload.type"),
    ({"action": "stop", "payload": {}}, "payload"),
    ({"action": "Reset", "payload": {"type": "Medium"}}, "payload.type"),
    ({"action": "ChangeConfiguration", "payload": {"key": "K"}}, "payload.value"),
    ({"action": "reset", "payload": {"type": "soft", "extra": 1}}, "payload.extra"),
])
def test_bad_commands_are_refused_with_400_naming_the_field(cp: ChargerConnection, tenant_a: Api,
                                                             body: dict[str, Any], field: str) -> None:
    reply = tenant_a.post("/v1/chargers/CP-1/commands", body)
    assert reply.status == 400 and reply.json["error"]["field"] == field, reply.json
    assert cp.platform_calls() == []


def test_wait_is_at_most_20_seconds(cp: ChargerConnection, tenant_a: Api) -> None:
    assert send(tenant_a, "reset", query="?wait=21").status == 400


def test_stop_by_session_sends_the_transaction_id(cp: ChargerConnection, tenant_a: Api) -> None:
    tx = cp.result("StartTransaction", {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0,
                                        "timestamp": "2026-11-21T08:00:00Z"})["transactionId"]
    session = tenant_a.get("/v1/sessions").json["items"][0]
    assert send(tenant_a, "stop", {"session_id": session["id"]}).status == 202
    assert last_call(cp)[2:] == ["RemoteStopTransaction", {"transactionId": tx}]
    unknown = send(tenant_a, "stop", {"session_id": "ses_01m7ydx8pv596mgay4p5vgp0da"})
    assert unknown.status == 422 and unknown.json["error"]["code"] == "unknown_session"


def test_local_list_full_then_differential_with_versions(cp: ChargerConnection, tenant_a: Api) -> None:
    tenant_a.post("/v1/tokens", {"uid": "TAG-2", "group_id": "FLEET"})
    full = send(tenant_a, "local_list", {"mode": "full"}).json
    call = last_call(cp)
    assert call[2] == "SendLocalList" and call[3]["listVersion"] == 1 and call[3]["updateType"] == "Full"
    assert {e["idTag"]: e["idTagInfo"]["status"] for e in call[3]["localAuthorizationList"]} == {
        "TAG-1": "Accepted", "TAG-2": "Accepted"}
    answer(cp, call, {"status": "Accepted"})
    assert tenant_a.get(f"/v1/commands/{full['id']}").json["status"] == "accepted"

    tenant_a.patch("/v1/tokens/TAG-1", {"status": "BLOCKED"})
    tenant_a.delete("/v1/tokens/TAG-2")
    tenant_a.post("/v1/tokens", {"uid": "TAG-3"})
    send(tenant_a, "local_list", {"mode": "differential"})
    diff = last_call(cp)
    assert diff[3]["listVersion"] == 2 and diff[3]["updateType"] == "Differential"
    assert diff[3]["localAuthorizationList"] == [
        {"idTag": "TAG-1", "idTagInfo": {"status": "Blocked"}}, {"idTag": "TAG-3", "idTagInfo": {"status": "Accepted"}},
        {"idTag": "TAG-2"}]
    assert cp.send_raw(f'[3,"{diff[1]}",{{"status":"VersionMismatch"}}]') is None
    send(tenant_a, "local_list", {"mode": "differential"})
    assert last_call(cp)[3]["listVersion"] == 2  # the refused list never became the charger's


def test_local_list_for_201(cp201: ChargerConnection, tenant_a: Api) -> None:
    send(tenant_a, "local_list")
    call = last_call(cp201)
    assert call[2] == "SendLocalList" and call[3]["versionNumber"] == 1
    assert call[3]["localAuthorizationList"] == [
        {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}}]
    schemas.validate_request("ocpp2.0.1", "SendLocalList", call[3])


def test_after_a_reconnect_the_platform_asks_for_fresh_statuses_once(
        sender: CapturedSender, charger_a: RegisteredCharger, cp: ChargerConnection, tenant_a: Api) -> None:
    cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging",
                                     "timestamp": "2026-11-21T08:00:00Z"})
    assert cp.platform_calls() == []  # a first connection is not asked
    cp.disconnect()
    back = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password)
    assert back.connect()["statusCode"] == 200
    back.result("Heartbeat", {})
    back.result("Heartbeat", {})
    calls = back.platform_calls()
    assert [(c[2], c[3]) for c in calls] == [("TriggerMessage", {"requestedMessage": "StatusNotification"})]
    answer(back, calls[0], {"status": "Accepted"})
    # The status that changed while it was offline arrives and corrects the stale one.
    back.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                                       "timestamp": "2026-11-21T09:00:00Z"})
    assert tenant_a.get("/v1/chargers/CP-1").json["evses"][0]["connectors"][0]["status"] == "Available"


def test_a_remote_start_is_linked_to_the_201_session_it_started(cp201: ChargerConnection, tenant_a: Api) -> None:
    send(tenant_a, "start", {"token_uid": "TAG-1", "evse_id": 1})
    call = last_call(cp201)
    answer(cp201, call, {"status": "Accepted"})
    cp201.result("TransactionEvent", {
        "eventType": "Started", "timestamp": "2026-11-21T08:00:00Z", "triggerReason": "RemoteStart", "seqNo": 0,
        "transactionInfo": {"transactionId": "TX-R", "remoteStartId": call[3]["remoteStartId"]},
        "idToken": {"idToken": "TAG-1", "type": "ISO14443"}, "evse": {"id": 1, "connectorId": 1}})
    session = tenant_a.get("/v1/sessions").json["items"][0]
    assert session["remote_start_id"] == call[3]["remoteStartId"]


@pytest.mark.parametrize(("action", "answer_payload", "status"), [
    ("set_configuration", {"setVariableResult": [{"attributeStatus": "Rejected", "component": {"name": "X"},
                                                  "variable": {"name": "Y"}}]}, "rejected"),
    ("set_configuration", {"setVariableResult": [{"attributeStatus": "Accepted", "component": {"name": "X"},
                                                  "variable": {"name": "Y"}}]}, "accepted"),
    ("get_configuration", {"getVariableResult": [{"attributeStatus": "UnknownVariable", "component": {"name": "X"},
                                                  "variable": {"name": "Y"}}]}, "rejected"),
])
def test_201_variable_results_decide_the_status(cp201: ChargerConnection, tenant_a: Api, action: str,
                                                answer_payload: dict[str, Any], status: str) -> None:
    payload = {"key": "X.Y", "value": "1"} if action == "set_configuration" else {"keys": ["X.Y"]}
    command = send(tenant_a, action, payload).json
    answer(cp201, last_call(cp201), answer_payload)
    assert tenant_a.get(f"/v1/commands/{command['id']}").json["status"] == status


def test_a_local_list_too_large_for_one_message_is_refused_clearly(
        cp: ChargerConnection, tenant_a: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chalicelib.ocpp.commands.MAX_MESSAGE_BYTES", 200)
    tenant_a.post("/v1/tokens", {"uid": "TAG-2"})
    tenant_a.post("/v1/tokens", {"uid": "TAG-3"})
    reply = send(tenant_a, "local_list")
    assert reply.status == 422 and reply.json["error"]["code"] == "message_too_large"
    assert cp.platform_calls() == []


def test_messages_only_chargers_send_cannot_be_sent_to_them(cp: ChargerConnection, tenant_a: Api) -> None:
    for action in ["SignCertificate", "StartTransaction", "Heartbeat"]:
        reply = tenant_a.post("/v1/chargers/CP-1/commands", {"action": action, "payload": {}})
        assert reply.status == 400 and reply.json["error"]["field"] == "action", (action, reply.json)


def test_a_reconnected_201_charger_is_asked_connector_by_connector(
        sender: CapturedSender, charger_a: RegisteredCharger, cp201: ChargerConnection) -> None:
    cp201.result("Heartbeat", {})
    cp201.disconnect()
    back = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password, protocols="ocpp2.0.1")
    back.connect()
    back.result("Heartbeat", {})
    asked = [(c[2], c[3]) for c in back.platform_calls()]
    assert asked == [("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": n, "connectorId": 1}})
                     for n in (1, 2)]
    for call in back.platform_calls():
        schemas.validate_request("ocpp2.0.1", "TriggerMessage", call[3])


def test_a_201_status_trigger_must_name_its_connector(cp201: ChargerConnection, tenant_a: Api) -> None:
    reply = send(tenant_a, "trigger", {"message": "StatusNotification"})
    assert reply.status == 400 and reply.json["error"]["field"] == "payload.connector_id"
