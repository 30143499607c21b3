"""OCPP-J frames (RPC framework): CALL, CALLRESULT and CALLERROR, parsed and encoded.

Errors are named once (`Rpc`) and spelled as each version's specification does: 1.6 says
`FormationViolation` and `OccurenceConstraintViolation`, 2.0.1 `FormatViolation`,
`OccurrenceConstraintViolation` and `RpcFrameworkError`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
_MAX_MESSAGE_ID = 36  # OCPP: a unique id of at most 36 characters
_UNKNOWN_ID = "-1"  # OCPP 2.0.1: the id to answer with when a frame's own id cannot be read


class Rpc(Enum):
    """CALLERROR codes, version-neutral."""

    FORMAT_VIOLATION = "format"
    GENERIC_ERROR = "generic"
    INTERNAL_ERROR = "internal"
    NOT_IMPLEMENTED = "not_implemented"
    NOT_SUPPORTED = "not_supported"
    OCCURRENCE_CONSTRAINT_VIOLATION = "occurrence"
    PROPERTY_CONSTRAINT_VIOLATION = "property"
    PROTOCOL_ERROR = "protocol"
    RPC_FRAMEWORK_ERROR = "rpc_framework"
    SECURITY_ERROR = "security"
    TYPE_CONSTRAINT_VIOLATION = "type"


_SPELLING_16 = {
    Rpc.FORMAT_VIOLATION: "FormationViolation",
    Rpc.GENERIC_ERROR: "GenericError",
    Rpc.INTERNAL_ERROR: "InternalError",
    Rpc.NOT_IMPLEMENTED: "NotImplemented",
    Rpc.NOT_SUPPORTED: "NotSupported",
    Rpc.OCCURRENCE_CONSTRAINT_VIOLATION: "OccurenceConstraintViolation",
    Rpc.PROPERTY_CONSTRAINT_VIOLATION: "PropertyConstraintViolation",
    Rpc.PROTOCOL_ERROR: "ProtocolError",
    Rpc.RPC_FRAMEWORK_ERROR: "ProtocolError",  # 1.6 has no RpcFrameworkError
    Rpc.SECURITY_ERROR: "SecurityError",
    Rpc.TYPE_CONSTRAINT_VIOLATION: "TypeConstraintViolation",
}
_SPELLING_201 = {
    **_SPELLING_16,
    Rpc.FORMAT_VIOLATION: "FormatViolation",
    Rpc.OCCURRENCE_CONSTRAINT_VIOLATION: "OccurrenceConstraintViolation",
    Rpc.RPC_FRAMEWORK_ERROR: "RpcFrameworkError",
}


def error_code(error: Rpc, protocol: str) -> str:
    return (_SPELLING_16 if protocol == "ocpp1.6" else _SPELLING_201)[error]


class CallRejected(Exception):
    """A CALL that is answered with a CALLERROR."""

    def __init__(self, error: Rpc, description: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description[:255]
        self.details = details or {}


class MalformedFrame(Exception):
    """A frame that is not OCPP-J at all; answered with a CALLERROR under `message_id` if one was read."""

    def __init__(self, description: str, message_id: str = _UNKNOWN_ID, error: Rpc = Rpc.RPC_FRAMEWORK_ERROR) -> None:
        super().__init__(description)
        self.description = description
        self.message_id = message_id
        self.error = error


@dataclass(frozen=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class CallError:
    message_id: str
    code: str
    description: str
    details: dict[str, Any]


Frame = Call | CallResult | CallError


def parse_frame(text: str) -> Frame:
    """Read one frame. MalformedFrame says why it is not OCPP-J (and under which id to answer)."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedFrame("message is not valid JSON") from None
    if not isinstance(frame, list) or not frame:
        raise MalformedFrame("message is not a JSON array")
    kind = frame[0]
    message_id = frame[1] if len(frame) > 1 and isinstance(frame[1], str) else _UNKNOWN_ID
    if kind == CALL:
        if len(frame) != 4 or not isinstance(frame[1], str) or not isinstance(frame[2], str):
            raise MalformedFrame("a CALL is [2, messageId, action, payload]", message_id)
        if not frame[1] or len(frame[1]) > _MAX_MESSAGE_ID:
            # Answered under the id as sent, so that the charger can match the refusal to its call.
            raise MalformedFrame("messageId must be 1 to 36 characters", frame[1] or _UNKNOWN_ID)
        if not isinstance(frame[3], dict):
            raise MalformedFrame("a CALL's payload is a JSON object", message_id, Rpc.FORMAT_VIOLATION)
        return Call(frame[1], frame[2], frame[3])
    if kind == CALLRESULT:
        if len(frame) != 3 or not isinstance(frame[1], str) or not isinstance(frame[2], dict):
            raise MalformedFrame("a CALLRESULT is [3, messageId, payload]", message_id)
        return CallResult(frame[1], frame[2])
    if kind == CALLERROR:
        if (len(frame) != 5 or not all(isinstance(x, str) for x in frame[1:4])
                or not isinstance(frame[4], dict)):
            raise MalformedFrame("a CALLERROR is [4, messageId, errorCode, errorDescription, errorDetails]",
                                 message_id)
        return CallError(frame[1], frame[2], frame[3], frame[4])
    raise MalformedFrame(f"unknown message type {kind!r}", message_id)


def encode_call_result(message_id: str, payload: dict[str, Any]) -> str:
    return json.dumps([CALLRESULT, message_id, payload], separators=(",", ":"))


def encode_call_error(message_id: str, code: str, description: str, details: dict[str, Any] | None = None) -> str:
    return json.dumps([CALLERROR, message_id, code, description, details or {}], separators=(",", ":"))


def encode_call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    return json.dumps([CALL, message_id, action, payload], separators=(",", ":"))
