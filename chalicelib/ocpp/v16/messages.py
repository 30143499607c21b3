"""OCPP 1.6 charger-to-platform messages, translated to the version-neutral station service and back.

Every handler receives a payload already validated against the `ocpp` package's 1.6 schema and
returns the response payload. Times in payloads are the charger's; 1.6 connectorIds are numbered across
the charger's connectors in the order it was registered with (EVSE by EVSE).
"""
from __future__ import annotations

from typing import Any

from chalicelib.charging.live import ConnectorStatus
from chalicelib.charging.meter import MeterReading, SampledValue
from chalicelib.charging.models import Charger
from chalicelib.charging.sessions import Authorization
from chalicelib.charging.station import ConnectorRef, TokenVerdict, TransactionStart, TransactionStop
from chalicelib.clock import now_rfc3339
from chalicelib.ocpp.frames import CallRejected, Rpc
from chalicelib.ocpp.messages import HEARTBEAT_INTERVAL_S, ChargerMessages, time_field

PROTOCOL = "ocpp1.6"

_STATUS = {
    Authorization.ACCEPTED: "Accepted", Authorization.BLOCKED: "Blocked", Authorization.EXPIRED: "Expired",
    Authorization.INVALID: "Invalid", Authorization.CONCURRENT_TX: "ConcurrentTx",
    Authorization.UNKNOWN: "Invalid",  # 1.6 has no Unknown
}
_BOOT_FIELDS = {
    "chargePointVendor": "vendor", "chargePointModel": "model", "chargePointSerialNumber": "serial_number",
    "chargeBoxSerialNumber": "charge_box_serial_number", "firmwareVersion": "firmware_version",
    "iccid": "iccid", "imsi": "imsi", "meterType": "meter_type", "meterSerialNumber": "meter_serial_number",
}
# Messages are idempotent by their own keys, at no extra cost: a StartTransaction by its start record
# (connector, idTag, timestamp, meterStart), a StopTransaction by the session it closes, readings and
# statuses by the message and the charger's time. Those whose record can only carry the time the
# platform received them are answered once (Powertools idempotency, for a few minutes), so that a
# retry does not add a second record. Authorize and BootNotification are not: their answers must be
# current (a token blocked since, the time of day).
_RECORDED = frozenset({"DataTransfer", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
                       "LogStatusNotification", "SignedFirmwareStatusNotification"})


def is_replay_recorded(action: str, payload: dict[str, Any]) -> bool:
    return action in _RECORDED or (action == "StatusNotification" and "timestamp" not in payload)


def connector_ref(charger: Charger, connector_id: int, *, whole_charger: bool = True) -> ConnectorRef:
    """1.6 connectorId k: the charger's k-th connector counted EVSE by EVSE; 0 is the charger itself.
    A connector the charger was not registered with is refused: the operator registers it first."""
    if connector_id == 0 and whole_charger:
        return ConnectorRef(0, None, 0)
    position = 0
    for evse in charger.evses:
        for connector in evse.connectors:
            position += 1
            if position == connector_id:
                return ConnectorRef(evse.id, connector.id, connector_id)
    raise CallRejected(Rpc.PROPERTY_CONSTRAINT_VIOLATION,
                       f"connectorId {connector_id} is not a connector this charger is registered with",
                       {"field": "connectorId"})


def id_tag_info(verdict: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": _STATUS[verdict.authorization]}
    if verdict.expires_at:
        info["expiryDate"] = verdict.expires_at
    if verdict.group_id:
        info["parentIdTag"] = verdict.group_id
    return info


def meter_readings(meter_values: list[dict[str, Any]], field: str) -> list[MeterReading]:
    readings = []
    for index, meter_value in enumerate(meter_values):
        timestamp = time_field(meter_value, "timestamp") if "timestamp" in meter_value else None
        if timestamp is None:
            raise CallRejected(Rpc.OCCURRENCE_CONSTRAINT_VIOLATION, f"{field}.{index}.timestamp is required")
        values = [SampledValue(**{k: v for k, v in sv.items() if k != "value"}, value=str(sv["value"]))
                  for sv in meter_value.get("sampledValue", [])]
        readings.append(MeterReading(timestamp=timestamp, values=values))
    return readings


class V16Messages(ChargerMessages):
    """OCPP 1.6's charger-to-platform actions (core, firmware and security extensions) beyond the shared ones."""

    def on_BootNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        self.station.boot({ours: str(p[theirs]) for theirs, ours in _BOOT_FIELDS.items() if theirs in p},
                          self.message_id)
        return {"status": "Accepted", "currentTime": now_rfc3339(), "interval": HEARTBEAT_INTERVAL_S}

    def on_StatusNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        connector = connector_ref(self.station.charger, p["connectorId"])
        status = ConnectorStatus(
            status=p["status"], error_code=p["errorCode"], info=p.get("info"), vendor_id=p.get("vendorId"),
            vendor_error_code=p.get("vendorErrorCode"),
            timestamp=time_field(p, "timestamp") if "timestamp" in p else now_rfc3339(),
        )
        self.station.report_status(connector, status, self.message_id)
        return {}

    def on_Authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"idTagInfo": id_tag_info(self.station.authorize(p["idTag"]))}

    def on_StartTransaction(self, p: dict[str, Any]) -> dict[str, Any]:
        connector = connector_ref(self.station.charger, p["connectorId"], whole_charger=False)
        answer = self.station.start_transaction(TransactionStart(
            connector=connector, token_uid=p["idTag"], meter_start_wh=p["meterStart"],
            timestamp=time_field(p, "timestamp"), reservation_id=p.get("reservationId"),
        ))
        return {"transactionId": int(answer.transaction_id), "idTagInfo": id_tag_info(answer.verdict)}

    def on_MeterValues(self, p: dict[str, Any]) -> dict[str, Any]:
        connector = connector_ref(self.station.charger, p["connectorId"])
        transaction_id = p.get("transactionId")
        self.station.record_meter_values(
            None if transaction_id is None else str(transaction_id), connector,
            meter_readings(p["meterValue"], "meterValue"), self.message_id,
        )
        return {}

    def on_StopTransaction(self, p: dict[str, Any]) -> dict[str, Any]:
        verdict = self.station.stop_transaction(TransactionStop(
            transaction_id=str(p["transactionId"]), token_uid=p.get("idTag"), meter_stop_wh=p["meterStop"],
            timestamp=time_field(p, "timestamp"), reason=p.get("reason", "Local"),
            readings=meter_readings(p.get("transactionData", []), "transactionData"),
        ), self.message_id)
        return {} if verdict is None else {"idTagInfo": id_tag_info(verdict)}

    def on_DiagnosticsStatusNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        self.station.report_progress("DiagnosticsStatusNotification", p["status"], self.message_id)
        return {}

    def on_SignedFirmwareStatusNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        self.station.report_progress("FirmwareStatusNotification", p["status"], self.message_id)
        return {}
