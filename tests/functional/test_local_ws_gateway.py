"""The local WebSocket gateway (infra/local/ws_gateway.py) over real sockets, with a small Chalice app of its
own: the events it hands the handlers, the handshakes, the @connections endpoint through boto3, the limits
and the lifetimes API Gateway imposes."""
from __future__ import annotations

import base64
import json
import logging
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import boto3
import pytest
import requests
from chalice.app import Chalice, WebsocketEvent
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from infra.local.ws_gateway import WebSocketGateway, websocket_handlers
from tests.ports import port_is_free

AUTHORIZATION = "Basic " + base64.b64encode(b"CP-1:secret-password").decode()
CONNECTION_ID = re.compile(r"[A-Za-z0-9]{15}=")
KB = 1024

app = Chalice(app_name="ws-gateway-test")


class Recorder:
    """The events the handlers received, in the order they received them."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._changed = threading.Condition()

    def add(self, event: dict[str, Any]) -> None:
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def of(self, connection_id: str, route_key: str | None = None) -> list[dict[str, Any]]:
        with self._changed:
            return [e for e in self._events if e["requestContext"]["connectionId"] == connection_id
                    and route_key in (None, e["requestContext"]["routeKey"])]

    def wait_for(self, connection_id: str, route_key: str, count: int = 1, timeout: float = 5) -> list[dict[str, Any]]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.of(connection_id, route_key)) >= count, timeout)
        found = self.of(connection_id, route_key)
        assert len(found) >= count, f"{route_key} x{count} for {connection_id}: got {len(found)}"
        return found

    def count(self, route_key: str) -> int:
        with self._changed:
            return sum(1 for e in self._events if e["requestContext"]["routeKey"] == route_key)

    def last_connect(self) -> dict[str, Any]:
        with self._changed:
            return next(e for e in reversed(self._events) if e["requestContext"]["routeKey"] == "$connect")


EVENTS = Recorder()
RELEASE = threading.Event()
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def management(event: dict[str, Any]) -> Any:
    """A management API client for the gateway that sent `event`: domainName and stage name its endpoint."""
    context = event["requestContext"]
    url = f"http://{context['domainName']}/{context['stage']}"
    with _clients_lock:  # creating boto3 clients is not thread-safe; using them is
        if url not in _clients:
            _clients[url] = management_client(url)
        return _clients[url]


def management_client(url: str) -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=url, region_name="eu-west-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


@app.on_ws_connect()
def on_connect(event: WebsocketEvent) -> dict[str, Any] | None:
    raw = event.to_dict()
    EVENTS.add(raw)
    cp = (raw.get("queryStringParameters") or {}).get("cp")
    if cp == "REFUSED":
        return {"statusCode": 401, "body": "unknown charger"}
    if cp == "BROKEN":
        raise RuntimeError("the $connect handler is broken")
    if cp == "SELF-POST":  # API Gateway: a connection cannot be written to before $connect has answered
        client = management(raw)
        try:
            client.post_to_connection(ConnectionId=event.connection_id, Data=b"too early")
        except client.exceptions.GoneException:
            return {"statusCode": 403, "body": "gone during $connect"}
    offered = [p.strip() for p in raw["headers"].get("Sec-WebSocket-Protocol", "").split(",")]
    chosen = next((p for p in offered if p in ("ocpp2.0.1", "ocpp1.6")), None)
    return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": chosen}} if chosen else None


@app.on_ws_message()
def on_message(event: WebsocketEvent) -> None:
    raw = event.to_dict()
    EVENTS.add(raw)
    body = raw["body"] if not raw["isBase64Encoded"] else ""
    if body.startswith("echo:"):
        management(raw).post_to_connection(ConnectionId=event.connection_id, Data=body[5:].encode())
    elif body.startswith("seq:"):
        time.sleep(random.uniform(0, 0.004))  # were they handled concurrently, they would finish out of order
    elif body == "wait":
        released = RELEASE.wait(timeout=5)
        management(raw).post_to_connection(ConnectionId=event.connection_id,
                                           Data=b"released" if released else b"timed out")
    elif body == "release":
        RELEASE.set()
    elif body == "crash":
        raise RuntimeError("the $default handler is broken")


@app.on_ws_disconnect()
def on_disconnect(event: WebsocketEvent) -> None:
    EVENTS.add(event.to_dict())


@contextmanager
def running(gateway: WebSocketGateway) -> Iterator[WebSocketGateway]:
    """Starts the gateway, and once stopped checks that it left no thread behind and freed both ports."""
    before = set(threading.enumerate())
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()
    assert port_is_free(gateway.port) and port_is_free(gateway.management_port)
    assert [t.name for t in set(threading.enumerate()) - before] == []


@pytest.fixture(scope="module")
def gateway() -> Iterator[WebSocketGateway]:
    with running(WebSocketGateway(websocket_handlers(app))) as started:
        yield started


@pytest.fixture(scope="module")
def short_lived() -> Iterator[WebSocketGateway]:
    """Lifetimes of seconds instead of API Gateway's 10 idle minutes and 2 hours."""
    with running(WebSocketGateway(websocket_handlers(app), idle_timeout_s=0.3, max_connection_s=0.8)) as started:
        yield started


