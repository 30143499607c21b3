"""What the OCPP benchmarks drive the WebSocket handlers with: API Gateway's event shapes, a sender that
keeps what the platform answers, OCPP 1.6 and 2.0.1 frames as chargers send them, and one tenant with a
charger of each version set up through the REST API on moto (and its table contents, to seed another
interpreter with).

Stdlib only at import: `tests.bench.ocpp_imports` imports it in interpreters whose imports it watches.
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1", "TABLE_NAME": "evcharge-bench", "IDEMPOTENCY_TABLE_NAME": "evcharge-bench-idempotency",
    "OCPP_BASE_URL": "ws://127.0.0.1:9000/ocpp",
}
_LEAKED = ("DYNAMODB_ENDPOINT", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "WS_MANAGEMENT_URL",
           "STRIPE_SECRET_KEY", "STRIPE_SECRET_ARN")

CHARGER_16, CHARGER_201 = "CP-16", "CP-201"
# One token per kind of transaction, so that no start is refused as concurrent.
TAG_16_LONG, TAG_16_PAIRS, TAG_201_LONG, TAG_201_PAIRS = "TAG-16-LONG", "TAG-16-PAIRS", "TAG-201-LONG", "TAG-201-PAIRS"
_TWO_EVSES = [{"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]}] * 2


def use_bench_environment() -> None:
    """Fake credentials and no endpoint, so nothing can reach a real account (set before importing app)."""
    os.environ.update(ENVIRONMENT)
    for leaked in _LEAKED:
        os.environ.pop(leaked, None)


# -- API Gateway's WebSocket events ---------------------------------------------------------------

def _context(connection_id: str, route_key: str, event_type: str) -> dict[str, Any]:
    return {
        "routeKey": route_key, "eventType": event_type, "connectionId": connection_id, "apiId": "bench-api",
        "stage": "api", "domainName": "bench-api.execute-api.eu-west-1.amazonaws.com", "requestId": "r",
        "messageDirection": "IN", "connectedAt": 0, "requestTimeEpoch": 0,
    }


def new_connection_id() -> str:
    return base64.b64encode(secrets.token_bytes(10)).decode()


def connect_event(connection_id: str, slug: str, charger_id: str, password: str, protocols: str) -> dict[str, Any]:
    authorization = "Basic " + base64.b64encode(f"{charger_id}:{password}".encode()).decode()
    headers = {"Host": "ws.example.com", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "x",
               "Authorization": authorization, "Sec-WebSocket-Protocol": protocols}
    return {"headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {"tenant": slug, "cp": charger_id}, "isBase64Encoded": False,
            "requestContext": _context(connection_id, "$connect", "CONNECT")}


def frame_event(connection_id: str, text: str) -> dict[str, Any]:
    return {"requestContext": _context(connection_id, "$default", "MESSAGE"), "body": text, "isBase64Encoded": False}


class KeptSender:
    """Stands in for the management API: keeps the last text sent to each connection."""

    def __init__(self) -> None:
        self.last: dict[str, str] = {}
        self.sends = 0

    def send(self, connection_id: str, text: str) -> bool:
        self.last[connection_id] = text
        self.sends += 1
        return True

    def close(self, connection_id: str) -> bool:
        return True

    def answer(self, connection_id: str, frame: str) -> list[Any]:
        """The CALLRESULT the platform answered `frame` with (anything else is a bench error)."""
        reply = self.last.pop(connection_id, None)
        if reply is None or not reply.startswith("[3,"):
            raise RuntimeError(f"{frame[:120]} was answered with {reply}")
        answer: list[Any] = json.loads(reply)
        return answer


# -- frames ---------------------------------------------------------------------------------------

_message_ids = itertools.count(1)


class ChargerClock:
    """The charger's timestamps: one second apart, starting two hours ago (statuses must be newer)."""

    def __init__(self) -> None:
        self._at = datetime.now(UTC) - timedelta(hours=2)

    def tick(self) -> str:
        self._at += timedelta(seconds=1)
        return self._at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def call(action: str, payload: dict[str, Any]) -> str:
    return json.dumps([2, f"b{next(_message_ids)}", action, payload], separators=(",", ":"))


