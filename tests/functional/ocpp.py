"""A charger's connection driven through the real WebSocket handlers with API Gateway's event shapes;
what the platform sends back is captured instead of going through the management API."""
from __future__ import annotations

import base64
import itertools
import json
import secrets
from collections import defaultdict
from typing import Any

from chalicelib.ocpp import schemas

_ids = itertools.count(1)


class CapturedSender:
    """Stands in for the management API: records what is sent and which connections were closed."""

    def __init__(self) -> None:
        self.sent: dict[str, list[str]] = defaultdict(list)
        self.closed: list[str] = []

    def send(self, connection_id: str, text: str) -> bool:
        if connection_id in self.closed:
            return False
        self.sent[connection_id].append(text)
        return True

    def close(self, connection_id: str) -> bool:
        self.closed.append(connection_id)
        return True


def connect_event(connection_id: str, slug: str | None, cp: str | None, *, authorization: str | None,
                  protocols: str | None, path: str | None = None) -> dict[str, Any]:
    headers = {"Host": "ws.example.com", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "x"}
    if authorization is not None:
        headers["Authorization"] = authorization
    if protocols is not None:
        headers["Sec-WebSocket-Protocol"] = protocols
    query = {"tenant": slug, "cp": cp} if slug is not None and cp is not None else None
    event: dict[str, Any] = {
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query, "isBase64Encoded": False,
        "requestContext": _context(connection_id, "$connect", "CONNECT"),
    }
    if path is not None:
        event["path"] = path
    return event


def _context(connection_id: str, route_key: str, event_type: str) -> dict[str, Any]:
    return {
        "routeKey": route_key, "eventType": event_type, "connectionId": connection_id, "apiId": "test-api",
        "stage": "api", "domainName": "test-api.execute-api.eu-west-1.amazonaws.com", "requestId": "r",
        "messageDirection": "IN", "connectedAt": 0, "requestTimeEpoch": 0,
    }


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class ChargerConnection:
    """One WebSocket connection of a charger, as API Gateway would deliver it to the handlers."""

    def __init__(self, sender: CapturedSender, slug: str, charger_id: str, password: str,
                 protocols: str = "ocpp1.6") -> None:
        self.sender = sender
        self.slug, self.charger_id, self.password, self.protocols = slug, charger_id, password, protocols
        self.connection_id = base64.b64encode(secrets.token_bytes(10)).decode()
        self.calls_received: list[Any] = []

    def connect(self, **overrides: Any) -> dict[str, Any]:
        import app

        options: dict[str, Any] = {"authorization": basic(self.charger_id, self.password), "protocols": self.protocols}
        options.update(overrides)
        response: dict[str, Any] = app.ocpp_connect(
            connect_event(self.connection_id, self.slug, self.charger_id, **options), None)
        return response

    def send_raw(self, text: str) -> Any:
        """Deliver a frame; the platform's reply parsed (None when it sent nothing). CALLs the platform
        sends meanwhile (commands) are kept in `calls_received`."""
        import app

        before = len(self.sender.sent[self.connection_id])
        app.ocpp_frame({"requestContext": _context(self.connection_id, "$default", "MESSAGE"),
                        "body": text, "isBase64Encoded": False}, None)
        sent = [json.loads(text) for text in self.sender.sent[self.connection_id][before:]]
        replies = [frame for frame in sent if frame[0] in (3, 4)]
        self.calls_received.extend(frame for frame in sent if frame[0] == 2)
        assert len(replies) <= 1, sent
        return replies[0] if replies else None

    def platform_calls(self) -> list[Any]:
        """CALLs the platform sent on this connection (commands), in order."""
        return [json.loads(text) for text in self.sender.sent[self.connection_id] if text.startswith("[2,")]

    def call(self, action: str, payload: dict[str, Any], message_id: str | None = None) -> Any:
        message_id = message_id or f"m{next(_ids)}"
        reply = self.send_raw(json.dumps([2, message_id, action, payload]))
        assert reply is not None and reply[1] == message_id, reply
        return reply

    def result(self, action: str, payload: dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
        """The CALLRESULT's payload, checked against the response schema."""
        reply = self.call(action, payload, message_id)
        assert reply[0] == 3, reply
        schemas.validate_response(self.protocols.split(",")[0], action, reply[2])
        answer: dict[str, Any] = reply[2]
        return answer

    def disconnect(self) -> None:
        import app

        app.ocpp_disconnect({"requestContext": _context(self.connection_id, "$disconnect", "DISCONNECT"),
                             "headers": {}}, None)
