"""The local runtime's DynamoDB: moto's server on loopback, answering one request at a time.

moto's backends are not safe under concurrent requests (a cancelled transaction restores a snapshot
of the table, losing what other threads wrote meanwhile), so requests are served in turn; DynamoDB
itself is consistent per item, and this keeps the local runtime as consistent as it.

The same server runs the workflows (infra/local/workflows.py): Step Functions executes them, each on a thread
of its own, and invokes their Lambda tasks through this server, on MOTO_PORT (the only address moto's engine
knows). A Lambda invoke is served outside the lock: the function it runs (in this process) calls DynamoDB on
this server, and under the lock that call would wait for the invoke that waits for it. Invoking touches no
table; the function's own requests take the lock in turn.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local.serving import ServerThread
from infra.local.workflows import MOTO_CONFIG

_LAMBDA_INVOKE = re.compile(r"^/2015-03-31/functions/[^/]+/invocations/?$")


def is_lambda_invoke(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and bool(_LAMBDA_INVOKE.match(environ.get("PATH_INFO", "")))


class LocalDynamoDB:
    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._serving: ServerThread | None = None
        self._restore: tuple[dict[str, Any], str | None] | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        moto_app = DomainDispatcherApplication(create_backend_app)
        one_at_a_time = threading.Lock()

        def serial(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if is_lambda_invoke(environ):
                return list(moto_app(environ, start_response))
            with one_at_a_time:
                return list(moto_app(environ, start_response))  # the body too is made under the lock

        # Loopback only: moto has no authentication and would hold every tenant's data.
        self._server = make_server("127.0.0.1", self._port, serial, threaded=True,
                                   request_handler=MotoRequestHandler)
        # moto reads both as requests come; stop() puts back what they were.
        self._restore = {key: default_user_config.get(key) for key in MOTO_CONFIG}, os.environ.get("MOTO_PORT")
        default_user_config.update(MOTO_CONFIG)
        os.environ["MOTO_PORT"] = str(self._server.server_port)
        self._serving = ServerThread(self._server, "dynamodb")

    def stop(self) -> None:
        if self._restore is not None:
            config, moto_port = self._restore
            default_user_config.update(config)  # type: ignore[typeddict-item]
            if moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = moto_port
            self._restore = None
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
            self._server = None
