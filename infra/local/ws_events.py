"""The Lambda events of API Gateway's WebSocket API (Lambda proxy integration), as the local gateway builds them.

`$connect` carries the upgrade request's headers and query, `$default` one message, `$disconnect` the close
code; all three share a `requestContext` naming the connection. Shapes follow what AWS sends, including its
quirks (a `$disconnect` carries only a few placeholder headers). One addition: `path`, the path the client
asked for, which API Gateway does not pass (there the stage is the whole path).
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

_ID_ALPHABET = string.ascii_letters + string.digits
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Chargers dial /ocpp/{tenant}/{chargePointId}. API Gateway cannot route a path after the stage, so in AWS a
# CloudFront Function rewrites it to /{stage}?tenant=..&cp=..; the local gateway does the same rewrite.
_OCPP_PATH = re.compile(r"/ocpp/([^/]+)/([^/]+)/?")
# Hop-by-hop headers of the upgrade: API Gateway does not pass them on.
_NOT_PASSED = {"connection", "upgrade"}


def new_id() -> str:
    """An id shaped like API Gateway's connection and request ids (16 characters ending in `=`), drawn from
    letters and digits only so that it needs no escaping in a URL path."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


def request_time(epoch_s: float) -> str:
    """`19/Feb/2024:07:11:42 +0000`, whatever the locale."""
    t = time.gmtime(epoch_s)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def iso8601(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rewrite_target(target: str) -> tuple[str, list[tuple[str, str]]]:
    """The path and the query parameters API Gateway would see for a request target such as
    `/ocpp/volt/CP-1?x=1`: `/ocpp/{tenant}/{cp}` becomes `tenant` and `cp` parameters (percent-decoded, as
    API Gateway decodes query values; they replace any given in the query), anything else keeps its query."""
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    match = _OCPP_PATH.fullmatch(parts.path)
    if match:
        query = [(k, v) for k, v in query if k not in ("tenant", "cp")]
        query += [("tenant", unquote(match[1])), ("cp", unquote(match[2]))]
    return parts.path, query


@dataclass(frozen=True)
class Api:
    """What every event says about the API itself."""

    stage: str
    api_id: str
    domain_name: str


@dataclass(frozen=True)
class Connection:
    """What every event says about the connection."""

    connection_id: str
    connected_at: float  # epoch seconds
    source_ip: str
    user_agent: str | None
    host: str


def _request_context(api: Api, connection: Connection, route_key: str, event_type: str,
                     now: float, **extra: Any) -> dict[str, Any]:
    request_id = new_id()
    return {
        "routeKey": route_key,
        **extra,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": int(connection.connected_at * 1000),
        "requestTimeEpoch": int(now * 1000),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        "requestId": request_id,
        "domainName": api.domain_name,
        "connectionId": connection.connection_id,
        "apiId": api.api_id,
    }


def _single_and_multi(pairs: Iterable[tuple[str, str]], field_name: str) -> dict[str, Any]:
    """`{field}` (the last value of each name) and `multiValue{Field}` (all of them), or nothing when there
    are no pairs, as API Gateway leaves them out."""
    multi: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}  # header names compare case-insensitively; keep the first spelling
    for name, value in pairs:
        key = spelled.setdefault(name.lower(), name) if field_name == "headers" else name
        multi.setdefault(key, []).append(value)
    if not multi:
        return {}
    multi_name = "multiValue" + field_name[0].upper() + field_name[1:]
    return {field_name: {k: v[-1] for k, v in multi.items()}, multi_name: multi}


def connect_event(api: Api, connection: Connection, target: str, headers: Iterable[tuple[str, str]],
                  gateway_port: int, now: float) -> dict[str, Any]:
    path, query = rewrite_target(target)
    passed = [(k, v) for k, v in headers if k.lower() not in _NOT_PASSED and not k.lower().startswith("x-forwarded-")]
    passed += [
        ("X-Amzn-Trace-Id", f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"),
        ("X-Forwarded-For", connection.source_ip),
        ("X-Forwarded-Port", str(gateway_port)),
        ("X-Forwarded-Proto", "http"),
    ]
    return {
        **_single_and_multi(passed, "headers"),
        **_single_and_multi(query, "queryStringParameters"),
        "requestContext": _request_context(api, connection, "$connect", "CONNECT", now),
        "isBase64Encoded": False,
        "path": path,
    }


def message_event(api: Api, connection: Connection, message: str | bytes, now: float) -> dict[str, Any]:
    binary = isinstance(message, bytes)
    body = base64.b64encode(message).decode() if isinstance(message, bytes) else message
    return {
        "requestContext": _request_context(api, connection, "$default", "MESSAGE", now, messageId=new_id()),
        "body": body,
        "isBase64Encoded": binary,
    }


def disconnect_event(api: Api, connection: Connection, code: int, reason: str, now: float) -> dict[str, Any]:
    # What AWS sends: the Host, and three headers that are always empty.
    headers = [("Host", connection.host), ("x-api-key", ""), ("X-Forwarded-For", ""), ("x-restapi", "")]
    return {
        **_single_and_multi(headers, "headers"),
        "requestContext": _request_context(api, connection, "$disconnect", "DISCONNECT", now,
                                           disconnectStatusCode=code, disconnectReason=reason),
        "isBase64Encoded": False,
    }


@dataclass(frozen=True)
class ConnectAnswer:
    """A `$connect` integration's response as API Gateway reads it: 2xx opens the connection, answering
    `Sec-WebSocket-Protocol` with exactly the header returned; anything else refuses the upgrade with it."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def subprotocol(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "sec-websocket-protocol"), None)


def connect_answer(result: Any) -> ConnectAnswer:
    """Reads a handler's return value (Chalice's handlers return `{"statusCode": 200}` for None). Raises
    ValueError for one API Gateway could not use, which it answers with a 500."""
    if result is None:
        return ConnectAnswer(200)
    if not isinstance(result, dict):
        raise ValueError(f"a $connect handler returned {type(result).__name__}, not a dict")
    status = result.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"a $connect handler returned statusCode {status!r}")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
    return ConnectAnswer(status, headers, data)
