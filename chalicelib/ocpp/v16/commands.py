"""The command verbs as OCPP 1.6 calls."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.charging.models import Charger
from chalicelib.clock import rfc3339, utc_now
from chalicelib.errors import InvalidInput
from chalicelib.ocpp import verbs as v

Call = tuple[str, dict[str, Any]]


def connector_id_of(charger: Charger, evse_id: int | None, connector_id: int | None) -> int:
    """The 1.6 connectorId of an EVSE's connector: its position counted EVSE by EVSE (0: the charger)."""
    if evse_id is None:
        return 0
    position = 0
    for evse in charger.evses:
        for connector in evse.connectors:
            position += 1
            if evse.id == evse_id and connector.id == (connector_id or 1):
                return position
    raise InvalidInput(f"the charger has no connector {connector_id or 1} on EVSE {evse_id}",
                       code="unknown_connector", field="payload.evse_id")


def _not_zero(connector_id: int) -> int:
    if connector_id == 0:
        raise InvalidInput("name a connector (evse_id)", code="missing_field", field="payload.evse_id")
    return connector_id


def build_call(verb: str, p: Any, charger: Charger, transaction_id: str | None, new_id: Callable[[], int]) -> Call:
    """(OCPP action, payload) for a verb whose payload was validated by its model in `verbs`."""
    if isinstance(p, v.StartIn):
        payload: dict[str, Any] = {"idTag": p.token_uid}
        if p.evse_id is not None:
            payload["connectorId"] = _not_zero(connector_id_of(charger, p.evse_id, p.connector_id))
        if p.charging_profile is not None:
            payload["chargingProfile"] = p.charging_profile
        return "RemoteStartTransaction", payload
    if isinstance(p, v.StopIn):
        if transaction_id is None or not transaction_id.lstrip("-").isdigit():
            raise InvalidInput("1.6 transaction ids are integers", code="invalid_field", field="payload.transaction_id")
        return "RemoteStopTransaction", {"transactionId": int(transaction_id)}
    if isinstance(p, v.ResetIn):
        return "Reset", {"type": p.type.capitalize()}
    if isinstance(p, v.UnlockIn):
        return "UnlockConnector", {"connectorId": _not_zero(connector_id_of(charger, p.evse_id, p.connector_id))}
    if isinstance(p, v.AvailabilityIn):
        return "ChangeAvailability", {"connectorId": connector_id_of(charger, p.evse_id, p.connector_id),
                                      "type": "Operative" if p.operative else "Inoperative"}
    if isinstance(p, v.TriggerIn):
        payload = {"requestedMessage": p.message}
        if p.evse_id is not None:
            payload["connectorId"] = connector_id_of(charger, p.evse_id, p.connector_id)
        return "TriggerMessage", payload
    if isinstance(p, v.ReserveIn):
        return "ReserveNow", {
            "connectorId": connector_id_of(charger, p.evse_id, p.connector_id), "expiryDate": rfc3339(p.expires_at),
            "idTag": p.token_uid, "reservationId": p.reservation_id if p.reservation_id is not None else new_id(),
        }
    if isinstance(p, v.CancelReservationIn):
        return "CancelReservation", {"reservationId": p.reservation_id}
    if isinstance(p, v.GetConfigurationIn):
        return "GetConfiguration", {"key": p.keys} if p.keys else {}
    if isinstance(p, v.SetConfigurationIn):
        return "ChangeConfiguration", {"key": p.key, "value": p.value}
    if isinstance(p, v.ChargingProfileIn):
        return "SetChargingProfile", {"connectorId": p.evse_id and connector_id_of(charger, p.evse_id, None),
                                      "csChargingProfiles": p.profile}
    if isinstance(p, v.ClearChargingProfileIn):
        payload = {}
        if p.profile_id is not None:
            payload["id"] = p.profile_id
        if p.evse_id is not None:
            payload["connectorId"] = p.evse_id and connector_id_of(charger, p.evse_id, None)
        if p.purpose is not None:
            payload["chargingProfilePurpose"] = p.purpose
        if p.stack_level is not None:
            payload["stackLevel"] = p.stack_level
        return "ClearChargingProfile", payload
    if isinstance(p, v.UpdateFirmwareIn):
        payload = {"location": p.location, "retrieveDate": rfc3339(p.retrieve_at or utc_now())}
        payload.update(v.retry_fields(p.retries, p.retry_interval_s))
        return "UpdateFirmware", payload
    if isinstance(p, v.DiagnosticsIn):
        payload = {"location": p.location}
        if p.start_at:
            payload["startTime"] = rfc3339(p.start_at)
        if p.stop_at:
            payload["stopTime"] = rfc3339(p.stop_at)
        payload.update(v.retry_fields(p.retries, p.retry_interval_s))
        return "GetDiagnostics", payload
    if isinstance(p, v.DataTransferIn):
        payload = {"vendorId": p.vendor_id}
        if p.message_id is not None:
            payload["messageId"] = p.message_id
        if p.data is not None:
            payload["data"] = p.data if isinstance(p.data, str) else json.dumps(p.data, separators=(",", ":"))
        return "DataTransfer", payload
    raise InvalidInput(f"{verb} has no OCPP 1.6 call", code="unknown_action", field="action")


def local_list_call(version: int, full: bool, entries: list[tuple[str, dict[str, Any] | None]]) -> Call:
    """SendLocalList: entries are (idTag, idTagInfo), with None removing the tag (differential only)."""
    items = [{"idTag": tag, **({"idTagInfo": info} if info is not None else {})} for tag, info in entries]
    return "SendLocalList", {"listVersion": version, "updateType": "Full" if full else "Differential",
                             "localAuthorizationList": items}
