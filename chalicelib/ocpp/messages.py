"""What both OCPP versions' message adapters share: the heartbeat interval, reading a charger's
timestamp, and the messages both versions spell the same way."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.charging.station import StationService
from chalicelib.clock import charger_time, now_rfc3339
from chalicelib.ocpp.frames import CallRejected, Rpc

# At most 300 s: API Gateway closes a connection idle for 10 minutes, and a missed heartbeat must not
# be enough for that.
HEARTBEAT_INTERVAL_S = 300
Handler = Callable[[dict[str, Any]], dict[str, Any]]


def time_field(payload: dict[str, Any], name: str) -> str:
    try:
        return charger_time(str(payload[name]))
    except ValueError:
        raise CallRejected(Rpc.PROPERTY_CONSTRAINT_VIOLATION, f"{name} is not a date-time",
                           {"field": name}) from None


class ChargerMessages:
    """One method per charger-to-platform action (`on_{Action}`); a version's adapter adds its own."""

    def __init__(self, station: StationService, message_id: str) -> None:
        self.station = station
        self.message_id = message_id

    def handler(self, action: str) -> Handler | None:
        method = getattr(self, f"on_{action}", None)
        return method if callable(method) else None

    def on_Heartbeat(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": now_rfc3339()}

    def on_DataTransfer(self, p: dict[str, Any]) -> dict[str, Any]:
        # Kept for the operator to read; no vendor extension acts on it, which OCPP answers like this.
        self.station.record("DataTransfer", dict(p), self.message_id)
        return {"status": "UnknownVendorId"}

    def on_FirmwareStatusNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        self.station.report_progress("FirmwareStatusNotification", p["status"], self.message_id)
        return {}

    def on_LogStatusNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        self.station.report_progress("LogStatusNotification", p["status"], self.message_id)
        return {}

    def on_SecurityEventNotification(self, p: dict[str, Any]) -> dict[str, Any]:
        self.station.record("SecurityEventNotification", dict(p), self.message_id, time_field(p, "timestamp"))
        return {}
