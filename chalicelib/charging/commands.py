"""Commands from the platform to a charger (remote start, reset, ...), version-neutral. Pure.

A command is sent as an OCPP CALL whose message id is the command's id; the charger's CALLRESULT or
CALLERROR arrives in a later invocation and settles it. A command never stays pending for ever: past
its deadline it is `timeout`, and when the connection it went out on is gone, `offline`.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from chalicelib.clock import parse_rfc3339, rfc3339

ANSWER_DEADLINE_S = 60  # a charger answers a CALL within seconds; OCPP suggests a timeout of this order


class CommandStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ERROR = "error"
    TIMEOUT = "timeout"
    OFFLINE = "offline"


# The `status` values of CALLRESULTs that mean the charger does (or will do) what was asked.
_ACCEPTING = {"Accepted", "Unlocked", "Scheduled", "RebootRequired", "AcceptedCanceled"}


class Command(BaseModel):
    id: str  # also the OCPP message id of the CALL
    charger_id: str
    action: str  # the verb or raw OCPP action asked for
    ocpp_action: str
    protocol: str
    connection_id: str
    status: CommandStatus = CommandStatus.PENDING
    request: dict[str, Any]
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # a CALLERROR: code, description, details
    created_at: str
    deadline_at: str
    answered_at: str | None = None
    # What the command set up, for linking later events to it (RequestStartTransaction's remoteStartId,
    # SendLocalList's version).
    context: dict[str, Any] = {}

    @property
    def is_pending(self) -> bool:
        return self.status == CommandStatus.PENDING


def new_deadline(now: datetime) -> str:
    return rfc3339(now + timedelta(seconds=ANSWER_DEADLINE_S))


def is_accepting(payload: dict[str, Any]) -> bool:
    """Whether a CALLRESULT says the charger does what was asked: its `status`, or, where an answer
    carries one result per item (2.0.1 Get/SetVariables), every item's; 1.6 GetConfiguration names the
    keys it does not know."""
    if "status" in payload:
        return payload["status"] in _ACCEPTING
    for results in ("getVariableResult", "setVariableResult"):
        if results in payload:
            return all(item.get("attributeStatus") in _ACCEPTING for item in payload[results])
    return not payload.get("unknownKey")


def answered(command: Command, payload: dict[str, Any], at: str) -> Command:
    """The command settled by the charger's CALLRESULT (a late answer to a timed-out command still counts)."""
    return command.model_copy(update={
        "status": CommandStatus.ACCEPTED if is_accepting(payload) else CommandStatus.REJECTED, "response": payload,
        "answered_at": at,
    })


def failed(command: Command, code: str, description: str, details: dict[str, Any], at: str) -> Command:
    return command.model_copy(update={
        "status": CommandStatus.ERROR, "error": {"code": code, "description": description, "details": details},
        "answered_at": at,
    })


def settled_by_time(command: Command, now: datetime, current_connection: str | None) -> Command:
    """A pending command whose connection is gone is `offline`; one past its deadline is `timeout`."""
    if not command.is_pending:
        return command
    if current_connection != command.connection_id:
        return command.model_copy(update={"status": CommandStatus.OFFLINE})
    if now >= parse_rfc3339(command.deadline_at):
        return command.model_copy(update={"status": CommandStatus.TIMEOUT})
    return command
