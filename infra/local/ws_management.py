"""The local `@connections` endpoint: what boto3's `apigatewaymanagementapi` client calls, created with
`endpoint_url="http://127.0.0.1:{port}/{stage}"`, answered as API Gateway answers it.

POST sends the body to the connection, DELETE closes it, GET describes it. A connection that is unknown,
closed or still in its `$connect` answers 410 GoneException, so handlers' error paths run locally too.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from infra.local.serving import ServerThread

MAX_POST_BYTES = 128 * 1024  # the management API's limit, as for a message
_PATH = re.compile(r"/(?P<stage>[^/]+)/(?:@|%40)connections/(?P<connection_id>[^/]+)")

logger = logging.getLogger("evcharge.local.ws")


class Connections(Protocol):
    """The gateway's side, called from the endpoint's request threads."""

    def send(self, connection_id: str, data: bytes) -> bool:
        """False when the connection is gone; raises TimeoutError when the client does not take the data."""

    def close(self, connection_id: str) -> bool:
        """False when the connection is gone."""

    def describe(self, connection_id: str) -> dict[str, Any] | None:
        """GetConnection's body (`connectedAt`, `identity`, `lastActiveAt`), None when the connection is gone."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, connections: Connections, stage: str) -> None:
        self.connections = connections
        self.stage = stage
        # Loopback only, whatever HOST says: the endpoint has no authentication.
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    # One request per TCP connection (HTTP/1.0): no request thread outlives the request, even when boto3
    # keeps its connections pooled.
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        connection_id = self._connection_id()
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        if connection_id is None:
            return
        if len(data) > MAX_POST_BYTES:
            self._error(413, "PayloadTooLargeException", "Message too long")
            return
        try:
            sent = self._connections.send(connection_id, data)
        except TimeoutError:
            self._error(429, "LimitExceededException", "The client is not reading: its buffer is full")
            return
        if sent:
            self._reply(200)
        else:
            self._gone()

    def do_DELETE(self) -> None:
        connection_id = self._connection_id()
        if connection_id is None:
            return
        if self._connections.close(connection_id):
            self._reply(204)
        else:
            self._gone()

    def do_GET(self) -> None:
        connection_id = self._connection_id()
        if connection_id is None:
            return
        described = self._connections.describe(connection_id)
        if described is None:
            self._gone()
        else:
            self._reply(200, described)

    @property
    def _connections(self) -> Connections:
        return cast(_Server, self.server).connections

    def _connection_id(self) -> str | None:
        """The connection id of `/{stage}/@connections/{id}` (boto3 sends it percent-encoded: `=` as `%3D`),
        or None after answering 403 as API Gateway does for any other path."""
        match = _PATH.fullmatch(urlsplit(self.path).path)
        if match is None or unquote(match["stage"]) != cast(_Server, self.server).stage:
            self._error(403, "ForbiddenException", "Forbidden")
            return None
        return unquote(match["connection_id"])

    def _gone(self) -> None:
        self._error(410, "GoneException", "The connection is gone")

    def _error(self, status: int, error_type: str, message: str) -> None:
        # botocore reads the error code from this header and raises client.exceptions.{error_type}.
        self._reply(status, {"message": message}, {"x-amzn-ErrorType": error_type})

    def _reply(self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("@connections " + format, *args)


class ManagementServer:
    def __init__(self, connections: Connections, stage: str, port: int = 0) -> None:
        self._connections = connections
        self._stage = stage
        self._requested_port = port
        self._server: _Server | None = None
        self._serving: ServerThread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint_url for boto3's apigatewaymanagementapi client."""
        return f"http://127.0.0.1:{self.port}/{self._stage}"

    def start(self) -> None:
        self._server = _Server(self._requested_port, self._connections, self._stage)
        self._serving = ServerThread(self._server, "ws-management", poll_interval_s=0.05)

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
            self._server = None
