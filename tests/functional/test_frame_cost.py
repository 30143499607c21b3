"""What a frame costs in DynamoDB requests on a warm container, as the bill depends on it: a Heartbeat at
most one write (last seen, once a minute) and no read; a reading frame one write and no read."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest

from tests.functional.ocpp import ChargerConnection

_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@pytest.fixture
def dynamodb_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    counted: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            counted["reads" if operation in _READS else "writes" if operation in _WRITES else operation] += 1
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    yield counted


def cost(counter: Counter[str], frame: Any) -> tuple[int, int]:
    counter.clear()
    frame()
    return counter["reads"], counter["writes"]


def test_warm_heartbeats_cost_no_read_and_at_most_one_write(
        cp: ChargerConnection, dynamodb_requests: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cp.result("Heartbeat", {})  # the first frame after $connect
    assert cost(dynamodb_requests, lambda: cp.result("Heartbeat", {})) == (0, 0)  # last seen written < 1 min ago
    monkeypatch.setattr("chalicelib.ocpp.gateway._LAST_SEEN_EVERY_S", 0.0)  # a minute later
    assert cost(dynamodb_requests, lambda: cp.result("Heartbeat", {})) == (0, 1)


def test_warm_meter_values_cost_one_write_and_no_read_even_when_last_seen_is_due(
        cp: ChargerConnection, dynamodb_requests: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    tx = cp.result("StartTransaction", {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0,
                                        "timestamp": "2026-11-21T08:00:00Z"})["transactionId"]
    monkeypatch.setattr("chalicelib.ocpp.gateway._LAST_SEEN_EVERY_S", 0.0)

    def meter_values() -> None:
        cp.result("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-11-21T08:10:00Z", "sampledValue": [{"value": "1000"}]}]})

    assert cost(dynamodb_requests, meter_values) == (0, 1)


def test_warm_periodic_201_updates_cost_one_write_and_no_read(
        cp201: ChargerConnection, dynamodb_requests: Counter[str]) -> None:
    def update(seq: int) -> None:
        cp201.result("TransactionEvent", {
            "eventType": "Updated" if seq else "Started", "timestamp": f"2026-11-21T08:{seq:02d}:00Z",
            "triggerReason": "MeterValuePeriodic" if seq else "Authorized", "seqNo": seq,
            "transactionInfo": {"transactionId": "TX-C"},
            "meterValue": [{"timestamp": f"2026-11-21T08:{seq:02d}:00Z", "sampledValue": [{"value": seq * 100}]}]})

    update(0)
    update(1)
    assert cost(dynamodb_requests, lambda: update(2)) == (0, 1)