@pytest.fixture(scope="module")
def client(gateway: WebSocketGateway) -> Any:
    return management_client(gateway.management_url)


@pytest.fixture
def gateway_log() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(logging.INFO)
    ws_logger = logging.getLogger("evcharge.local.ws")
    previous = ws_logger.level
    ws_logger.addHandler(handler)
    ws_logger.setLevel(logging.INFO)
    yield records
    ws_logger.removeHandler(handler)
    ws_logger.setLevel(previous)


def open_charger(gateway: WebSocketGateway, path: str = "/ocpp/volt/CP-1", **kwargs: Any) -> ClientConnection:
    kwargs.setdefault("subprotocols", ["ocpp1.6"])
    kwargs.setdefault("additional_headers", {"Authorization": AUTHORIZATION})
    return connect(gateway.url + path, open_timeout=5, close_timeout=2, legacy=True, **kwargs)


def opened(gateway: WebSocketGateway, path: str = "/ocpp/volt/CP-1", **kwargs: Any) -> tuple[ClientConnection, str]:
    """A connection and its id (the last $connect recorded: tests open connections one at a time)."""
    ws = open_charger(gateway, path, **kwargs)
    return ws, EVENTS.last_connect()["requestContext"]["connectionId"]


def closed_with(ws: ClientConnection, timeout: float = 5) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=timeout)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


# -- events ------------------------------------------------------------------------------------------------

def test_connect_carries_the_upgrade_request(gateway: WebSocketGateway) -> None:
    ws, connection_id = opened(gateway, "/ocpp/volt/CP-1", subprotocols=["ocpp2.0.1", "ocpp1.6"])
    with ws:
        event = EVENTS.wait_for(connection_id, "$connect")[0]
    assert CONNECTION_ID.fullmatch(connection_id)
    context = event["requestContext"]
    assert {k: context[k] for k in ("routeKey", "eventType", "messageDirection", "stage", "apiId")} == {
        "routeKey": "$connect", "eventType": "CONNECT", "messageDirection": "IN", "stage": "api", "apiId": "local"}
    # domainName and stage are what a handler needs to call the connection back.
    assert f"http://{context['domainName']}/{context['stage']}" == gateway.management_url
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"].startswith("Python/")
    assert abs(context["connectedAt"] / 1000 - time.time()) < 5
    assert context["requestTimeEpoch"] >= context["connectedAt"]
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["requestTime"])
    assert context["requestId"] == context["extendedRequestId"]
    headers = event["headers"]
    assert headers["Authorization"] == AUTHORIZATION
    assert headers["Sec-WebSocket-Protocol"] == "ocpp2.0.1, ocpp1.6"
    assert headers["Sec-WebSocket-Version"] == "13" and headers["Sec-WebSocket-Key"]
    assert headers["Host"] == f"127.0.0.1:{gateway.port}"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert "Upgrade" not in headers and "Connection" not in headers  # hop-by-hop, not passed on
    assert event["multiValueHeaders"]["Authorization"] == [AUTHORIZATION]
    assert event["queryStringParameters"] == {"tenant": "volt", "cp": "CP-1"}
    assert event["multiValueQueryStringParameters"] == {"tenant": ["volt"], "cp": ["CP-1"]}
    assert event["isBase64Encoded"] is False
    assert event["path"] == "/ocpp/volt/CP-1"


