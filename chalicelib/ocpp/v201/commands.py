"""The command verbs as OCPP 2.0.1 calls."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.charging.models import Charger
from chalicelib.clock import rfc3339, utc_now
from chalicelib.errors import InvalidInput
from chalicelib.ocpp import verbs as v

Call = tuple[str, dict[str, Any]]
_TOKEN_TYPE = "ISO14443"  # how the platform's RFID uids are presented; eMAIDs and app tokens use Central


def id_token(uid: str, token_type: str = _TOKEN_TYPE) -> dict[str, str]:
    return {"idToken": uid, "type": token_type}


def _evse(evse_id: int | None, connector_id: int | None) -> dict[str, int]:
    evse = {"id": evse_id or 0}
    if connector_id is not None:
        evse["connectorId"] = connector_id
    return evse


def _variable(key: str) -> dict[str, Any]:
    """`Component.Variable` (or `Component.Variable.Instance`) as 2.0.1's component and variable."""
    component, _, rest = key.partition(".")
    if not component or not rest:
        raise InvalidInput("2.0.1 keys are Component.Variable, e.g. OCPPCommCtrlr.HeartbeatInterval",
                           code="invalid_field", field="payload.key")
    name, _, instance = rest.partition(".")
    variable: dict[str, Any] = {"name": name}
    if instance:
        variable["instance"] = instance
    return {"component": {"name": component}, "variable": variable}


def build_call(verb: str, p: Any, charger: Charger, transaction_id: str | None, new_id: Callable[[], int]) -> Call:
    """(OCPP action, payload) for a verb whose payload was validated by its model in `verbs`."""
    if isinstance(p, v.StartIn):
        payload: dict[str, Any] = {"idToken": id_token(p.token_uid, p.token_type), "remoteStartId": new_id()}
        if p.evse_id is not None:
            payload["evseId"] = p.evse_id
        if p.charging_profile is not None:
            payload["chargingProfile"] = p.charging_profile
        return "RequestStartTransaction", payload
    if isinstance(p, v.StopIn):
        return "RequestStopTransaction", {"transactionId": transaction_id}
    if isinstance(p, v.ResetIn):
        return "Reset", {"type": "Immediate" if p.type == "hard" else "OnIdle"}
    if isinstance(p, v.UnlockIn):
        return "UnlockConnector", {"evseId": p.evse_id, "connectorId": p.connector_id}
    if isinstance(p, v.AvailabilityIn):
        payload = {"operationalStatus": "Operative" if p.operative else "Inoperative"}
        if p.evse_id is not None:
            payload["evse"] = _evse(p.evse_id, p.connector_id)
        return "ChangeAvailability", payload
    if isinstance(p, v.TriggerIn):
        if p.message == "StatusNotification" and (p.evse_id is None or p.connector_id is None):
            # OCPP 2.0.1 F06.FR.13: statuses are asked for connector by connector.
            raise InvalidInput("a 2.0.1 StatusNotification trigger names its evse_id and connector_id",
                               code="missing_field", field="payload.connector_id")
        payload = {"requestedMessage": p.message}
        if p.evse_id is not None:
            payload["evse"] = _evse(p.evse_id, p.connector_id)
        return "TriggerMessage", payload
    if isinstance(p, v.ReserveIn):
        payload = {"id": p.reservation_id if p.reservation_id is not None else new_id(),
                   "expiryDateTime": rfc3339(p.expires_at), "idToken": id_token(p.token_uid)}
        if p.evse_id is not None:
            payload["evseId"] = p.evse_id
        return "ReserveNow", payload
    if isinstance(p, v.CancelReservationIn):
        return "CancelReservation", {"reservationId": p.reservation_id}
    if isinstance(p, v.GetConfigurationIn):
        if not p.keys:
            return "GetBaseReport", {"requestId": new_id(), "reportBase": "FullInventory"}
        return "GetVariables", {"getVariableData": [_variable(key) for key in p.keys]}
    if isinstance(p, v.SetConfigurationIn):
        return "SetVariables", {"setVariableData": [{**_variable(p.key), "attributeValue": p.value}]}
    if isinstance(p, v.ChargingProfileIn):
        return "SetChargingProfile", {"evseId": p.evse_id, "chargingProfile": p.profile}
    if isinstance(p, v.ClearChargingProfileIn):
        payload = {}
        if p.profile_id is not None:
            payload["chargingProfileId"] = p.profile_id
        criteria: dict[str, Any] = {}
        if p.evse_id is not None:
            criteria["evseId"] = p.evse_id
        if p.purpose is not None:
            criteria["chargingProfilePurpose"] = p.purpose
        if p.stack_level is not None:
            criteria["stackLevel"] = p.stack_level
        if criteria:
            payload["chargingProfileCriteria"] = criteria
        return "ClearChargingProfile", payload
    if isinstance(p, v.UpdateFirmwareIn):
        payload = {"requestId": new_id(), "firmware": {
            "location": p.location, "retrieveDateTime": rfc3339(p.retrieve_at or utc_now())}}
        payload.update(v.retry_fields(p.retries, p.retry_interval_s))
        return "UpdateFirmware", payload
    if isinstance(p, v.DiagnosticsIn):
        log: dict[str, Any] = {"remoteLocation": p.location}
        if p.start_at:
            log["oldestTimestamp"] = rfc3339(p.start_at)
        if p.stop_at:
            log["latestTimestamp"] = rfc3339(p.stop_at)
        payload = {"logType": "DiagnosticsLog", "requestId": new_id(), "log": log}
        payload.update(v.retry_fields(p.retries, p.retry_interval_s))
        return "GetLog", payload
    if isinstance(p, v.DataTransferIn):
        payload = {"vendorId": p.vendor_id}
        if p.message_id is not None:
            payload["messageId"] = p.message_id
        if p.data is not None:
            payload["data"] = p.data
        return "DataTransfer", payload
    raise InvalidInput(f"{verb} has no OCPP 2.0.1 call", code="unknown_action", field="action")


def local_list_call(version: int, full: bool, entries: list[tuple[str, dict[str, Any] | None]]) -> Call:
    """SendLocalList: entries are (uid, 1.6-style idTagInfo), None removing the token (differential)."""
    items = []
    for uid, info in entries:
        item: dict[str, Any] = {"idToken": id_token(uid)}
        if info is not None:
            converted: dict[str, Any] = {"status": info["status"]}
            if "expiryDate" in info:
                converted["cacheExpiryDateTime"] = info["expiryDate"]
            if "parentIdTag" in info:
                converted["groupIdToken"] = {"idToken": info["parentIdTag"], "type": "Central"}
            item["idTokenInfo"] = converted
        items.append(item)
    payload: dict[str, Any] = {"versionNumber": version, "updateType": "Full" if full else "Differential"}
    if items:
        payload["localAuthorizationList"] = items
    return "SendLocalList", payload
