"""The OCPP side of API Gateway's WebSocket API: `$connect`, every frame (`$default`) and `$disconnect`.

Each is its own Lambda invocation, so nothing lives in the connection: the connection's tenant, charger
and protocol are recorded at `$connect` and resolved per frame (cached for the container's life, since
they never change), and every state change goes to DynamoDB. Answers go back through the management API.
"""
from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from chalicelib.charging.models import Charger, OcppVersion, is_charge_point_id
from chalicelib.charging.station import StationService
from chalicelib.clock import now_rfc3339
from chalicelib.errors import PlatformError
from chalicelib.observability import count, logger
from chalicelib.ocpp import schemas
from chalicelib.ocpp.frames import (
    MAX_MESSAGE_BYTES,
    Call,
    CallError,
    CallRejected,
    MalformedFrame,
    Rpc,
    encode_call_error,
    encode_call_result,
    error_code,
    parse_frame,
)
from chalicelib.store.charger_events import ChargerEventRepository
from chalicelib.store.charger_state import ChargerStateRepository
from chalicelib.store.chargers import ChargerRepository
from chalicelib.store.connections import ConnectionInfo, ConnectionRegistry
from chalicelib.store.meter_values import MeterValueRepository
from chalicelib.store.sessions import SessionRepository
from chalicelib.store.tokens import TokenRepository
from chalicelib.tenancy.credentials import verify_password

if TYPE_CHECKING:
    from chalicelib.store.directory import TenantDirectory

# The subprotocols the platform speaks. Of those a charger offers, its first is taken (its preference).
SUPPORTED_PROTOCOLS = ("ocpp2.0.1", "ocpp1.6")
_PROTOCOL_OF_VERSION = {OcppVersion.V16: "ocpp1.6", OcppVersion.V201: "ocpp2.0.1"}
_LAST_SEEN_EVERY_S = 60.0  # last seen is written at most this often per charger and container
_CACHE_LIMIT = 10_000
_READINGS = frozenset({"MeterValues", "TransactionEvent"})
_KNOWN_TRANSACTIONS_KEPT = 64  # per charger: transactions whose session this container has seen
Handler = Callable[[dict[str, Any]], dict[str, Any]]
# Compared against when the charger is unknown, so that an unknown charger costs as much as a wrong
# password and the answer time tells nothing.
_DUMMY_HASH = "scrypt$16384$8$1$cJgqoKEnmyw9SwQF2Wj6EQ==$s4EsBDwfcen4zNAXv+HDOv+TtXmrdD6LIG0V5oHqJK4="


class Sender(Protocol):
    def send(self, connection_id: str, text: str) -> bool: ...
    def close(self, connection_id: str) -> bool: ...


@dataclass(frozen=True)
class ConnectRequest:
    connection_id: str
    headers: Mapping[str, str]  # keys lower-cased
    query: Mapping[str, str]
    path: str | None = None


@dataclass(frozen=True)
class ConnectAnswer:
    status: int
    subprotocol: str | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> dict[str, Any]:
        headers = dict(self.headers)
        if self.subprotocol:
            headers["Sec-WebSocket-Protocol"] = self.subprotocol
        reply: dict[str, Any] = {"statusCode": self.status, "headers": headers}
        if self.reason:
            reply["body"] = self.reason
        return reply


def connect_target(query: Mapping[str, str], path: str | None) -> tuple[str, str] | None:
    """(tenant slug, charge point id) from `?tenant=..&cp=..` (CloudFront's rewrite in AWS) or from
    the path `/ocpp/{tenant}/{cp}` itself."""
    if query.get("tenant") and query.get("cp"):
        return query["tenant"], query["cp"]
    if path:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) >= 3 and parts[-3] == "ocpp" and parts[-2] and parts[-1]:
            return parts[-2], parts[-1]
    return None


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def choose_subprotocol(offered: str | None, pinned: OcppVersion | None) -> str | None:
    """The first subprotocol the charger offered that the platform speaks (and the charger is pinned to)."""
    allowed = SUPPORTED_PROTOCOLS if pinned is None else tuple(
        p for p in SUPPORTED_PROTOCOLS if p == _PROTOCOL_OF_VERSION[pinned]
    )
    for protocol in (p.strip() for p in (offered or "").split(",")):
        if protocol in allowed:
            return protocol
    return None


