"""OCPP 2.0.1 charger-to-platform messages, translated to the version-neutral station service and back.

Every handler receives a payload already validated against the `ocpp` package's 2.0.1 schema and returns
the response payload. Transactions are TransactionEvents (Started, Updated, Ended) with the charger's own
transaction id; they land in the same sessions as 1.6 transactions.
"""
from __future__ import annotations

from typing import Any

from chalicelib.charging.live import ConnectorStatus
from chalicelib.charging.meter import MeterReading, SampledValue
from chalicelib.charging.sessions import Authorization
from chalicelib.charging.station import ConnectorRef, StationService, TokenVerdict
from chalicelib.charging.transactions import EventType, TransactionEvent
from chalicelib.clock import now_rfc3339
from chalicelib.ocpp.frames import CallRejected, Rpc
from chalicelib.ocpp.messages import HEARTBEAT_INTERVAL_S, ChargerMessages, Handler, time_field

PROTOCOL = "ocpp2.0.1"
_STATUS = {
    Authorization.ACCEPTED: "Accepted", Authorization.BLOCKED: "Blocked", Authorization.EXPIRED: "Expired",
    Authorization.INVALID: "Invalid", Authorization.CONCURRENT_TX: "ConcurrentTx", Authorization.UNKNOWN: "Unknown",
}
# Answered once where the record carries only the receive time (see the 1.6 adapter); TransactionEvents
# are idempotent by their seqNo.
_RECORDED = frozenset({"DataTransfer", "FirmwareStatusNotification", "LogStatusNotification"})


def is_replay_recorded(action: str, payload: dict[str, Any]) -> bool:
    return action in _RECORDED or (action in KEPT_REPORTS and not {"generatedAt", "timestamp"} & payload.keys())


# Updates that only carry readings: on a session the container already knows, they cost one write.
_READINGS_ONLY = frozenset({"MeterValuePeriodic", "MeterValueClock", "SignedDataReceived"})
# Reports kept for the operator and answered with an empty confirmation.
KEPT_REPORTS = frozenset({
    "NotifyReport", "NotifyEvent", "NotifyMonitoringReport", "NotifyChargingLimit", "ClearedChargingLimit",
    "NotifyEVChargingNeeds", "NotifyEVChargingSchedule", "NotifyCustomerInformation", "NotifyDisplayMessages",
    "ReportChargingProfiles", "ReservationStatusUpdate", "PublishFirmwareStatusNotification",
})


def id_token_info(verdict: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": _STATUS[verdict.authorization]}
    if verdict.expires_at:
        info["cacheExpiryDateTime"] = verdict.expires_at
    if verdict.group_id:
        info["groupIdToken"] = {"idToken": verdict.group_id, "type": "Central"}
    return info


def meter_readings(meter_values: list[dict[str, Any]], field: str) -> list[MeterReading]:
    readings = []
    for meter_value in meter_values:
        values = []
        for sv in meter_value["sampledValue"]:
            unit = sv.get("unitOfMeasure", {})
            values.append(SampledValue(
                value=repr(sv["value"]) if isinstance(sv["value"], float) else str(sv["value"]),
                measurand=sv.get("measurand", "Energy.Active.Import.Register"), phase=sv.get("phase"),
                context=sv.get("context", "Sample.Periodic"), location=sv.get("location", "Outlet"),
                unit=unit.get("unit", "Wh"), multiplier=unit.get("multiplier", 0),
                format="Signed" if "signedMeterValue" in sv else "Raw",
            ))
        readings.append(MeterReading(timestamp=time_field(meter_value, "timestamp"), values=values))
    return readings


class V201Messages(ChargerMessages):
    """OCPP 2.0.1's charger-to-platform actions beyond the shared ones."""

    def __init__(self, station: StationService, message_id: str, known_transactions: set[str]) -> None:
        super().__init__(station, message_id)
        self._known = known_transactions  # transactions whose session this container has seen

    def handler(self, action: str) -> Handler | None:
        if action in KEPT_REPORTS:
            return lambda p: self._keep(action, p)
        return super().handler(action)

    def _keep(self, action: str, p: dict[str, Any]) -> dict[str, Any]:
        stamp = next((name for name in ("generatedAt", "timestamp") if name in p), None)
        self.station.record(action, dict(p), self.message_id, time_field(p, stamp) if stamp else None)
        return {}

    def on_BootNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        station = p["chargingStation"]
        boot = {"vendor": station["vendorName"], "model": station["model"], "reason": p["reason"]}
        for theirs, ours in (("serialNumber", "serial_number"), ("firmwareVersion", "firmware_version")):
            if theirs in station:
                boot[ours] = station[theirs]
        for theirs in ("iccid", "imsi"):
            if theirs in station.get("modem", {}):
                boot[theirs] = station["modem"][theirs]
        self.station.boot(boot, self.message_id)
        return {"currentTime": now_rfc3339(), "interval": HEARTBEAT_INTERVAL_S, "status": "Accepted"}

    def on_StatusNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        known = {(e.id, c.id) for e in self.station.charger.evses for c in e.connectors}
        if (p["evseId"], p["connectorId"]) not in known:
            raise CallRejected(Rpc.PROPERTY_CONSTRAINT_VIOLATION,
                               f"EVSE {p['evseId']} connector {p['connectorId']} is not registered for this charger",
                               {"field": "evseId"})
        connector = ConnectorRef(p["evseId"], p["connectorId"])
        self.station.report_status(connector, ConnectorStatus(
            status=p["connectorStatus"], timestamp=time_field(p, "timestamp")), self.message_id)
        return {}

    def on_Authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        token = p["idToken"]
        if token["type"] == "NoAuthorization":
            return {"idTokenInfo": {"status": "Accepted"}}
        return {"idTokenInfo": id_token_info(self.station.authorize(token["idToken"]))}

    def on_TransactionEvent(self, p: dict[str, Any]) -> dict[str, Any]:
        info = p["transactionInfo"]
        transaction_id = info["transactionId"]
        evse = p.get("evse", {})
        token = p.get("idToken")
        event = TransactionEvent(
            seq_no=p["seqNo"], event_type=EventType(p["eventType"]), timestamp=time_field(p, "timestamp"),
            trigger_reason=p["triggerReason"], offline=p.get("offline", False), evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"), token_uid=token["idToken"] if token else None,
            token_type=token["type"] if token else None, charging_state=info.get("chargingState"),
            stopped_reason=info.get("stoppedReason"), remote_start_id=info.get("remoteStartId"),
            readings=meter_readings(p.get("meterValue", []), "meterValue"),
        )
        readings_only = (event.event_type == EventType.UPDATED and event.trigger_reason in _READINGS_ONLY
                         and token is None and not evse and transaction_id in self._known)
        verdict = self.station.transaction_event(event, transaction_id, refresh=not readings_only)
        self._known.add(transaction_id)
        return {} if verdict is None else {"idTokenInfo": id_token_info(verdict)}

    def on_MeterValues(self, p: dict[str, Any]) -> dict[str, Any]:
        connector = ConnectorRef(p["evseId"], None)
        self.station.record_meter_values(None, connector, meter_readings(p["meterValue"], "meterValue"),
                                         self.message_id)
        return {}