def _samples_16(energy_wh: int, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    """What an AC charger typically samples: the energy register, power and the three phase currents."""
    return [
        {"value": str(energy_wh), "context": context, "measurand": "Energy.Active.Import.Register",
         "location": "Outlet", "unit": "Wh"},
        {"value": "11040", "context": context, "measurand": "Power.Active.Import", "unit": "W"},
        *({"value": "16.0", "context": context, "measurand": "Current.Import", "phase": phase, "unit": "A"}
          for phase in ("L1", "L2", "L3")),
    ]


def _samples_201(energy_wh: int, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    return [
        {"value": float(energy_wh), "context": context, "measurand": "Energy.Active.Import.Register",
         "location": "Outlet", "unitOfMeasure": {"unit": "Wh"}},
        {"value": 11040.0, "context": context, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
        *({"value": 16.0, "context": context, "measurand": "Current.Import", "phase": phase,
           "unitOfMeasure": {"unit": "A"}} for phase in ("L1", "L2", "L3")),
    ]


class Frames16:
    """OCPP 1.6 CALLs of one charger."""

    def __init__(self) -> None:
        self.clock = ChargerClock()
        self.energy_wh = 0

    def boot(self) -> str:
        return call("BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "AC22",
                                         "firmwareVersion": "1.0.0"})

    def heartbeat(self) -> str:
        return call("Heartbeat", {})

    def status(self, connector_id: int, status: str = "Available") -> str:
        return call("StatusNotification", {"connectorId": connector_id, "errorCode": "NoError", "status": status,
                                           "timestamp": self.clock.tick()})

    def meter_values(self, connector_id: int, transaction_id: int) -> str:
        self.energy_wh += 183  # 11 kW for a minute
        return call("MeterValues", {"connectorId": connector_id, "transactionId": transaction_id,
                                    "meterValue": [{"timestamp": self.clock.tick(),
                                                    "sampledValue": _samples_16(self.energy_wh)}]})

    def start(self, connector_id: int, id_tag: str) -> str:
        return call("StartTransaction", {"connectorId": connector_id, "idTag": id_tag, "meterStart": self.energy_wh,
                                         "timestamp": self.clock.tick()})

    def stop(self, transaction_id: int, id_tag: str) -> str:
        self.energy_wh += 5000
        return call("StopTransaction", {"transactionId": transaction_id, "idTag": id_tag,
                                        "meterStop": self.energy_wh, "timestamp": self.clock.tick(),
                                        "reason": "Local"})


class Frames201:
    """OCPP 2.0.1 CALLs of one charging station; its transactions' seqNos counted per transaction."""

    def __init__(self) -> None:
        self.clock = ChargerClock()
        self.energy_wh = 0
        self._seq_nos: dict[str, itertools.count[int]] = {}

    def boot(self) -> str:
        return call("BootNotification", {"chargingStation": {"vendorName": "Bench", "model": "AC22",
                                                             "firmwareVersion": "1.0.0"}, "reason": "PowerUp"})

    def heartbeat(self) -> str:
        return call("Heartbeat", {})

    def status(self, evse_id: int, status: str = "Available") -> str:
        return call("StatusNotification", {"timestamp": self.clock.tick(), "connectorStatus": status,
                                           "evseId": evse_id, "connectorId": 1})

    def meter_values(self, evse_id: int) -> str:
        self.energy_wh += 183
        return call("MeterValues", {"evseId": evse_id, "meterValue": [
            {"timestamp": self.clock.tick(), "sampledValue": _samples_201(self.energy_wh)}]})

    def _event(self, transaction_id: str, event_type: str, trigger: str, info: dict[str, Any],
               context: str, **extra: Any) -> str:
        seq_no = next(self._seq_nos.setdefault(transaction_id, itertools.count()))
        at = self.clock.tick()
        return call("TransactionEvent", {
            "eventType": event_type, "timestamp": at, "triggerReason": trigger, "seqNo": seq_no,
            "transactionInfo": {"transactionId": transaction_id, **info},
            "meterValue": [{"timestamp": at, "sampledValue": _samples_201(self.energy_wh, context)}], **extra,
        })

    def started(self, transaction_id: str, evse_id: int, id_token: str) -> str:
        return self._event(transaction_id, "Started", "Authorized", {"chargingState": "Charging"},
                           "Transaction.Begin", evse={"id": evse_id, "connectorId": 1},
                           idToken={"idToken": id_token, "type": "ISO14443"})

    def updated(self, transaction_id: str) -> str:
        """A periodic meter update: readings only (no idToken, no evse)."""
        self.energy_wh += 183
        return self._event(transaction_id, "Updated", "MeterValuePeriodic", {"chargingState": "Charging"},
                           "Sample.Periodic")

    def ended(self, transaction_id: str, id_token: str) -> str:
        self.energy_wh += 5000
        return self._event(transaction_id, "Ended", "StopAuthorized", {"chargingState": "Idle",
                                                                          "stoppedReason": "Local"},
                           "Transaction.End", idToken={"idToken": id_token, "type": "ISO14443"})


# -- one tenant on moto ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Fleet:
    slugs: dict[str, str]  # charger id -> its tenant's slug
    passwords: dict[str, str]  # charger id -> its OCPP password


def set_up_fleet() -> Fleet:
    """The two chargers (2 EVSEs each), each of its own tenant (moto reads a whole partition for a Query,
    so each version's frames must not pay for the other's readings), with a site and the tokens, through
    the REST API; inside `mock_aws` with the tables created."""
    from chalice.test import Client

    from app import app

    slugs, passwords = {}, {}
    with Client(app) as client:
        def post(path: str, body: Any, key: str | None = None) -> Any:
            headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
            response = client.http.post(path, headers=headers, body=json.dumps(body))
            if response.status_code >= 300:
                raise RuntimeError(f"POST {path}: {response.status_code} {response.body!r}")
            return json.loads(response.body)

        for charger_id, tokens in ((CHARGER_16, (TAG_16_LONG, TAG_16_PAIRS)),
                                   (CHARGER_201, (TAG_201_LONG, TAG_201_PAIRS))):
            signed_up = post("/v1/signup", {"name": f"Bench {charger_id}", "email": f"{charger_id}@bench.example",
                                            "country": "NL", "currency": "EUR"})
            key = signed_up["api_key"]
            site = post("/v1/sites", {"name": "S", "address": "A", "city": "C", "postal_code": "1",
                                      "country": "NL", "latitude": 1, "longitude": 1, "time_zone": "UTC"}, key)
            passwords[charger_id] = post("/v1/chargers", {"id": charger_id, "site_id": site["id"],
                                                          "evses": _TWO_EVSES}, key)["password"]
            for uid in tokens:
                post("/v1/tokens", {"uid": uid}, key)
            slugs[charger_id] = signed_up["tenant"]["slug"]
    return Fleet(slugs, passwords)


def _tables() -> tuple[Any, list[str]]:
    import boto3

    from chalicelib.settings import settings

    client = boto3.client("dynamodb", region_name=settings().region)
    return client, [settings().table_name, settings().idempotency_table_name]


def dump_state(fleet: Fleet) -> dict[str, Any]:
    """Every item of both tables (DynamoDB JSON), and the fleet, to seed another interpreter with."""
    client, tables = _tables()
    items: dict[str, list[Any]] = {}
    for table in tables:
        items[table] = [item for page in client.get_paginator("scan").paginate(TableName=table)
                        for item in page["Items"]]
    return {"slugs": fleet.slugs, "passwords": fleet.passwords, "items": items}


def load_state(state: dict[str, Any]) -> Fleet:
    client, _ = _tables()
    for table, items in state["items"].items():
        for item in items:
            client.put_item(TableName=table, Item=item)
    return Fleet(state["slugs"], state["passwords"])
