"""The verbs of `POST /v1/chargers/{id}/commands`, with version-neutral payloads; each protocol package
translates them into its own OCPP calls (`v16/commands.py`, `v201/commands.py`)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from chalicelib.validation import InputModel

MAX_WAIT_S = 20  # the longest a request waits for a charger's answer (API Gateway allows 29 s)
EvseId = Field(default=None, ge=1, le=32)
ConnectorId = Field(default=None, ge=1, le=8)


class CommandIn(InputModel):
    action: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)


class StartIn(InputModel):
    token_uid: str = Field(min_length=1, max_length=36)
    # OCPP 2.0.1 IdTokenEnumType of the token (1.6 has none): RFID cards ISO14443, tokens the platform
    # made (a driver's payment) Central.
    token_type: Literal["ISO14443", "ISO15693", "Central", "eMAID", "KeyCode", "Local", "MacAddress"] = "ISO14443"
    evse_id: int | None = EvseId
    connector_id: int | None = ConnectorId
    charging_profile: dict[str, Any] | None = None  # as the charger's OCPP version defines it


class StopIn(InputModel):
    session_id: str | None = None
    transaction_id: str | None = Field(default=None, min_length=1, max_length=36)

    @model_validator(mode="after")
    def _one(self) -> StopIn:
        if (self.session_id is None) == (self.transaction_id is None):
            raise ValueError("give session_id or transaction_id")
        return self


class ResetIn(InputModel):
    type: Literal["soft", "hard"] = "soft"


class UnlockIn(InputModel):
    evse_id: int = Field(default=1, ge=1, le=32)
    connector_id: int = Field(default=1, ge=1, le=8)


class AvailabilityIn(InputModel):
    operative: bool
    evse_id: int | None = EvseId
    connector_id: int | None = ConnectorId


class TriggerIn(InputModel):
    message: str = Field(min_length=1, max_length=64)  # an OCPP message name, e.g. StatusNotification
    evse_id: int | None = EvseId
    connector_id: int | None = ConnectorId


class ReserveIn(InputModel):
    token_uid: str = Field(min_length=1, max_length=36)
    expires_at: AwareDatetime
    evse_id: int | None = EvseId
    connector_id: int | None = ConnectorId
    reservation_id: int | None = Field(default=None, ge=0, le=2**31 - 1)


class CancelReservationIn(InputModel):
    reservation_id: int = Field(ge=0, le=2**31 - 1)


class GetConfigurationIn(InputModel):
    keys: list[str] | None = Field(default=None, max_length=100)  # 2.0.1: "Component.Variable"


class SetConfigurationIn(InputModel):
    key: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=1000)


class ChargingProfileIn(InputModel):
    evse_id: int = Field(default=0, ge=0, le=32)  # 0: the whole charger
    profile: dict[str, Any]  # as the charger's OCPP version defines it


class ClearChargingProfileIn(InputModel):
    profile_id: int | None = None
    evse_id: int | None = Field(default=None, ge=0, le=32)
    purpose: str | None = None
    stack_level: int | None = Field(default=None, ge=0)


class UpdateFirmwareIn(InputModel):
    location: str = Field(min_length=1, max_length=512)
    retrieve_at: AwareDatetime | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_interval_s: int | None = Field(default=None, ge=0)


class DiagnosticsIn(InputModel):
    location: str = Field(min_length=1, max_length=512)
    start_at: AwareDatetime | None = None
    stop_at: AwareDatetime | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_interval_s: int | None = Field(default=None, ge=0)


class DataTransferIn(InputModel):
    vendor_id: str = Field(min_length=1, max_length=255)
    message_id: str | None = Field(default=None, max_length=50)
    data: Any = None


class LocalListIn(InputModel):
    mode: Literal["full", "differential"] = "full"


VERBS: dict[str, type[InputModel]] = {
    "start": StartIn, "stop": StopIn, "reset": ResetIn, "unlock": UnlockIn, "availability": AvailabilityIn,
    "trigger": TriggerIn, "reserve": ReserveIn, "cancel_reservation": CancelReservationIn,
    "get_configuration": GetConfigurationIn, "set_configuration": SetConfigurationIn,
    "set_charging_profile": ChargingProfileIn, "clear_charging_profile": ClearChargingProfileIn,
    "update_firmware": UpdateFirmwareIn, "get_diagnostics": DiagnosticsIn, "data_transfer": DataTransferIn,
    "local_list": LocalListIn,
}


def retry_fields(retries: int | None, interval_s: int | None) -> dict[str, int]:
    """OCPP's `retries` and `retryInterval` (firmware and log uploads), where given."""
    fields = {}
    if retries is not None:
        fields["retries"] = retries
    if interval_s is not None:
        fields["retryInterval"] = interval_s
    return fields
