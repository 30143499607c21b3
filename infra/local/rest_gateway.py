"""The REST API server of the local runtime: Chalice's local API Gateway emulation, except for a path
that matches no route. There API Gateway (and Chalice local after it) answers 403 with a signature
error that repeats the caller's Authorization header; the platform answers 404 in its own error shape.
(In AWS the same is done with API Gateway's gateway responses, set by the infrastructure code.)
"""
from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    create_local_server,
)

from chalicelib.rest.replies import error_body


class RouteNotFound(LocalGatewayException):
    CODE = 404


class PlatformLocalGateway(LocalGateway):
    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # no route matches the path
            request_id = str(uuid.uuid4())
            message = f"no route matches {method} {path.split('?', 1)[0]}"
            raise RouteNotFound(
                {"Content-Type": "application/json", "X-Request-Id": request_id},
                json.dumps(error_body("route_not_found", message)).encode(),
            ) from None


class PlatformRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Chalice,
                 config: Config) -> None:
        self.local_gateway = PlatformLocalGateway(app_object, config)
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)


def create_rest_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    server = create_local_server(app, config, host, port)
    server.server.RequestHandlerClass = functools.partial(
        PlatformRequestHandler, app_object=server.app_object, config=config)
    return server
