"""Chargers (charge points with EVSEs and connectors) and tokens, as stored and as accepted."""
from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints

from chalicelib.clock import rfc3339
from chalicelib.validation import InputModel

# The OCPP identity: OCPP 2.0.1's identifierString set (also fine for 1.6), at most 48 characters.
# ':' is left out because the identity is the HTTP Basic username, where ':' ends the username;
# ids of dots only are left out because URLs normalise them away ('/ocpp/acme/..').
CHARGE_POINT_ID = re.compile(r"^[A-Za-z0-9*\-_=+|@.]{1,48}$")


def is_charge_point_id(value: str) -> bool:
    return CHARGE_POINT_ID.match(value) is not None and value.strip(".") != ""


def _charge_point_id(value: str) -> str:
    if not is_charge_point_id(value):
        raise ValueError("must be 1 to 48 characters of A-Z a-z 0-9 * - _ = + | @ . (not only dots)")
    return value


ChargePointId = Annotated[str, AfterValidator(_charge_point_id)]
# Power ratings: a tenth of a kW at least, kept to watts (also keeps values inside DynamoDB's range).
PowerKw = Annotated[float, Field(ge=0.1, le=1000), AfterValidator(lambda kw: round(kw, 3))]


class OcppVersion(StrEnum):
    V16 = "1.6"
    V201 = "2.0.1"


class ConnectorStandard(StrEnum):
    """OCPI 2.2.1 ConnectorType."""

    CHADEMO = "CHADEMO"
    CHAOJI = "CHAOJI"
    DOMESTIC_A = "DOMESTIC_A"
    DOMESTIC_B = "DOMESTIC_B"
    DOMESTIC_C = "DOMESTIC_C"
    DOMESTIC_D = "DOMESTIC_D"
    DOMESTIC_E = "DOMESTIC_E"
    DOMESTIC_F = "DOMESTIC_F"
    DOMESTIC_G = "DOMESTIC_G"
    DOMESTIC_H = "DOMESTIC_H"
    DOMESTIC_I = "DOMESTIC_I"
    DOMESTIC_J = "DOMESTIC_J"
    DOMESTIC_K = "DOMESTIC_K"
    DOMESTIC_L = "DOMESTIC_L"
    DOMESTIC_M = "DOMESTIC_M"
    DOMESTIC_N = "DOMESTIC_N"
    DOMESTIC_O = "DOMESTIC_O"
    GBT_AC = "GBT_AC"
    GBT_DC = "GBT_DC"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    IEC_62196_T3A = "IEC_62196_T3A"
    IEC_62196_T3C = "IEC_62196_T3C"
    NEMA_5_20 = "NEMA_5_20"
    NEMA_6_30 = "NEMA_6_30"
    NEMA_6_50 = "NEMA_6_50"
    NEMA_10_30 = "NEMA_10_30"
    NEMA_10_50 = "NEMA_10_50"
    NEMA_14_30 = "NEMA_14_30"
    NEMA_14_50 = "NEMA_14_50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class PowerType(StrEnum):
    """OCPI 2.2.1 PowerType."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class ConnectorFormat(StrEnum):
    SOCKET = "SOCKET"
    CABLE = "CABLE"


class ConnectorIn(InputModel):
    standard: ConnectorStandard
    power_type: PowerType
    max_power_kw: PowerKw
    format: ConnectorFormat | None = None


class EvseIn(InputModel):
    connectors: list[ConnectorIn] = Field(min_length=1, max_length=8)


class ChargerIn(InputModel):
    id: ChargePointId
    site_id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    ocpp_version: OcppVersion | None = None  # pin the protocol; None accepts what the charger offers
    evses: list[EvseIn] = Field(min_length=1, max_length=32)
    tariff_id: str | None = Field(default=None, min_length=1, max_length=64)  # else the site's, else the tenant's


class ChargerPatch(InputModel):
    site_id: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    ocpp_version: OcppVersion | None = None
    evses: list[EvseIn] | None = Field(default=None, min_length=1, max_length=32)
    tariff_id: str | None = Field(default=None, min_length=1, max_length=64)


class Connector(BaseModel):
    id: int  # 1-based within its EVSE (OCPP 2.0.1 connectorId)
    standard: ConnectorStandard
    power_type: PowerType
    max_power_kw: float
    format: ConnectorFormat | None = None


class Evse(BaseModel):
    id: int  # 1-based (OCPP 2.0.1 evseId)
    connectors: list[Connector]


class Charger(BaseModel):
    id: str
    site_id: str
    name: str | None = None
    ocpp_version: OcppVersion | None = None
    evses: list[Evse]
    tariff_id: str | None = None
    password_hash: str
    created_at: str
    updated_at: str
    password_rotated_at: str


def number_evses(evses: list[EvseIn]) -> list[Evse]:
    """Give EVSEs and connectors their 1-based ids (OCPP 2.0.1 evseId and connectorId)."""
    return [
        Evse(id=evse_index, connectors=[
            Connector(id=connector_index, **connector.model_dump())
            for connector_index, connector in enumerate(evse.connectors, start=1)
        ])
        for evse_index, evse in enumerate(evses, start=1)
    ]


# -- tokens -------------------------------------------------------------------------------------

_TOKEN_UID = re.compile(r"^[!-~]{1,36}$")  # printable ASCII, no spaces
_UNSAFE_IN_PATH = re.compile(r"[/?#%]")


def is_token_uid(value: str) -> bool:
    return (_TOKEN_UID.match(value) is not None and not _UNSAFE_IN_PATH.search(value)
            and value.strip(".") != "")


def _token_uid(value: str) -> str:
    if not is_token_uid(value):
        raise ValueError("must be printable ASCII without spaces or / ? # % (not only dots)")
    return value


TokenUid = Annotated[str, StringConstraints(min_length=1, max_length=36), AfterValidator(_token_uid)]


class TokenType(StrEnum):
    """OCPI 2.2.1 TokenType."""

    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class TokenStatus(StrEnum):
    ACCEPTED = "ACCEPTED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"


def _utc_text(moment: AwareDatetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


class TokenIn(InputModel):
    uid: TokenUid
    type: TokenType = TokenType.RFID
    status: TokenStatus = TokenStatus.ACCEPTED
    expires_at: AwareDatetime | None = None
    group_id: TokenUid | None = None  # OCPP parentIdTag / groupIdToken
    contract_id: str | None = Field(default=None, min_length=1, max_length=36)  # eMAID
    visual_number: str | None = Field(default=None, min_length=1, max_length=64)


class TokenPatch(InputModel):
    type: TokenType | None = None
    status: TokenStatus | None = None
    expires_at: AwareDatetime | None = None
    group_id: TokenUid | None = None
    contract_id: str | None = Field(default=None, min_length=1, max_length=36)
    visual_number: str | None = Field(default=None, min_length=1, max_length=64)


class Token(BaseModel):
    uid: str
    type: TokenType
    status: TokenStatus
    expires_at: str | None = None
    group_id: str | None = None
    contract_id: str | None = None
    visual_number: str | None = None
    created_at: str
    updated_at: str


def stored_token_fields(data: dict[str, object]) -> dict[str, object]:
    """Client token fields as stored: an expiry normalised to RFC 3339 UTC."""
    if "expires_at" in data:
        data = {**data, "expires_at": _utc_text(data["expires_at"])}  # type: ignore[arg-type]
    return data
