"""OCPP-J frames, schema errors as CALLERRORs, and what $connect reads from the upgrade request (pure)."""
from __future__ import annotations

import base64

import pytest

from chalicelib.charging.models import OcppVersion
from chalicelib.ocpp import schemas
from chalicelib.ocpp.frames import (
    Call,
    CallError,
    CallRejected,
    CallResult,
    MalformedFrame,
    Rpc,
    error_code,
    parse_frame,
)
from chalicelib.ocpp.gateway import basic_credentials, choose_subprotocol, connect_target


def test_frames_of_each_type_are_read() -> None:
    assert parse_frame('[2,"1","Heartbeat",{}]') == Call("1", "Heartbeat", {})
    assert parse_frame('[3,"1",{"a":1}]') == CallResult("1", {"a": 1})
    assert parse_frame('[4,"1","NotSupported","no",{}]') == CallError("1", "NotSupported", "no", {})


@pytest.mark.parametrize(("text", "message_id"), [
    ("nope", "-1"), ("{}", "-1"), ("[]", "-1"), ('[2,"7","Heartbeat"]', "7"), ('[5,"7",{}]', "7"),
    ('[2,"' + "x" * 37 + '","Heartbeat",{}]', "x" * 37),
    ('[2,"","Heartbeat",{}]', "-1"), ('[3,"7"]', "7"), ('[4,"7","E"]', "7"),
])
def test_malformed_frames_name_the_id_to_answer_under(text: str, message_id: str) -> None:
    with pytest.raises(MalformedFrame) as bad:
        parse_frame(text)
    assert bad.value.message_id == message_id


def test_error_codes_are_spelled_as_each_version_does() -> None:
    assert error_code(Rpc.FORMAT_VIOLATION, "ocpp1.6") == "FormationViolation"
    assert error_code(Rpc.OCCURRENCE_CONSTRAINT_VIOLATION, "ocpp1.6") == "OccurenceConstraintViolation"
    assert error_code(Rpc.FORMAT_VIOLATION, "ocpp2.0.1") == "FormatViolation"
    assert error_code(Rpc.OCCURRENCE_CONSTRAINT_VIOLATION, "ocpp2.0.1") == "OccurrenceConstraintViolation"
    assert error_code(Rpc.RPC_FRAMEWORK_ERROR, "ocpp2.0.1") == "RpcFrameworkError"


@pytest.mark.parametrize(("payload", "error", "field"), [
    ({}, Rpc.OCCURRENCE_CONSTRAINT_VIOLATION, "chargePointVendor"),
    ({"chargePointVendor": 5, "chargePointModel": "M"}, Rpc.TYPE_CONSTRAINT_VIOLATION, "chargePointVendor"),
    ({"chargePointVendor": "V" * 21, "chargePointModel": "M"}, Rpc.TYPE_CONSTRAINT_VIOLATION, "chargePointVendor"),
    ({"chargePointVendor": "V", "chargePointModel": "M", "x": 1}, Rpc.FORMAT_VIOLATION, "x"),
])
def test_schema_errors_become_the_callerror_the_spec_names(payload: dict[str, object], error: Rpc, field: str) -> None:
    with pytest.raises(CallRejected) as rejected:
        schemas.validate_request("ocpp1.6", "BootNotification", payload)
    assert (rejected.value.error, rejected.value.details["field"]) == (error, field)
    assert "schema" not in rejected.value.description.lower()


def test_nested_fields_are_named_by_their_path() -> None:
    with pytest.raises(CallRejected) as rejected:
        schemas.validate_request("ocpp1.6", "MeterValues", {"connectorId": 1, "meterValue": [
            {"timestamp": "2026-11-21T08:00:00Z", "sampledValue": [{"value": "1", "unit": "Furlong"}]}]})
    assert rejected.value.error == Rpc.PROPERTY_CONSTRAINT_VIOLATION
    assert rejected.value.details["field"] == "meterValue.0.sampledValue.0.unit"


def test_decimal_fields_of_16_validate_without_float_noise() -> None:
    schemas.validate_request("ocpp1.6", "RemoteStartTransaction", {"idTag": "T", "chargingProfile": {
        "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 21.4}]}}})


@pytest.mark.parametrize(("query", "path", "target"), [
    ({"tenant": "acme", "cp": "CP-1"}, None, ("acme", "CP-1")),
    ({}, "/ocpp/acme/CP%7C1", ("acme", "CP|1")),
    ({}, "/api/ocpp/acme/CP-1/", ("acme", "CP-1")),
    ({}, "/", None), ({"tenant": "acme"}, None, None), ({}, "/ocpp/acme", None),
])
def test_the_charger_is_named_by_query_or_path(query: dict[str, str], path: str | None,
                                                 target: tuple[str, str] | None) -> None:
    assert connect_target(query, path) == target


def test_basic_credentials_are_read_strictly() -> None:
    encoded = base64.b64encode(b"CP-1:pa:ss").decode()
    assert basic_credentials(f"Basic {encoded}") == ("CP-1", "pa:ss")
    assert basic_credentials(f"basic {encoded}") == ("CP-1", "pa:ss")
    for bad in [None, "", "Bearer x", "Basic ***", "Basic " + base64.b64encode(b"no-colon").decode()]:
        assert basic_credentials(bad) is None


def test_the_subprotocol_is_the_first_offered_that_is_supported_and_allowed() -> None:
    assert choose_subprotocol("ocpp2.0.1, ocpp1.6", None) == "ocpp2.0.1"
    assert choose_subprotocol("ocpp1.6, ocpp2.0.1", None) == "ocpp1.6"
    assert choose_subprotocol("ocpp2.0.1, ocpp1.6", OcppVersion.V16) == "ocpp1.6"
    assert choose_subprotocol("ocpp1.6", OcppVersion.V201) is None
    assert choose_subprotocol(None, None) is None
