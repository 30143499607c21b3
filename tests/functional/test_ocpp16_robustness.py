"""Chargers resend what they got no answer for and replay what they queued offline: nothing happens twice,
times are the charger's, and energy is never negative nor the whole odometer."""
from __future__ import annotations

from typing import Any

from tests.functional.conftest import Api, RegisteredCharger
from tests.functional.ocpp import CapturedSender, ChargerConnection
from tests.functional.test_ocpp16_messages import meter, session_of, start, stop


def sessions(api: Api, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    items: list[dict[str, Any]] = api.get(f"/v1/sessions?{query}").json["items"]
    return items


def test_a_call_retried_with_the_same_message_id_gets_the_same_answer_and_no_second_effect(
        cp: ChargerConnection, tenant_a: Api) -> None:
    payload = {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2026-11-21T08:00:00Z"}
    first = cp.call("StartTransaction", payload, message_id="retry-1")
    again = cp.call("StartTransaction", payload, message_id="retry-1")
    assert first == again
    assert len(sessions(tenant_a)) == 1
    data = {"vendorId": "v", "messageId": "m", "data": "x"}
    assert cp.call("DataTransfer", data, message_id="dt-1") == cp.call("DataTransfer", data, message_id="dt-1")
    assert len(tenant_a.get("/v1/chargers/CP-1/events?type=DataTransfer").json["items"]) == 1


def test_a_reused_message_id_with_a_different_payload_is_a_new_message(cp: ChargerConnection, tenant_a: Api) -> None:
    # Chargers restart their message ids after a reboot.
    first = cp.call("StartTransaction", {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0,
                                         "timestamp": "2026-11-21T08:00:00Z"}, message_id="1")
    second = cp.call("StartTransaction", {"connectorId": 2, "idTag": "TAG-2", "meterStart": 0,
                                          "timestamp": "2026-11-21T09:00:00Z"}, message_id="1")
    assert first[2]["transactionId"] != second[2]["transactionId"]


def test_a_duplicate_start_transaction_returns_the_same_transaction_id(cp: ChargerConnection, tenant_a: Api) -> None:
    # The same start sent again under a new message id (e.g. after the charger rebooted).
    first = start(cp, meter=500, at="2026-11-21T08:00:00Z")
    again = start(cp, meter=500, at="2026-11-21T08:00:00Z")
    assert first == again
    assert len(sessions(tenant_a)) == 1
    other = start(cp, meter=500, at="2026-11-21T08:05:00Z")
    assert other["transactionId"] != first["transactionId"]


def test_a_replayed_stop_transaction_does_not_stop_twice(cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=1000, at="2026-11-21T08:00:00Z")["transactionId"]
    stop(cp, tx, 9000, at="2026-11-21T09:00:00Z", reason="Local")
    stopped = session_of(tenant_a, tx)
    replay = stop(cp, tx, 9500, at="2026-11-21T09:30:00Z", reason="Remote")
    assert replay == {}
    assert session_of(tenant_a, tx) == stopped


def test_a_stop_for_an_unknown_transaction_is_accepted_and_kept_for_review(
        cp: ChargerConnection, tenant_a: Api) -> None:
    for tx in (4242, -1):
        assert stop(cp, tx, 7000, idTag="TAG-1") == {"idTagInfo": {"status": "Accepted"}}
    assert stop(cp, -1, 7000, idTag="TAG-1") == {"idTagInfo": {"status": "Accepted"}}  # replayed
    kept = sessions(tenant_a, status="INVALID")
    assert sorted(s["transaction_id"] for s in kept) == ["-1", "4242"]
    assert all(s["anomalies"] == ["unknown_transaction"] and s["energy_wh"] is None for s in kept)
    events = tenant_a.get("/v1/chargers/CP-1/events?type=UnmatchedStop").json["items"]
    assert len(events) == 2


def test_meter_values_after_the_stop_attach_to_their_session_and_never_make_energy_negative(
        cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=10_000, at="2026-11-21T08:00:00Z")["transactionId"]
    meter(cp, tx, "2026-11-21T08:20:00Z", "14000")
    stop(cp, tx, 18_000, at="2026-11-21T08:40:00Z")
    meter(cp, tx, "2026-11-21T08:10:00Z", "12000")  # late, from the middle of the session
    meter(cp, tx, "2026-11-21T08:50:00Z", "3")  # after the stop, a broken reading
    session = session_of(tenant_a, tx)
    assert session["energy_wh"] == 8000
    assert [r["timestamp"][11:16] for r in session["meter_values"]] == ["08:10", "08:20", "08:50"]


def test_a_stop_reading_below_the_start_gives_no_negative_energy(cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=50_000, at="2026-11-21T08:00:00Z")["transactionId"]
    meter(cp, tx, "2026-11-21T08:30:00Z", "53000")
    stop(cp, tx, 100, at="2026-11-21T09:00:00Z")
    session = session_of(tenant_a, tx)
    assert session["energy_wh"] == 3000 and session["anomalies"] == ["meter_stop_below_start"]


def test_messages_replayed_after_an_outage_give_the_session_the_charger_times(
        sender: CapturedSender, charger_a: RegisteredCharger, cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=0, at="2026-11-20T22:00:00Z")["transactionId"]
    cp.disconnect()
    # The charger was offline overnight; on reconnecting it replays its queue with the original times.
    back = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password)
    assert back.connect()["statusCode"] == 200
    meter(back, tx, "2026-11-20T23:00:00Z", "7000")
    meter(back, tx, "2026-11-21T00:00:00Z", "14000")
    stop(back, tx, 15_000, at="2026-11-21T00:10:00Z")
    session = session_of(tenant_a, tx)
    assert (session["started_at"], session["stopped_at"]) == ("2026-11-20T22:00:00.000Z", "2026-11-21T00:10:00.000Z")
    assert session["energy_wh"] == 15_000
    overnight = sessions(tenant_a, **{"from": "2026-11-20T21:00:00Z", "to": "2026-11-20T23:00:00Z"})
    assert [s["id"] for s in overnight] == [session["id"]]


def test_a_meter_reading_0_at_transaction_begin_after_an_offline_start_does_not_bill_the_odometer(
        cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=0, at="2026-11-21T08:00:00Z")["transactionId"]
    cp.result("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
        {"timestamp": "2026-11-21T08:00:00Z", "sampledValue": [{"value": "0", "context": "Transaction.Begin"}]},
        {"timestamp": "2026-11-21T08:15:00Z", "sampledValue": [{"value": "4520000"}]},
    ]})
    meter(cp, tx, "2026-11-21T08:45:00Z", "4530000")
    stop(cp, tx, 4_535_000, at="2026-11-21T09:00:00Z")
    session = session_of(tenant_a, tx)
    assert session["energy_wh"] == 15_000  # from the first real reading, not the 4.5 MWh odometer
    assert session["meter_start_wh"] == 4_520_000 and "meter_start_corrected" in session["anomalies"]


