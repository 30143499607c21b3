"""GET /v1/sessions and /v1/sessions/{id}: filters, pages, and clear errors."""
from __future__ import annotations

import boto3
import pytest

from tests.functional.conftest import Api
from tests.functional.ocpp import ChargerConnection
from tests.functional.test_ocpp16_messages import start, stop


@pytest.fixture
def three_sessions(cp: ChargerConnection) -> list[int]:
    a = start(cp, connector=1, at="2026-11-20T10:00:00Z")["transactionId"]
    stop(cp, a, 2000, at="2026-11-20T11:00:00Z")
    b = start(cp, connector=1, at="2026-11-21T10:00:00Z")["transactionId"]
    stop(cp, b, 3000, at="2026-11-21T11:00:00Z")
    c = start(cp, connector=2, at="2026-11-21T12:00:00Z")["transactionId"]
    return [a, b, c]


def tx_ids(reply: dict[str, object]) -> list[int]:
    return [int(s["transaction_id"]) for s in reply["items"]]  # type: ignore[attr-defined]


def test_sessions_are_listed_newest_first_and_filtered(tenant_a: Api, three_sessions: list[int]) -> None:
    a, b, c = three_sessions
    assert tx_ids(tenant_a.get("/v1/sessions").json) == [c, b, a]
    assert tx_ids(tenant_a.get("/v1/sessions?status=ACTIVE").json) == [c]
    assert tx_ids(tenant_a.get("/v1/sessions?status=COMPLETED").json) == [b, a]
    assert tx_ids(tenant_a.get("/v1/sessions?charger_id=CP-1&status=COMPLETED").json) == [b, a]
    assert tx_ids(tenant_a.get("/v1/sessions?charger_id=CP-9").json) == []
    assert tx_ids(tenant_a.get("/v1/sessions?from=2026-11-21T00:00:00Z").json) == [c, b]
    assert tx_ids(tenant_a.get("/v1/sessions?to=2026-11-21T00:00:00%2B00:00").json) == [a]


def test_sessions_page_with_next(tenant_a: Api, three_sessions: list[int]) -> None:
    seen: list[int] = []
    path = "/v1/sessions?limit=1&status=COMPLETED"
    while True:
        page = tenant_a.get(path).json
        seen += tx_ids(page)
        if not page["next"]:
            break
        path = f"/v1/sessions?limit=1&status=COMPLETED&next={page['next']}"
    assert seen == three_sessions[1::-1]
    by_charger = tenant_a.get("/v1/sessions?limit=2&charger_id=CP-1").json
    rest = tenant_a.get(f"/v1/sessions?limit=2&charger_id=CP-1&next={by_charger['next']}").json
    assert tx_ids(by_charger) + tx_ids(rest) == three_sessions[::-1]


@pytest.mark.parametrize(("query", "field"), [
    ("status=DONE", "status"), ("from=yesterday", "from"), ("to=2026-11-21", "to"), ("limit=0", "limit"),
    ("colour=red", "colour"),
])
def test_bad_session_filters_are_refused_with_400(tenant_a: Api, query: str, field: str) -> None:
    reply = tenant_a.get(f"/v1/sessions?{query}")
    assert reply.status == 400 and reply.json["error"]["field"] == field


@pytest.mark.parametrize("session_id", ["ses_01m7ydx8pv596mgay4p5vgp0da", "nonsense", "ses_" + "x" * 300])
def test_an_unknown_session_is_404(tenant_a: Api, session_id: str) -> None:
    reply = tenant_a.get(f"/v1/sessions/{session_id}")
    assert reply.status == 404 and reply.json["error"]["code"] == "session_not_found"


def test_a_retried_data_transfer_is_answered_from_the_idempotency_table(
        cp: ChargerConnection, tenant_a: Api) -> None:
    data = {"vendorId": "v", "data": "x"}
    first = cp.call("DataTransfer", data, message_id="idem-1")
    records = boto3.client("dynamodb").scan(TableName="evcharge-idempotency-test")["Items"]
    assert [r["status"]["S"] for r in records] == ["COMPLETED"]
    assert cp.call("DataTransfer", data, message_id="idem-1") == first
    assert len(tenant_a.get("/v1/chargers/CP-1/events?type=DataTransfer").json["items"]) == 1


def test_authorize_always_answers_the_token_as_it_is_now(cp: ChargerConnection, tenant_a: Api) -> None:
    # Chargers restart their message ids after a reboot: an old answer under a reused id would be wrong.
    assert cp.call("Authorize", {"idTag": "TAG-1"}, message_id="1")[2]["idTagInfo"]["status"] == "Accepted"
    tenant_a.patch("/v1/tokens/TAG-1", {"status": "BLOCKED"})
    assert cp.call("Authorize", {"idTag": "TAG-1"}, message_id="1")[2]["idTagInfo"]["status"] == "Blocked"
