"""What a charger reports about itself while connected: its connection, boot data, and the status of
each connector. Written by the OCPP handlers, shown by the REST API next to the charger's configuration."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from chalicelib.clock import parse_rfc3339, utc_now

CHARGER_LEVEL = "0"
# API Gateway's limit on a WebSocket connection's life, with a little slack for clock skew.
MAX_CONNECTION_AGE = timedelta(hours=2, minutes=1)  # OCPP connector 0 / no EVSE: the charger as a whole


def connector_key(evse_id: int, connector_id: int | None) -> str:
    """Where a status is kept: `"{evse}/{connector}"`, `"{evse}"` for a whole EVSE, `"0"` for the charger."""
    if evse_id == 0:
        return CHARGER_LEVEL
    return f"{evse_id}" if connector_id is None else f"{evse_id}/{connector_id}"


class ConnectorStatus(BaseModel):
    status: str  # as the charger's protocol names it (1.6 ChargePointStatus, 2.0.1 ConnectorStatus)
    error_code: str | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    timestamp: str  # the charger's clock: a replayed older status never replaces a newer one


class ChargerLive(BaseModel):
    connection_id: str | None = None  # the current connection; None when offline
    protocol: str | None = None
    connected_at: str | None = None
    disconnected_at: str | None = None
    last_seen: str | None = None
    boot: dict[str, str] | None = None
    booted_at: str | None = None
    connectors: dict[str, ConnectorStatus] = {}
    active_sessions: dict[str, str] = {}  # connector key -> session id
    firmware_status: str | None = None
    diagnostics_status: str | None = None
    status_refreshed_for: str | None = None

    @property
    def is_online(self) -> bool:
        """Connected now. API Gateway ends every connection within 2 hours and delivers `$disconnect`
        only on a best-effort basis, so a connection older than that is gone even if no `$disconnect`
        said so."""
        if self.connection_id is None or self.connected_at is None:
            return False
        age = utc_now() - parse_rfc3339(self.connected_at)
        return age <= MAX_CONNECTION_AGE


class ChargerEvent(BaseModel):
    charger_id: str
    type: str  # the OCPP action that reported it (StatusNotification, DataTransfer, ...)
    timestamp: str  # the charger's time when it gave one, else when the platform received it
    received_at: str
    message_id: str
    data: dict[str, Any]