def test_a_start_reading_of_0_with_nothing_to_correct_it_bills_nothing_and_is_flagged(
        cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=0, at="2026-11-21T08:00:00Z")["transactionId"]
    stop(cp, tx, 4_535_000, at="2026-11-21T09:00:00Z")
    session = session_of(tenant_a, tx)
    assert session["energy_wh"] == 0 and session["anomalies"] == ["meter_start_unknown"]


def test_a_new_meter_counting_from_0_is_billed_in_full(cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=0, at="2026-11-21T08:00:00Z")["transactionId"]
    meter(cp, tx, "2026-11-21T08:30:00Z", "9000")
    stop(cp, tx, 18_000, at="2026-11-21T09:00:00Z")
    session = session_of(tenant_a, tx)
    assert session["energy_wh"] == 18_000 and session["anomalies"] == []


def test_a_charger_that_reconnects_mid_transaction_carries_on(
        sender: CapturedSender, charger_a: RegisteredCharger, cp: ChargerConnection, tenant_a: Api) -> None:
    tx = start(cp, meter=100)["transactionId"]
    # API Gateway ends every connection within 2 hours; the charger simply reconnects.
    fresh = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password)
    assert fresh.connect()["statusCode"] == 200
    cp.disconnect()
    assert tenant_a.get("/v1/chargers/CP-1").json["online"] is True
    assert tenant_a.get("/v1/chargers/CP-1").json["active_sessions"] == [session_of(tenant_a, tx)["id"]]
    meter(fresh, tx, "2026-11-21T08:30:00Z", "3100")
    stop(fresh, tx, 5100)
    assert session_of(tenant_a, tx)["energy_wh"] == 5000