def _refused(status: int, reason: str) -> ConnectAnswer:
    headers = {"WWW-Authenticate": 'Basic realm="OCPP"'} if status == 401 else {}
    return ConnectAnswer(status, reason=reason, headers=headers)


class OcppGateway:
    """One per container; what it caches never changes during a connection's life."""

    def __init__(self, directory: TenantDirectory, connections: ConnectionRegistry) -> None:
        self._directory = directory
        self._connections = connections
        self._chargers: dict[str, Charger] = {}  # by connection id
        self._last_seen: dict[tuple[str, str], float] = {}
        self._known_transactions: dict[tuple[str, str], set[str]] = {}
        self._refreshed: set[str] = set()  # connections whose statuses this container asked for

    # -- $connect --------------------------------------------------------------------------------
    def connect(self, request: ConnectRequest, sender: Sender) -> ConnectAnswer:
        target = connect_target(request.query, request.path)
        if target is None:
            return _refused(400, "connect to /ocpp/{tenant}/{charge_point_id}")
        slug, charger_id = target
        tenant_id = self._directory.resolve_slug(slug) if is_charge_point_id(charger_id) else None
        charger = ChargerRepository(tenant_id).get(charger_id) if tenant_id else None
        credentials = basic_credentials(request.headers.get("authorization"))
        password = credentials[1] if credentials else ""
        password_ok = verify_password(password, charger.password_hash if charger else _DUMMY_HASH)
        if charger is None or tenant_id is None or credentials is None or credentials[0] != charger_id \
                or not password_ok:
            logger.info("ocpp connect refused", tenant_slug=slug, charger_id=charger_id, status=401)
            return _refused(401, "unknown charger or wrong credentials")
        protocol = choose_subprotocol(request.headers.get("sec-websocket-protocol"), charger.ocpp_version)
        if protocol is None:
            logger.info("ocpp connect refused", tenant_id=tenant_id, charger_id=charger_id, status=400,
                        offered=request.headers.get("sec-websocket-protocol"))
            return _refused(400, f"no supported subprotocol offered (supported: {', '.join(SUPPORTED_PROTOCOLS)})")
        now = now_rfc3339()
        states = ChargerStateRepository(tenant_id)
        replaced, is_reconnect = states.replace_connection(charger_id, request.connection_id, protocol, now)
        self._connections.record(
            ConnectionInfo(request.connection_id, tenant_id, slug, charger_id, protocol, now, is_reconnect))
        self._chargers[request.connection_id] = charger
        self._last_seen[(tenant_id, charger_id)] = time.monotonic()
        if replaced:
            sender.close(replaced)  # the newest connection wins; the old one's $disconnect changes nothing
        logger.info("ocpp connected", tenant_id=tenant_id, charger_id=charger_id, protocol=protocol,
                    connection_id=request.connection_id, replaced=replaced)
        count("OcppConnections", protocol=protocol)
        return ConnectAnswer(200, protocol)

    # -- $disconnect -----------------------------------------------------------------------------
    def disconnect(self, connection_id: str) -> None:
        info = self._connections.resolve(connection_id)
        if info is None:
            return
        current = ChargerStateRepository(info.tenant_id).disconnected(info.charger_id, connection_id, now_rfc3339())
        self._connections.forget(connection_id)
        self._chargers.pop(connection_id, None)
        self._refreshed.discard(connection_id)
        logger.info("ocpp disconnected", tenant_id=info.tenant_id, charger_id=info.charger_id,
                    connection_id=connection_id, was_current=current)

    # -- $default --------------------------------------------------------------------------------
    def frame(self, connection_id: str, text: str, sender: Sender, lambda_context: Any = None) -> None:
        info = self._connections.resolve(connection_id)
        if info is None:
            logger.warning("frame on an unknown connection; closing it", connection_id=connection_id)
            sender.close(connection_id)  # the charger reconnects, and $connect authenticates it again
            return
        logger.append_keys(tenant_id=info.tenant_id, charger_id=info.charger_id)
        try:
            reply = self._answer(info, text, sender, lambda_context)
            if reply is not None:
                sender.send(connection_id, reply)
            if info.is_reconnect and connection_id not in self._refreshed:
                self._ask_for_statuses(info, sender)
        finally:
            logger.remove_keys(["tenant_id", "charger_id", "message_id", "action"])

    def _answer(self, info: ConnectionInfo, text: str, sender: Sender, lambda_context: Any) -> str | None:
        if len(text.encode()) > MAX_MESSAGE_BYTES:
            return None  # API Gateway never delivers one; the local gateway closes the connection
        charger = self._charger(info)
        if charger is None:
            logger.info("frame from a deleted charger or revoked credentials; closing its connection")
            sender.close(info.connection_id)
            return None
        try:
            frame = parse_frame(text)
        except MalformedFrame as bad:
            count("OcppErrors", code=error_code(bad.error, info.protocol))
            logger.info("malformed frame", reason=bad.description)
            return encode_call_error(bad.message_id, error_code(bad.error, info.protocol), bad.description)
        if isinstance(frame, Call):
            if frame.action not in _READINGS:
                self._touch(info)
            return self._answer_call(info, charger, frame, lambda_context, sender)
        # A CALLRESULT or CALLERROR answers a command the platform sent.
        from chalicelib.composition import command_service

        commands = command_service(info.tenant_id)
        if isinstance(frame, CallError):
            settled = commands.settle_answer(info.charger_id, frame.message_id,
                                             error=(frame.code, frame.description, frame.details))
        else:
            settled = commands.settle_answer(info.charger_id, frame.message_id, payload=frame.payload)
        logger.info("charger answered", message_id=frame.message_id, command_status=settled and settled.status,
                    matched=settled is not None)
        if settled is not None and "payment_id" in settled.context and not settled.is_pending:
            from chalicelib.charging.commands import CommandStatus
            from chalicelib.composition import checkout_service

            checkout_service(info.tenant_id).start_answered(
                settled.context["payment_id"], accepted=settled.status == CommandStatus.ACCEPTED)
        return None

    def _ask_for_statuses(self, info: ConnectionInfo, sender: Sender) -> None:
        """After a reconnect, ask the charger for every connector's status once, so that a status
        missed while it was offline is corrected (OCPP TriggerMessage StatusNotification)."""
        from chalicelib.composition import command_service
        from chalicelib.ocpp.verbs import CommandIn

        self._refreshed.add(info.connection_id)
        if len(self._refreshed) > _CACHE_LIMIT:
            self._refreshed.clear()
        if not ChargerStateRepository(info.tenant_id).claim_status_refresh(info.charger_id, info.connection_id):
            return
        # 1.6 asks for every connector at once; 2.0.1 only connector by connector (F06.FR.13).
        charger = self._chargers.get(info.connection_id)
        targets: list[dict[str, Any]] = [{}] if info.protocol == "ocpp1.6" or charger is None else [
            {"evse_id": evse.id, "connector_id": connector.id}
            for evse in charger.evses for connector in evse.connectors]
        commands = command_service(info.tenant_id, lambda: sender)
        for target in targets:
            try:
                command = commands.send(info.charger_id, CommandIn(
                    action="trigger", payload={"message": "StatusNotification", **target}))
                logger.info("asked for statuses after a reconnect", command_id=command.id)
            except PlatformError as refused:  # e.g. the charger went away again meanwhile
                logger.info("could not ask for statuses after a reconnect", reason=str(refused))
                return

    def _answer_call(self, info: ConnectionInfo, charger: Charger, call: Call, lambda_context: Any,
                     sender: Sender) -> str | None:
        from chalicelib.ocpp.replays import ReplayInProgress, answer_once

        logger.append_keys(message_id=call.message_id, action=call.action)
        known_action = schemas.has_schema(info.protocol, call.action)
        # The dimension is the charger's word: only actions the schemas know, so no charger can make up
        # metrics (each distinct dimension value is a billed custom metric).
        count("OcppFrames", action=call.action if known_action else "unknown", protocol=info.protocol)
        started = time.perf_counter()
        try:
            if not known_action:
                raise CallRejected(Rpc.NOT_IMPLEMENTED, f"unknown action {call.action[:64]}")
            handler, recorded = self._handler(info, charger, call, sender)
            if handler is None:
                raise CallRejected(Rpc.NOT_SUPPORTED, f"{call.action} is not supported from a charger")
            schemas.validate_request(info.protocol, call.action, call.payload)
            if recorded(call.action, call.payload):
                key = {"tenant_id": info.tenant_id, "charger_id": info.charger_id, "message_id": call.message_id,
                       "action": call.action, "payload": call.payload}
                result = answer_once(key, lambda: handler(call.payload), lambda_context)
            else:
                result = handler(call.payload)
        except CallRejected as rejected:
            code = error_code(rejected.error, info.protocol)
            count("OcppErrors", code=code, action=call.action if known_action else "unknown")
            logger.info("call rejected", code=code, reason=rejected.description)
            return encode_call_error(call.message_id, code, rejected.description, rejected.details)
        except ReplayInProgress:
            logger.info("retry of a call being answered; answered by the first try")
            return None
        except Exception:
            count("OcppErrors", code="InternalError", action=call.action if known_action else "unknown")
            logger.exception("call failed")
            return encode_call_error(call.message_id, "InternalError", "the platform could not handle this call")
        # Per frame at DEBUG: at INFO this line alone would be a third of a Heartbeat's handler time and
        # most of the platform's CloudWatch Logs bill. Refusals and failures stay at INFO.
        logger.debug("call answered", duration_ms=round((time.perf_counter() - started) * 1000, 2))
        return encode_call_result(call.message_id, result)

    # -- per-connection parts --------------------------------------------------------------------
    def _handler(self, info: ConnectionInfo, charger: Charger, call: Call,
                 sender: Sender) -> tuple[Handler | None, Callable[[str, dict[str, Any]], bool]]:
        """The adapter of the connection's protocol: one package per OCPP version."""
        station = self._station(info, charger, sender)
        if info.protocol == "ocpp1.6":
            from chalicelib.ocpp.v16 import messages as v16

            return v16.V16Messages(station, call.message_id).handler(call.action), v16.is_replay_recorded
        from chalicelib.ocpp.v201 import messages as v201

        known = self._known_transactions.setdefault((info.tenant_id, info.charger_id), set())
        if len(known) > _KNOWN_TRANSACTIONS_KEPT:
            known.clear()
        return v201.V201Messages(station, call.message_id, known).handler(call.action), v201.is_replay_recorded

    def _charger(self, info: ConnectionInfo) -> Charger | None:
        """The charger as it was when the connection was made, read once per connection and container.
        Deleting a charger or rotating its password closes its connection (the REST side does), and a
        changed configuration applies from its next connection, at most 2 hours later."""
        cached = self._chargers.get(info.connection_id)
        if cached is not None:
            return cached
        charger = ChargerRepository(info.tenant_id).get(info.charger_id)
        if charger is None or charger.password_rotated_at > info.connected_at:
            return None  # deleted, or its credentials changed since this connection authenticated
        if len(self._chargers) > _CACHE_LIMIT:
            self._chargers.clear()
        self._chargers[info.connection_id] = charger
        return charger

    def _touch(self, info: ConnectionInfo) -> None:
        """Last seen, written at most once a minute. Frames that only carry readings (every minute or so
        while charging) never write it: their one write is the readings, and the heartbeat (every 300 s)
        keeps last seen fresh."""
        key = (info.tenant_id, info.charger_id)
        now = time.monotonic()
        if now - self._last_seen.get(key, -_LAST_SEEN_EVERY_S) >= _LAST_SEEN_EVERY_S:
            ChargerStateRepository(info.tenant_id).seen(info.charger_id, now_rfc3339())
            self._last_seen[key] = now

    def _station(self, info: ConnectionInfo, charger: Charger, sender: Sender) -> StationService:
        from chalicelib.composition import billing_hooks

        tenant = info.tenant_id
        return StationService(
            charger, info.protocol, state=ChargerStateRepository(tenant), sessions=SessionRepository(tenant),
            tokens=TokenRepository(tenant), meter_values=MeterValueRepository(tenant),
            events=ChargerEventRepository(tenant), hooks=lambda: billing_hooks(tenant, charger, lambda: sender),
        )
