"""The local stand-in for API Gateway's WebSocket API: a real WebSocket server that turns each connection and
message into the Lambda events API Gateway sends, calls the same Chalice handlers with them, and serves the
`@connections` management endpoint their boto3 calls use.

As in AWS: `$connect` decides the upgrade (2xx accepts, answering the subprotocol header it returned; any
other status refuses with that status; a failing handler gives 500); each text message is one `$default` call,
a binary one closes the connection with 1003 (API Gateway supports none); a message over 128 KB or a frame
over 32 KB closes the connection with 1009; a connection closes (1001) after 10 idle minutes or 2 hours;
`$disconnect` follows every accepted connection, however it ends. Unlike Lambda, the messages of one
connection are handled one at a time, in order; different connections run concurrently, in worker threads, so
the handlers' blocking calls never stall the server.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import http
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CLOSE_CODE_EXPLANATIONS, CloseCode
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from infra.local.ws_events import (
    Api,
    Connection,
    connect_answer,
    connect_event,
    disconnect_event,
    iso8601,
    message_event,
    new_id,
)
from infra.local.ws_management import ManagementServer

LambdaHandler = Callable[[dict[str, Any], Any], Any]
T = TypeVar("T")

MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
INTEGRATION_TIMEOUT_S = 30  # API Gateway gives an integration 29 s; the upgrade waits as long
CLOSE_TIMEOUT_S = 5  # how long a closing handshake may take before the TCP connection is dropped
SEND_TIMEOUT_S = 10
STOP_TIMEOUT_S = 60
_FUNCTION_NAMES = {"$connect": "websocket_connect", "$default": "websocket_message",
                   "$disconnect": "websocket_disconnect"}
_NOT_FORWARDED = {"connection", "content-length", "transfer-encoding", "date", "server"}

logger = logging.getLogger("evcharge.local.ws")


def websocket_handlers(app: Any) -> dict[str, LambdaHandler]:
    """The Lambda entry points of a Chalice app's WebSocket routes by route key (`$connect`, `$default`,
    `$disconnect`): what `@app.on_ws_*` returned, called as Lambda calls it, `handler(event, context)`."""
    return {route_key: app.handler_map[config.name] for route_key, config in app.websocket_handlers.items()}


@dataclass(eq=False)
class _Connection:
    info: Connection
    path: str
    subprotocol: str | None
    socket: ServerConnection | None = None
    opened: bool = False
    closing: bool = False  # from then on the management API answers Gone
    close_code: int | None = None  # set when the gateway closes it
    close_reason: str = ""
    close_cause: str = ""
    disconnected: bool = False
    last_active: float = 0.0  # epoch seconds, for GetConnection
    last_active_mono: float = 0.0
    opened_mono: float = 0.0

    def touch(self) -> None:
        self.last_active, self.last_active_mono = time.time(), time.monotonic()

    @property
    def connection_id(self) -> str:
        return self.info.connection_id


class WebSocketGateway:
    """Start with `start()` (both ports are bound when it returns), stop with `stop()`: every open connection
    closes with 1001 and gets its `$disconnect`, and both ports are free again.

    `handlers` maps route keys to Lambda entry points (see `websocket_handlers`); until `set_handlers` gives
    some, every upgrade is refused with 500. The WebSocket port listens on `host`; the management endpoint on
    loopback only, since it has no authentication.
    """

    def __init__(self, handlers: Mapping[str, LambdaHandler] | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, management_port: int = 0, stage: str = "api", api_id: str = "local",
                 idle_timeout_s: float = 600, max_connection_s: float = 7200, lambda_memory_mb: int = 512,
                 lambda_timeout_s: int = 30, workers: int = 32) -> None:
        self.host = host
        self.stage = stage
        self.api_id = api_id
        self.idle_timeout_s = idle_timeout_s
        self.max_connection_s = max_connection_s
        self._handlers: dict[str, LambdaHandler] | None = dict(handlers) if handlers is not None else None
        self._requested_port = port
        self._lambda_memory_mb = lambda_memory_mb
        self._lambda_timeout_s = lambda_timeout_s
        self._workers = workers
        self._management = ManagementServer(self, stage, management_port)
        self._port = 0
        self._management_port = 0
        self._api = Api(stage, api_id, "")
        self._lock = threading.Lock()  # guards _loop: handler threads submit work while stop() retires it
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._server: Server | None = None
        self._stopping: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        # Touched on the event loop only.
        self._accepted: dict[ServerConnection, _Connection] = {}  # $connect said yes, upgrade not done yet
        self._open: dict[str, _Connection] = {}
        self._issued_ids: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- public ------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def management_port(self) -> int:
        return self._management_port

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self._port}"

    @property
    def management_url(self) -> str:
        """The `@connections` endpoint_url, for boto3's apigatewaymanagementapi client (WS_MANAGEMENT_URL)."""
        return f"http://127.0.0.1:{self._management_port}/{self.stage}"

    def set_handlers(self, handlers: Mapping[str, LambdaHandler]) -> None:
        self._handlers = dict(handlers)
        if not handlers:
            logger.warning("the app has no WebSocket handlers (@app.on_ws_connect/message/disconnect): "
                           "every WebSocket upgrade is refused with 500")

    def start(self) -> None:
        self._management.start()
        self._management_port = self._management.port
        # domainName is for calling the connection back; here that is the management endpoint's host.
        self._api = Api(self.stage, self.api_id, f"127.0.0.1:{self._management_port}")
        self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="ws-lambda")
        ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(ready),), name="ws-gateway",
                                        daemon=True)
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self.stop()
            raise self._startup_error

    def stop(self) -> None:
        with self._lock:
            loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_S)
            self._thread = None
        self._management.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def __enter__(self) -> WebSocketGateway:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # -- the management endpoint's calls (from its request threads) -----------------------------------------

    def send(self, connection_id: str, data: bytes) -> bool:
        return bool(self._on_loop(self._send(connection_id, data), SEND_TIMEOUT_S))

    def close(self, connection_id: str) -> bool:
        return bool(self._on_loop(self._delete(connection_id), CLOSE_TIMEOUT_S + 5))

    def describe(self, connection_id: str) -> dict[str, Any] | None:
        return self._on_loop(self._describe(connection_id), SEND_TIMEOUT_S)

    def _on_loop(self, work: Coroutine[Any, Any, T], timeout: float) -> T | None:
        """Runs `work` on the gateway's loop and waits for it; None once the gateway has stopped."""
        with self._lock:
            loop = self._loop
            if loop is None:
                work.close()
                return None
            if self._thread is threading.current_thread():
                work.close()
                raise RuntimeError("called on the gateway's own loop: it would wait for itself")
            future = asyncio.run_coroutine_threadsafe(work, loop)
        try:
            return future.result(timeout)
        except concurrent.futures.CancelledError:  # the gateway stopped meanwhile
            return None
        except TimeoutError:
            future.cancel()
            raise

    # -- the event loop --------------------------------------------------------------------------------------

    async def _main(self, ready: threading.Event) -> None:
        try:
            self._server = await serve(
                self._serve_connection, self.host, self._requested_port,
                process_request=self._upgrade,
                select_subprotocol=self._select_subprotocol,
                compression=None,  # API Gateway negotiates no permessage-deflate
                server_header=None,
                open_timeout=INTEGRATION_TIMEOUT_S,
                ping_interval=None,  # API Gateway never pings; it closes idle connections instead
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=(MAX_MESSAGE_BYTES, MAX_FRAME_BYTES),
            )
        except BaseException as error:
            self._startup_error = error
            ready.set()
            return
        self._port = int(self._server.sockets[0].getsockname()[1])
        self._stopping = asyncio.Event()
        with self._lock:
            self._loop = asyncio.get_running_loop()
        ready.set()
        await self._stopping.wait()
        await self._shutdown()
        with self._lock:
            self._loop = None

    async def _shutdown(self) -> None:
        assert self._server is not None
        for record in self._open.values():
            self._mark_closing(record, CloseCode.GOING_AWAY, "Going away", "gateway stopped")
        # Closes open connections with 1001, refuses upgrades in progress with 503, then waits for every
        # connection's handler, so every $disconnect has run when it returns.
        self._server.close()
        await self._server.wait_closed()
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _upgrade(self, socket: ServerConnection, request: Request) -> Response | None:
        """The `$connect` route: None lets the upgrade proceed, a response refuses it."""
        if not _is_upgrade(request.headers):
            return None  # not for $connect: websockets answers it (426 or 400), as API Gateway would
        now = time.time()
        connection = Connection(self._new_connection_id(), now, _peer_ip(socket),
                                _last(request.headers, "User-Agent"), _last(request.headers, "Host") or "")
        event = connect_event(self._api, connection, request.path, request.headers.raw_items(), self._port, now)
        path = event["path"]  # logged without the query, which is the client's business
        handlers = self._handlers
        if not handlers:
            logger.warning("$connect %s %s -> 500: no WebSocket handlers are registered",
                           connection.connection_id, path)
            return _internal_error()
        handler = handlers.get("$connect")
        try:
            answer = connect_answer(await self._invoke("$connect", handler, event) if handler else None)
        except Exception:
            logger.exception("$connect %s %s -> 500: the handler failed", connection.connection_id, path)
            return _internal_error()
        if not answer.accepted:
            logger.info("$connect %s %s -> %d (refused)", connection.connection_id, path, answer.status)
            return _refusal(answer.status, answer.headers, answer.body)
        record = _Connection(connection, path, answer.subprotocol)
        self._accepted[socket] = record
        self._spawn(self._unless_opened(socket, record))
        logger.info("$connect %s %s -> %d%s", connection.connection_id, path, answer.status,
                    f" (subprotocol {answer.subprotocol})" if answer.subprotocol else "")
        return None

    def _select_subprotocol(self, socket: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        # Exactly what $connect returned, offered or not, as API Gateway does: the client judges it.
        record = self._accepted.get(socket)
        return Subprotocol(record.subprotocol) if record is not None and record.subprotocol else None

    async def _unless_opened(self, socket: ServerConnection, record: _Connection) -> None:
        """A connection $connect accepted whose upgrade never completed (the client left, the gateway
        stopped) still gets its $disconnect, since the handler may have recorded it."""
        await socket.wait_closed()
        self._accepted.pop(socket, None)
        if not record.opened:
            await self._disconnect(record, CloseCode.ABNORMAL_CLOSURE, "the upgrade did not complete")

    async def _serve_connection(self, socket: ServerConnection) -> None:
        record = self._accepted.pop(socket)
        record.opened, record.socket = True, socket
        record.touch()
        record.opened_mono = record.last_active_mono
        self._open[record.connection_id] = record
        expiry = asyncio.get_running_loop().create_task(self._expire(record))
        try:
            async for message in socket:
                record.touch()
                if isinstance(message, bytes):
                    # API Gateway's WebSocket APIs do not support binary frames: they close with 1003.
                    await socket.close(1003, "binary frames are not supported")
                    break
                await self._deliver(record, message)
        except ConnectionClosed:  # 1009 and other error closes end the iteration this way
            pass
        finally:
            expiry.cancel()
            record.closing = True
            self._open.pop(record.connection_id, None)
            await socket.wait_closed()
            await self._disconnect(record, *_close_status(record, socket))

    async def _deliver(self, record: _Connection, message: str | bytes) -> None:
        handler = (self._handlers or {}).get("$default")
        if handler is None:
            logger.warning("$default %s: no handler, message dropped", record.connection_id)
            return
        event = message_event(self._api, record.info, message, time.time())
        try:
            await self._invoke("$default", handler, event)
        except Exception:
            logger.exception("$default %s %s: the handler failed", record.connection_id, record.path)
            # What API Gateway tells the client when a route's integration fails.
            error = {"message": "Internal server error", "connectionId": record.connection_id,
                     "requestId": event["requestContext"]["requestId"]}
            await self._send(record.connection_id, json.dumps(error).encode())

    async def _disconnect(self, record: _Connection, code: int, reason: str) -> None:
        if record.disconnected:
            return
        record.disconnected = True
        reason = reason or CLOSE_CODE_EXPLANATIONS.get(code, "")
        logger.info("$disconnect %s %s code=%d%s", record.connection_id, record.path, code,
                    f" ({record.close_cause})" if record.close_cause else "")
        handler = (self._handlers or {}).get("$disconnect")
        if handler is None:
            return
        try:
            await self._invoke("$disconnect", handler, disconnect_event(self._api, record.info, code, reason,
                                                                        time.time()))
        except Exception:
            logger.exception("$disconnect %s %s: the handler failed", record.connection_id, record.path)

    async def _expire(self, record: _Connection) -> None:
        while True:
            idle_end = record.last_active_mono + self.idle_timeout_s
            life_end = record.opened_mono + self.max_connection_s
            remaining = min(idle_end, life_end) - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.sleep(remaining)
        cause = "idle timeout" if idle_end <= life_end else "maximum connection duration"
        # Shielded: the connection's handler cancels this task once the connection is closed, which must not
        # interrupt the closing handshake this very task started.
        await asyncio.shield(self._close(record, CloseCode.GOING_AWAY, "Going away", cause))

    async def _send(self, connection_id: str, data: bytes) -> bool:
        record = self._open.get(connection_id)
        if record is None or record.closing or record.socket is None:
            return False
        try:
            data.decode()
        except UnicodeDecodeError:
            text = False  # not UTF-8: a text frame would be a protocol error
        else:
            text = True
        try:
            await record.socket.send(data, text=text)
        except ConnectionClosed:
            return False
        record.touch()
        return True

    async def _delete(self, connection_id: str) -> bool:
        record = self._open.get(connection_id)
        if record is None or record.closing:
            return False
        await self._close(record, CloseCode.NORMAL_CLOSURE, "", "deleted through @connections")
        return True

    async def _describe(self, connection_id: str) -> dict[str, Any] | None:
        record = self._open.get(connection_id)
        if record is None or record.closing:
            return None
        return {
            "connectedAt": iso8601(record.info.connected_at),
            "identity": {"sourceIp": record.info.source_ip, "userAgent": record.info.user_agent or ""},
            "lastActiveAt": iso8601(record.last_active),
        }

    async def _close(self, record: _Connection, code: int, reason: str, cause: str) -> None:
        if record.closing or record.socket is None:
            return
        self._mark_closing(record, code, reason, cause)
        await record.socket.close(code, reason)

    @staticmethod
    def _mark_closing(record: _Connection, code: int, reason: str, cause: str) -> None:
        if not record.closing:
            record.closing, record.close_code, record.close_reason, record.close_cause = True, code, reason, cause

    async def _invoke(self, route_key: str, handler: LambdaHandler, event: dict[str, Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, route_key, handler,
                                                                event)

    def _call(self, route_key: str, handler: LambdaHandler, event: dict[str, Any]) -> Any:
        from chalice.local import LambdaContext

        context = LambdaContext(_FUNCTION_NAMES.get(route_key, route_key), self._lambda_memory_mb,
                                max_runtime_ms=self._lambda_timeout_s * 1000)
        return handler(event, context)

    def _new_connection_id(self) -> str:
        while (connection_id := new_id()) in self._issued_ids:
            pass
        self._issued_ids.add(connection_id)
        return connection_id


def _close_status(record: _Connection, socket: ServerConnection) -> tuple[int, str]:
    """The code and reason a $disconnect reports: the gateway's own when it closed the connection, else the
    client's close frame, else what the server failed the connection with (1009 for a message too big: it
    does not wait for the client's answer then), else 1006 (the TCP connection just ended)."""
    if record.close_code is not None:
        return record.close_code, record.close_reason
    for frame in (socket.protocol.close_rcvd, socket.protocol.close_sent):
        if frame is not None:
            return frame.code, frame.reason
    return CloseCode.ABNORMAL_CLOSURE, ""


def _is_upgrade(headers: Headers) -> bool:
    upgrade = ",".join(headers.get_all("Upgrade")).lower()
    connection = ",".join(headers.get_all("Connection")).lower()
    return ("websocket" in upgrade and "upgrade" in connection and "Sec-WebSocket-Key" in headers
            and headers.get_all("Sec-WebSocket-Version") == ["13"])


def _last(headers: Headers, name: str) -> str | None:
    values = headers.get_all(name)
    return values[-1] if values else None


def _peer_ip(socket: ServerConnection) -> str:
    address = socket.remote_address
    return str(address[0]) if address else ""


def _refusal(status: int, headers: Mapping[str, str], body: bytes) -> Response:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    sent = Headers([("Date", email.utils.formatdate(usegmt=True)), ("Connection", "close")])
    for name, value in headers.items():
        if name.lower() not in _NOT_FORWARDED and not name.lower().startswith("sec-websocket-"):
            sent[name] = value
    if body and "Content-Type" not in sent:
        sent["Content-Type"] = "text/plain; charset=utf-8"
    sent["Content-Length"] = str(len(body))
    return Response(status, phrase, sent, body)


def _internal_error() -> Response:
    body = json.dumps({"message": "Internal server error"}).encode()
    return _refusal(500, {"Content-Type": "application/json"}, body)

