"""A Chalice app of its own for the workflow tests: the functions of fixtures/workflows/sample_billing.asl.json,
recording each call, failing on demand and writing to DynamoDB like the platform's functions will."""
from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from chalice.app import Chalice

app = Chalice(app_name="workflow-fixture")
RECEIPTS_TABLE = "workflow-fixture-receipts"


class TransientError(Exception):
    """What a function raises when trying again may work (the definition retries it)."""


class PaymentDeclined(Exception):
    """What a function raises when trying again cannot work."""


class Recorder:
    """The calls the functions received, in order; a test may hold `price_session` at a gate."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gate = threading.Event()

    def record(self, function: str, event: dict[str, Any]) -> int:
        """Record a call; how many calls `function` has had, this one included."""
        with self._lock:
            self.calls.append((function, event))
            return sum(1 for name, _ in self.calls if name == function)

    def of(self, function: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for name, event in self.calls if name == function]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
        self.gate.set()


recorder = Recorder()


def receipts() -> Any:
    return boto3.client("dynamodb", endpoint_url=os.environ.get("DYNAMODB_ENDPOINT") or None)


@app.lambda_function(name="price_session")
def price_session(event: dict[str, Any], context: Any) -> dict[str, Any]:
    recorder.record("price_session", event)
    assert recorder.gate.wait(10), "the test never opened the gate"
    return {"amount": round(event["kwh"] * event["price_per_kwh"]), "function": context.function_name}


@app.lambda_function(name="charge")
def charge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    attempt = recorder.record("charge", event)
    if event.get("card") == "declined":
        raise PaymentDeclined(f"card declined for {event['priced']['amount']}")
    if attempt <= event.get("transient_failures", 0):
        raise TransientError(f"payment provider unavailable (attempt {attempt})")
    return {"captured": event["priced"]["amount"], "attempt": attempt}


@app.lambda_function(name="send_receipt")
def send_receipt(event: dict[str, Any], context: Any) -> dict[str, Any]:
    recorder.record("send_receipt", event)
    receipts().put_item(TableName=RECEIPTS_TABLE, Item={
        "session_id": {"S": event["session_id"]}, "amount": {"N": str(event["charge"]["captured"])},
    })
    return {"session_id": event["session_id"], "receipt_for": event["charge"]["captured"]}


@app.lambda_function(name="record_failure")
def record_failure(event: dict[str, Any], context: Any) -> dict[str, Any]:
    recorder.record("record_failure", event)
    receipts().put_item(TableName=RECEIPTS_TABLE, Item={
        "session_id": {"S": event["session_id"]}, "status": {"S": "failed"},
        "error": {"S": event["error"]["Error"]},
    })
    return {"session_id": event["session_id"], "status": "failed"}


def create_receipts_table(endpoint_url: str | None = None) -> None:
    boto3.client("dynamodb", endpoint_url=endpoint_url).create_table(
        TableName=RECEIPTS_TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
    )


def receipt(session_id: str, endpoint_url: str | None = None) -> dict[str, Any] | None:
    item: dict[str, Any] | None = boto3.client("dynamodb", endpoint_url=endpoint_url).get_item(
        TableName=RECEIPTS_TABLE, Key={"session_id": {"S": session_id}}).get("Item")
    return item
