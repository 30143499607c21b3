"""Sending commands to chargers and settling them with the charger's answer.

`POST /v1/chargers/{id}/commands` takes a verb (version-neutral, see `verbs.py`) or a raw OCPP action of
the charger's version. The request is validated against the OCPP schema, recorded as a pending command,
and sent through the management API with the command's id as the CALL's message id; the CALLRESULT or
CALLERROR arrives in a later invocation (`settle_answer`) and is stored.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.charging.commands import Command, CommandStatus, answered, failed, new_deadline, settled_by_time
from chalicelib.charging.models import Charger, Token
from chalicelib.charging.sessions import Authorization
from chalicelib.charging.station import TokenVerdict
from chalicelib.clock import now_rfc3339, utc_now
from chalicelib.errors import Conflict, InvalidInput, NotFound, Unprocessable
from chalicelib.identifiers import new_id
from chalicelib.observability import logger
from chalicelib.ocpp import schemas, verbs
from chalicelib.ocpp.frames import MAX_MESSAGE_BYTES, CallRejected, encode_call
from chalicelib.validation import validated

if TYPE_CHECKING:
    from chalicelib.ocpp.gateway import Sender
    from chalicelib.store.charger_state import ChargerStateRepository
    from chalicelib.store.chargers import ChargerRepository
    from chalicelib.store.commands import CommandRepository, LocalListRepository
    from chalicelib.store.sessions import SessionRepository
    from chalicelib.store.tokens import TokenRepository

_POLL_S = 0.2


def _request_id() -> int:
    """Ids the charger echoes (remoteStartId, requestId, reservationId): random, within int32."""
    return secrets.randbelow(2**31 - 1) + 1


# What only a charger sends (so the platform never does). DataTransfer goes both ways.
_CHARGER_INITIATED = {
    "ocpp1.6": frozenset({
        "Authorize", "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat",
        "MeterValues", "StartTransaction", "StatusNotification", "StopTransaction", "SecurityEventNotification",
        "SignCertificate", "LogStatusNotification", "SignedFirmwareStatusNotification",
    }),
    "ocpp2.0.1": frozenset({
        "Authorize", "BootNotification", "ClearedChargingLimit", "FirmwareStatusNotification",
        "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
        "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
        "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
        "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent",
    }),
}


def _charger_initiated(protocol: str) -> frozenset[str]:
    return _CHARGER_INITIATED[protocol]


class CommandService:
    def __init__(
        self, *, chargers: ChargerRepository, states: ChargerStateRepository, commands: CommandRepository,
        sessions: SessionRepository, tokens: TokenRepository, local_lists: LocalListRepository,
        sender: Callable[[], Sender] | None = None,
    ) -> None:
        self._chargers = chargers
        self._states = states
        self._commands = commands
        self._sessions = sessions
        self._tokens = tokens
        self._local_lists = local_lists
        self._sender = sender

    # -- sending -----------------------------------------------------------------------------------
    def send(self, charger_id: str, request: verbs.CommandIn, *, context: dict[str, Any] | None = None) -> Command:
        """Send a verb or raw action; `context` is kept with the command (e.g. the payment a remote
        start is for, which its answer then reaches)."""
        charger = self._chargers.get(charger_id)
        if charger is None:
            raise NotFound.of("charger", charger_id)
        live = self._states.get(charger_id)
        if not live.is_online or live.protocol is None or live.connection_id is None:
            raise Conflict(f"charger {charger_id} is offline", code="charger_offline")
        ocpp_action, payload, call_context = self._call_for(charger, live.protocol, request)
        context = {**call_context, **(context or {})}
        try:
            schemas.validate_request(live.protocol, ocpp_action, payload)
        except CallRejected as bad:
            field = bad.details.get("field", "")
            raise InvalidInput(f"payload: {bad.description}", code="invalid_field",
                               field=f"payload.{field}" if field else "payload") from None
        size = len(encode_call("cmd_" + "0" * 26, ocpp_action, payload).encode())
        if size > MAX_MESSAGE_BYTES:
            raise Unprocessable(f"the {ocpp_action} message would be {size // 1024} KB; API Gateway sends at most "
                                f"{MAX_MESSAGE_BYTES // 1024} KB (send a local list as differential updates)",
                                code="message_too_large", field="payload")
        now = utc_now()
        offered = context.pop("local_list", None)
        command = Command(
            id=new_id("cmd"), charger_id=charger_id, action=request.action, ocpp_action=ocpp_action,
            protocol=live.protocol, connection_id=live.connection_id, request=payload, context=context,
            created_at=now_rfc3339(), deadline_at=new_deadline(now),
        )
        if offered is not None:
            self._local_lists.offered(command.id, offered["version"], offered["entries"])
            command.context["local_list_version"] = offered["version"]
        return self.dispatch(command)

    def dispatch(self, command: Command) -> Command:
        """Record the command, then send it (so that an answer, however fast, finds it)."""
        assert self._sender is not None, "sending needs the management API"
        self._commands.add(command)
        if self._sender().send(command.connection_id, encode_call(command.id, command.ocpp_action, command.request)):
            logger.info("command sent", command_id=command.id, charger_id=command.charger_id,
                        action=command.ocpp_action)
            return command
        self._commands.update(command.id, lambda c: settled_by_time(c, utc_now(), None))  # it is `offline`
        raise Conflict(f"charger {command.charger_id} went offline (command {command.id} not delivered)",
                       code="charger_offline")

    def _call_for(self, charger: Charger, protocol: str,
                  request: verbs.CommandIn) -> tuple[str, dict[str, Any], dict[str, Any]]:
        model = verbs.VERBS.get(request.action)
        if model is None:
            if request.action in _charger_initiated(protocol) or not schemas.has_schema(protocol, request.action):
                raise InvalidInput(f"unknown action {request.action!r} for {protocol}", code="unknown_action",
                                   field="action")
            return request.action, request.payload, {}
        try:
            parsed = validated(model, request.payload)
        except InvalidInput as bad:
            raise InvalidInput(str(bad), code=bad.code, field=f"payload.{bad.field}" if bad.field else "payload") \
                from None
        version = self._version(protocol)
        if isinstance(parsed, verbs.LocalListIn):
            return self._local_list(charger, version, parsed)
        transaction_id = self._transaction_of(charger, parsed) if isinstance(parsed, verbs.StopIn) else None
        action, payload = version.build_call(request.action, parsed, charger, transaction_id, _request_id)
        context = {"remote_start_id": payload["remoteStartId"]} if "remoteStartId" in payload else {}
        return action, payload, context

    def _version(self, protocol: str) -> Any:
        if protocol == "ocpp1.6":
            from chalicelib.ocpp.v16 import commands as v16

            return v16
        from chalicelib.ocpp.v201 import commands as v201

        return v201

    def _transaction_of(self, charger: Charger, stop: verbs.StopIn) -> str:
        if stop.transaction_id is not None:
            return stop.transaction_id
        session = self._sessions.get(stop.session_id or "")
        if session is None or session.charger_id != charger.id:
            raise Unprocessable(f"no session {stop.session_id!r} on charger {charger.id}", code="unknown_session",
                                field="payload.session_id")
        return session.transaction_id

    def _local_list(self, charger: Charger, version: Any,
                    request: verbs.LocalListIn) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The tenant's tokens as the charger's local list: all of them, or what changed since the list
        the charger last accepted (removed tokens included). The version moves on once it accepts."""
        current, held = self._local_lists.get(charger.id)
        wanted = {token.uid: _id_tag_info(token) for token in self._all_tokens()}
        if request.mode == "full":
            entries: list[tuple[str, dict[str, Any] | None]] = sorted(wanted.items())
        else:
            changed = [(uid, info) for uid, info in sorted(wanted.items()) if held.get(uid) != info]
            removed: list[tuple[str, dict[str, Any] | None]] = [
                (uid, None) for uid in sorted(held) if uid not in wanted]
            entries = [*changed, *removed]
        action, payload = version.local_list_call(current + 1, request.mode == "full", entries)
        return action, payload, {"local_list": {"version": current + 1, "entries": wanted}}


    def _all_tokens(self) -> list[Token]:
        tokens: list[Token] = []
        cursor = None
        while True:
            page = self._tokens.list(100, cursor)
            tokens.extend(page.items)
            if not page.next:
                return tokens
            cursor = page.next

    # -- answers -----------------------------------------------------------------------------------
    def settle_answer(self, charger_id: str, message_id: str, payload: dict[str, Any] | None = None,
                      error: tuple[str, str, dict[str, Any]] | None = None) -> Command | None:
        """Store the charger's CALLRESULT (payload) or CALLERROR (code, description, details). None when
        the message id names no command of this charger."""
        command = self._commands.get(message_id)
        if command is None or command.charger_id != charger_id:
            return None
        at = now_rfc3339()

        def settle(current: Command) -> Command:
            if current.status in (CommandStatus.ACCEPTED, CommandStatus.REJECTED, CommandStatus.ERROR):
                return current  # answered already: a resent answer changes nothing
            if error is not None:
                return failed(current, *error, at=at)
            return answered(current, payload or {}, at)

        settled = self._commands.update(command.id, settle)
        if settled is not None and settled.status == CommandStatus.ACCEPTED and "local_list_version" in settled.context:
            self._local_lists.accepted(charger_id, settled.id)
        return settled

    # -- reading -----------------------------------------------------------------------------------
    def get(self, command_id: str, wait_s: float = 0) -> Command:
        deadline = time.monotonic() + min(max(wait_s, 0), verbs.MAX_WAIT_S)
        while True:
            command = self._current(command_id)
            if not command.is_pending or time.monotonic() >= deadline:
                return command
            time.sleep(_POLL_S)

    def _current(self, command_id: str) -> Command:
        command = self._commands.get(command_id)
        if command is None:
            raise NotFound.of("command", command_id)
        if not command.is_pending:
            return command
        live = self._states.get(command.charger_id)
        now = utc_now()
        if settled_by_time(command, now, live.connection_id).is_pending:
            return command
        # Past its deadline, or its connection is gone: settle it for good (unless the answer won).
        settled = self._commands.update(
            command_id, lambda c: settled_by_time(c, now, self._states.get(c.charger_id).connection_id),
        )
        return settled or command


def _id_tag_info(token: Token) -> dict[str, Any]:
    """A token as a local list entry (1.6 IdTagInfo; 2.0.1 converts it): its status as set, with its
    expiry for the charger to apply."""
    from chalicelib.ocpp.v16.messages import id_tag_info

    return id_tag_info(TokenVerdict(Authorization(token.status.value), token.expires_at, token.group_id))