@pytest.mark.parametrize(("path", "query"), [
    # The CloudFront rewrite of /ocpp/{tenant}/{cp}: ids percent-decoded, other parameters kept.
    ("/ocpp/volt%20parking/CP%2F1%3D?lang=nl", {"lang": "nl", "tenant": "volt parking", "cp": "CP/1="}),
    ("/ocpp/volt/CP+1/", {"tenant": "volt", "cp": "CP+1"}),
    ("/ocpp/volt/CP-1?cp=OTHER", {"tenant": "volt", "cp": "CP-1"}),
    # The stage form passes as it is; so does any other path (the handler refuses what it cannot resolve).
    ("/api?tenant=volt&cp=CP-1", {"tenant": "volt", "cp": "CP-1"}),
    ("/?tenant=volt&cp=CP%2B1", {"tenant": "volt", "cp": "CP+1"}),
    ("/elsewhere/x?a=1&a=2", {"a": "2"}),
    ("/", None),
])
def test_the_query_is_what_api_gateway_would_see(gateway: WebSocketGateway, path: str,
                                                 query: dict[str, str] | None) -> None:
    ws, connection_id = opened(gateway, path)
    ws.close()
    event = EVENTS.wait_for(connection_id, "$connect")[0]
    assert event.get("queryStringParameters") == query
    assert event["path"] == path.split("?")[0]
    if query is None:
        assert "multiValueQueryStringParameters" not in event


def test_the_three_routes_share_the_connection(gateway: WebSocketGateway) -> None:
    ws, connection_id = opened(gateway)
    ws.send('[2,"1","Heartbeat",{}]')
    message = EVENTS.wait_for(connection_id, "$default")[0]
    ws.close(code=4000, reason="rebooting")
    disconnect = EVENTS.wait_for(connection_id, "$disconnect")[0]

    assert message["body"] == '[2,"1","Heartbeat",{}]' and message["isBase64Encoded"] is False
    assert message["requestContext"]["eventType"] == "MESSAGE"
    assert CONNECTION_ID.fullmatch(message["requestContext"]["messageId"])
    context = disconnect["requestContext"]
    assert (context["eventType"], context["disconnectStatusCode"], context["disconnectReason"]) == (
        "DISCONNECT", 4000, "rebooting")
    assert disconnect["headers"]["Host"] == f"127.0.0.1:{gateway.port}"
    connect_context = EVENTS.of(connection_id, "$connect")[0]["requestContext"]
    for event in (message, disconnect):
        for key in ("connectionId", "connectedAt", "domainName", "stage", "apiId", "identity"):
            assert event["requestContext"][key] == connect_context[key]
    assert len({e["requestContext"]["requestId"] for e in EVENTS.of(connection_id)}) == 3


def test_a_binary_message_closes_the_connection_with_1003_as_api_gateway_does(gateway: WebSocketGateway) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        ws.send(b"\x00\xffbinary")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
    disconnect = EVENTS.wait_for(connection_id, "$disconnect")[0]
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1003
    assert EVENTS.of(connection_id, "$default") == []


def test_connection_ids_are_unique(gateway: WebSocketGateway) -> None:
    ids = set()
    for _ in range(5):
        ws, connection_id = opened(gateway)
        ws.close()
        ids.add(connection_id)
    assert len(ids) == 5


# -- handshakes --------------------------------------------------------------------------------------------

