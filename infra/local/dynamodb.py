"""The local runtime's DynamoDB: moto's server on loopback, answering one request at a time.

moto's backends are not safe under concurrent requests (a cancelled transaction restores a snapshot
of the table, losing what other threads wrote meanwhile), so requests are served in turn; DynamoDB
itself is consistent per item, and this keeps the local runtime as consistent as it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local.serving import ServerThread


class LocalDynamoDB:
    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._serving: ServerThread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        moto_app = DomainDispatcherApplication(create_backend_app)
        one_at_a_time = threading.Lock()

        def serial(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with one_at_a_time:
                return list(moto_app(environ, start_response))  # the body too is made under the lock

        # Loopback only: moto has no authentication and would hold every tenant's data.
        self._server = make_server("127.0.0.1", self._port, serial, threaded=True,
                                   request_handler=MotoRequestHandler)
        self._serving = ServerThread(self._server, "dynamodb")

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
            self._server = None
