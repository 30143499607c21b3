"""From API Gateway's WebSocket events to the gateway's inputs."""
from __future__ import annotations

from chalice.app import WebsocketEvent

from chalicelib.ocpp.gateway import ConnectRequest
from chalicelib.ocpp.sender import ConnectionSender, management_endpoint, sender_for
from chalicelib.settings import settings


def connect_request(event: WebsocketEvent) -> ConnectRequest:
    raw = event.to_dict()
    headers = {str(k).lower(): str(v) for k, v in (raw.get("headers") or {}).items()}
    query = {str(k): str(v) for k, v in (raw.get("queryStringParameters") or {}).items()}
    return ConnectRequest(event.connection_id, headers, query, raw.get("path"))


def sender_of(event: WebsocketEvent) -> ConnectionSender:
    context = event.to_dict()["requestContext"]
    return sender_for(management_endpoint(context.get("apiId", ""), context.get("stage", ""), settings().region))