def test_the_subprotocol_answered_is_the_one_connect_returned(gateway: WebSocketGateway) -> None:
    with open_charger(gateway, subprotocols=["ocpp2.0.1", "ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp2.0.1"
    with open_charger(gateway, subprotocols=["ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp1.6"
    # $connect returned no header (Chalice answers {"statusCode": 200}): none is sent.
    with open_charger(gateway, subprotocols=None) as ws:
        assert ws.subprotocol is None
        assert ws.response is not None and "Sec-WebSocket-Protocol" not in ws.response.headers


def test_a_refusal_carries_the_handler_status_and_body(gateway: WebSocketGateway,
                                                       gateway_log: list[logging.LogRecord]) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_charger(gateway, "/ocpp/volt/REFUSED")
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == b"unknown charger"
    connection_id = EVENTS.last_connect()["requestContext"]["connectionId"]
    line = next(r.getMessage() for r in gateway_log if connection_id in r.getMessage())
    assert line == f"$connect {connection_id} /ocpp/volt/REFUSED -> 401 (refused)"
    assert AUTHORIZATION not in line
    # A refused connection never existed: no $disconnect, nothing to post to.
    time.sleep(0.05)
    assert EVENTS.of(connection_id, "$disconnect") == []


def test_a_failing_connect_handler_is_a_500(gateway: WebSocketGateway,
                                            gateway_log: list[logging.LogRecord]) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_charger(gateway, "/ocpp/volt/BROKEN")
    assert refused.value.response.status_code == 500
    assert json.loads(refused.value.response.body) == {"message": "Internal server error"}
    failure = next(r for r in gateway_log if "/ocpp/volt/BROKEN" in r.getMessage())
    assert failure.levelno == logging.ERROR and failure.exc_info is not None


def test_a_connection_cannot_be_written_to_during_its_connect(gateway: WebSocketGateway) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_charger(gateway, "/ocpp/volt/SELF-POST")
    assert refused.value.response.body == b"gone during $connect"


def test_without_handlers_every_upgrade_is_refused_with_500(gateway_log: list[logging.LogRecord]) -> None:
    with running(WebSocketGateway()) as bare, pytest.raises(InvalidStatus) as refused:
        open_charger(bare)
    assert refused.value.response.status_code == 500
    assert any("no WebSocket handlers" in r.getMessage() for r in gateway_log)


def test_handlers_can_be_plain_functions_and_their_answers_are_read_as_api_gateway_reads_them() -> None:
    answers: dict[str, Any] = {}

    def on_connect(event: dict[str, Any], context: Any) -> Any:
        return answers[event["queryStringParameters"]["cp"]]

    answers["BAD-STATUS"] = {"statusCode": "200"}
    answers["CHALLENGED"] = {"statusCode": 401, "headers": {"WWW-Authenticate": 'Basic realm="ocpp"'}}
    answers["NO-CONTENT"] = {"statusCode": 204, "headers": {"sec-websocket-protocol": "ocpp2.0.1"}}
    with running(WebSocketGateway({"$connect": on_connect})) as plain:
        with pytest.raises(InvalidStatus) as broken:
            open_charger(plain, "/ocpp/volt/BAD-STATUS")
        assert broken.value.response.status_code == 500
        with pytest.raises(InvalidStatus) as challenged:
            open_charger(plain, "/ocpp/volt/CHALLENGED")
        assert challenged.value.response.headers["WWW-Authenticate"] == 'Basic realm="ocpp"'
        with open_charger(plain, "/ocpp/volt/NO-CONTENT", subprotocols=["ocpp2.0.1"]) as ws:
            assert ws.subprotocol == "ocpp2.0.1"


def test_a_request_that_is_no_upgrade_does_not_reach_connect(gateway: WebSocketGateway) -> None:
    connects = EVENTS.count("$connect")
    reply = requests.get(f"http://127.0.0.1:{gateway.port}/ocpp/volt/CP-1", timeout=5)
    assert reply.status_code == 426
    assert EVENTS.count("$connect") == connects


# -- the @connections endpoint -----------------------------------------------------------------------------

def test_a_message_posted_through_boto3_reaches_the_client(gateway: WebSocketGateway, client: Any) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        ws.send("echo:" + '[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]')
        assert ws.recv(timeout=5) == '[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]'
        client.post_to_connection(ConnectionId=connection_id, Data=b'[2,"42","Reset",{"type":"Soft"}]')
        assert ws.recv(timeout=5) == '[2,"42","Reset",{"type":"Soft"}]'


def test_get_describes_the_connection(gateway: WebSocketGateway, client: Any) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        described = client.get_connection(ConnectionId=connection_id)
    assert described["Identity"]["SourceIp"] == "127.0.0.1"
    assert described["Identity"]["UserAgent"].startswith("Python/")
    connected_at = EVENTS.of(connection_id, "$connect")[0]["requestContext"]["connectedAt"]
    assert abs(described["ConnectedAt"].timestamp() * 1000 - connected_at) < 2
    assert described["LastActiveAt"] >= described["ConnectedAt"]


def test_delete_closes_the_socket_and_fires_disconnect(gateway: WebSocketGateway, client: Any) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        client.delete_connection(ConnectionId=connection_id)
        assert closed_with(ws) == 1000
    assert EVENTS.wait_for(connection_id, "$disconnect")[0]["requestContext"]["disconnectStatusCode"] == 1000
    for call in (client.post_to_connection, client.get_connection, client.delete_connection):
        kwargs = {"Data": b"x"} if call == client.post_to_connection else {}
        with pytest.raises(client.exceptions.GoneException):
            call(ConnectionId=connection_id, **kwargs)


def test_an_unknown_connection_is_gone(client: Any) -> None:
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")


def test_more_than_128_kb_cannot_be_posted(gateway: WebSocketGateway, client: Any) -> None:
    ws, connection_id = opened(gateway)
    with ws, pytest.raises(client.exceptions.PayloadTooLargeException):
        client.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * KB + 1))


def test_another_stage_is_forbidden(gateway: WebSocketGateway) -> None:
    other = management_client(gateway.management_url.rsplit("/", 1)[0] + "/prod")
    with pytest.raises(other.exceptions.ForbiddenException):
        other.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")


# -- messages ----------------------------------------------------------------------------------------------

def test_a_message_over_128_kb_closes_the_connection_with_1009(gateway: WebSocketGateway) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        with suppress(ConnectionClosed):  # the gateway may close before the client has sent the last frame
            ws.send(["x" * (32 * KB)] * 4 + ["x"])  # in frames of 32 KB, as API Gateway requires
        assert closed_with(ws) == 1009
    assert EVENTS.wait_for(connection_id, "$disconnect")[0]["requestContext"]["disconnectStatusCode"] == 1009
    assert EVENTS.of(connection_id, "$default") == []


def test_a_frame_over_32_kb_closes_the_connection_with_1009(gateway: WebSocketGateway) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        with suppress(ConnectionClosed):
            ws.send("x" * (32 * KB + 1))
        assert closed_with(ws) == 1009
    EVENTS.wait_for(connection_id, "$disconnect")


def test_a_128_kb_message_in_32_kb_frames_is_one_message(gateway: WebSocketGateway) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        ws.send(["x" * (32 * KB)] * 4)
        assert len(EVENTS.wait_for(connection_id, "$default")[0]["body"]) == 128 * KB


def test_the_messages_of_a_connection_are_handled_in_order(gateway: WebSocketGateway) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        for n in range(20):
            ws.send(f"seq:{n}")
        handled = EVENTS.wait_for(connection_id, "$default", count=20)
    assert [e["body"] for e in handled] == [f"seq:{n}" for n in range(20)]


def test_connections_are_handled_concurrently(gateway: WebSocketGateway) -> None:
    RELEASE.clear()
    waiting, _ = opened(gateway)
    releasing, _ = opened(gateway)
    with waiting, releasing:
        waiting.send("wait")  # blocks its handler until the other connection's message is handled
        releasing.send("release")
        assert waiting.recv(timeout=5) == "released"


def test_a_failing_message_handler_answers_internal_server_error(gateway: WebSocketGateway,
                                                                 gateway_log: list[logging.LogRecord]) -> None:
    ws, connection_id = opened(gateway)
    with ws:
        ws.send("crash")
        error = json.loads(ws.recv(timeout=5))
        ws.send("echo:still open")
        assert ws.recv(timeout=5) == "still open"
    request_id = EVENTS.of(connection_id, "$default")[0]["requestContext"]["requestId"]
    assert error == {"message": "Internal server error", "connectionId": connection_id, "requestId": request_id}
    assert any(r.levelno == logging.ERROR and connection_id in r.getMessage() for r in gateway_log)


# -- lifetimes ---------------------------------------------------------------------------------------------

def test_an_idle_connection_closes_with_1001(short_lived: WebSocketGateway,
                                            gateway_log: list[logging.LogRecord]) -> None:
    ws, connection_id = opened(short_lived)
    started = time.monotonic()
    with ws:
        assert closed_with(ws) == 1001
    assert time.monotonic() - started > 0.25
    context = EVENTS.wait_for(connection_id, "$disconnect")[0]["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (1001, "Going away")
    assert f"$disconnect {connection_id} /ocpp/volt/CP-1 code=1001 (idle timeout)" in [
        r.getMessage() for r in gateway_log]


def test_a_busy_connection_closes_at_its_maximum_duration(short_lived: WebSocketGateway,
                                                          gateway_log: list[logging.LogRecord]) -> None:
    ws, connection_id = opened(short_lived)
    started = time.monotonic()
    with ws:
        with pytest.raises(ConnectionClosed) as closed:
            while time.monotonic() - started < 5:
                ws.send("seq:keepalive")  # activity resets the idle timer, not the maximum duration
                time.sleep(0.05)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert time.monotonic() - started > 0.75
    EVENTS.wait_for(connection_id, "$disconnect")
    assert f"$disconnect {connection_id} /ocpp/volt/CP-1 code=1001 (maximum connection duration)" in [
        r.getMessage() for r in gateway_log]


def test_stopping_closes_every_connection_with_1001_and_fires_disconnect(
        gateway_log: list[logging.LogRecord]) -> None:
    with running(WebSocketGateway(websocket_handlers(app))) as stopped:
        connections = [opened(stopped) for _ in range(3)]
    for ws, connection_id in connections:
        assert closed_with(ws, timeout=1) == 1001
        ws.close()
        assert EVENTS.of(connection_id, "$disconnect")[0]["requestContext"]["disconnectStatusCode"] == 1001
        assert f"$disconnect {connection_id} /ocpp/volt/CP-1 code=1001 (gateway stopped)" in [
            r.getMessage() for r in gateway_log]
