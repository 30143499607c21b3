"""From API Gateway's WebSocket events to the gateway's inputs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.ocpp.sender import ConnectionSender, management_endpoint, sender_for
from chalicelib.settings import settings

if TYPE_CHECKING:
    from chalice.app import WebsocketEvent

    from chalicelib.ocpp.gateway import ConnectRequest


def connect_request(event: WebsocketEvent) -> ConnectRequest:
    from chalicelib.ocpp.gateway import ConnectRequest

    raw = event.to_dict()
    headers = {str(k).lower(): str(v) for k, v in (raw.get("headers") or {}).items()}
    # A header sent on several lines (Sec-WebSocket-Protocol often is) arrives whole only here.
    for name, values in (raw.get("multiValueHeaders") or {}).items():
        if isinstance(values, list) and len(values) > 1:
            headers[str(name).lower()] = ", ".join(str(v) for v in values)
    query = {str(k): str(v) for k, v in (raw.get("queryStringParameters") or {}).items()}
    return ConnectRequest(event.connection_id, headers, query, raw.get("path"))


def sender_of(event: WebsocketEvent) -> ConnectionSender:
    context = event.to_dict()["requestContext"]
    return sender_for(management_endpoint(context.get("apiId", ""), context.get("stage", ""), settings().region))
