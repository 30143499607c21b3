"""The billing workflow on moto's Step Functions engine, its tasks run by app.py's functions, against the
Stripe sandbox: a paid session is priced, captured, split and ledgered to the cent, once."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from infra.local.stripe_sandbox.server import LocalStripe
from tests.functional.conftest import Api
from tests.functional.ocpp import ChargerConnection
from tests.functional.payments import TARIFF, deliver, latest_event, onboard, stripe_sandbox

__all__ = ["stripe_sandbox"]


class Billing:
    def __init__(self, api: Api, workflows: Any, sandbox: LocalStripe, cp: ChargerConnection) -> None:
        self.api, self.workflows, self.sandbox, self.cp = api, workflows, sandbox, cp
        self.tenant_id = api.get("/v1/tenant").json["id"]

    def wait(self, session_id: str) -> dict[str, Any]:
        from chalicelib.billing.hooks import billing_execution_name
        from chalicelib.workflows.starter import execution_arn
        from infra.local.workflows import wait_for_execution

        arn = execution_arn(self.workflows.state_machine_arns["billing"],
                            billing_execution_name(self.tenant_id, session_id))
        result: dict[str, Any] = wait_for_execution(self.workflows.client("stepfunctions"), arn, timeout=30)
        return result

    def pay_and_start(self, meter_start: int = 1000) -> tuple[str, str]:
        """A driver pays on the hosted page; the charger takes the remote start and starts. (payment, tx)"""
        response = self.api._client.http.post("/pay/" + self.api.get("/v1/tenant").json["slug"] + "/CP-1/1",
                                              headers={"Content-Type": "application/x-www-form-urlencoded"}, body="")
        assert response.status_code == 303, response.body
        paid = requests.post(response.headers["Location"],
                             data={"cardnumber": "4242424242424242", "email": "driver@example.com"},
                             allow_redirects=False, timeout=5)
        payment_id = paid.headers["Location"].rsplit("/", 1)[-1]
        assert deliver(self.api, latest_event(self.sandbox, "checkout.session.completed")).status == 200
        start = [c for c in self.cp.platform_calls() if c[2] == "RemoteStartTransaction"][-1]
        assert self.cp.send_raw(f'[3,"{start[1]}",{{"status": "Accepted"}}]') is None
        tx = self.cp.result("StartTransaction", {"connectorId": 1, "idTag": start[3]["idTag"],
                                                 "meterStart": meter_start, "timestamp": "2026-11-21T08:00:00Z"})
        assert tx["idTagInfo"]["status"] == "Accepted"
        return payment_id, str(tx["transactionId"])

    def stop(self, tx: str, meter_stop: int, at: str = "2026-11-21T09:00:00Z") -> str:
        self.cp.result("StopTransaction", {"transactionId": int(tx), "meterStop": meter_stop, "timestamp": at})
        sessions = self.api.get("/v1/sessions").json["items"]
        return str(next(s for s in sessions if s["transaction_id"] == tx)["id"])


def sent_emails() -> list[Any]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages)


@pytest.fixture
def billing(tenant_a: Api, cp: ChargerConnection, workflows: Any, stripe_sandbox: LocalStripe,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Billing]:
    """Tenant A's CP-1 at a site whose owner takes 30% and eMSP 5% (platform 5%), all onboarded; 0.30 EUR/kWh
    excl. 21% VAT on the site; receipts emailed from a verified SES identity."""
    import boto3

    from chalicelib import composition, settings

    boto3.client("ses").verify_email_identity(EmailAddress="receipts@cpo.example")
    monkeypatch.setenv("RECEIPT_SENDER", "receipts@cpo.example")
    settings.settings.cache_clear()
    composition.receipt_mailer.cache_clear()
    owner = tenant_a.post("/v1/parties", {"role": "OWNER", "name": "Owner"}).json
    emsp = tenant_a.post("/v1/parties", {"role": "EMSP", "name": "eMSP"}).json
    for path in (f"/v1/parties/{owner['id']}/onboarding-link", f"/v1/parties/{emsp['id']}/onboarding-link",
                 "/v1/tenant/onboarding-link"):
        onboard(tenant_a, stripe_sandbox, path)
    tariff = tenant_a.post("/v1/tariffs", TARIFF).json
    site_id = tenant_a.get("/v1/chargers/CP-1").json["site_id"]
    assert tenant_a.patch(f"/v1/sites/{site_id}", {"tariff_id": tariff["id"], "revenue_split": [
        {"party_id": owner["id"], "share_bps": 3000}, {"party_id": emsp["id"], "share_bps": 500}]}).status == 200
    cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
    yield Billing(tenant_a, workflows, stripe_sandbox, cp)
    monkeypatch.delenv("RECEIPT_SENDER")
    settings.settings.cache_clear()


def test_a_paid_session_is_captured_split_and_ledgered_to_the_cent(billing: Billing) -> None:
    payment_id, tx = billing.pay_and_start()
    session_id = billing.stop(tx, meter_stop=13_333)  # 12.333 kWh
    assert billing.wait(session_id)["status"] == "SUCCEEDED"

    session = billing.api.get(f"/v1/sessions/{session_id}").json
    # 12.333 kWh x 0.30 = 3.6999 -> 3.70 excl; VAT 21% of 3.6999 = 0.776979 -> 0.78; 4.48 incl.
    assert session["cost"] == {"excl_vat": 370, "incl_vat": 448} and session["billing"] == "billed"
    cdr = billing.api.get(f"/v1/cdrs/{session['cdr_id']}").json
    assert cdr["total_cost"] == {"excl_vat": 3.7, "incl_vat": 4.48} and cdr["total_energy"] == 12.333
    assert cdr["session_id"] == session_id and cdr["cdr_token"]["type"] == "AD_HOC_USER"

    intent = next(i for i in billing.sandbox.payment_intents() if i["metadata"].get("payment_id") == payment_id)
    assert intent["status"] == "succeeded" and intent["amount_received"] == 448
    entry = billing.api.get("/v1/ledger").json["items"][0]
    assert entry["gross"] == 448 and entry["vat"] == 78
    # 448 split: platform 5% = 22.4, owner 30% = 134.4, eMSP 5% = 22.4, CPO the rest (268.8).
    amounts = {t["role"]: t["amount"] for t in entry["transfers"]}
    assert amounts == {"OWNER": 134, "EMSP": 22, "CPO": 269} and entry["platform_fee"] == 23
    assert entry["platform_fee"] + sum(amounts.values()) == entry["gross"]
    transfers = [t for t in billing.sandbox.transfers() if t["transfer_group"] == session_id]
    assert sorted(t["amount"] for t in transfers) == [22, 134, 269]
    assert all(t["source_transaction"] == intent["latest_charge"] for t in transfers)
    view = billing.api.with_key(None).get(f"/pay/sessions/{payment_id}", headers={"Accept": "application/json"}).json
    assert view["status"] == "captured" and view["receipt"]["total_incl_vat"] == 448
    # The receipt went by email to the address the driver gave at checkout, once.
    [email] = [m for m in sent_emails() if m.destinations["ToAddresses"] == ["driver@example.com"]]
    assert email.subject == "Receipt: 4.48 EUR for charging at CP-1"
    assert "Energy (12.333 kWh x 0.3 EUR), VAT 21%: 4.48 EUR" in email.body and payment_id in email.body


def test_a_stripe_5xx_on_capture_is_retried_without_a_second_capture(billing: Billing) -> None:
    payment_id, tx = billing.pay_and_start()
    # The capture happens but its answer is lost twice: Step Functions retries the step.
    billing.sandbox.fail_next("/v1/payment_intents/*/capture", times=2, when="after")
    session_id = billing.stop(tx, meter_stop=11_000)  # 10 kWh: 3.00 + 0.63 VAT
    assert billing.wait(session_id)["status"] == "SUCCEEDED"
    intent = next(i for i in billing.sandbox.payment_intents() if i["metadata"].get("payment_id") == payment_id)
    assert intent["amount_received"] == 363
    captures = [e for e in billing.sandbox.events("charge.captured") if e["data"]["object"]["payment_intent"]
                == intent["id"]]
    assert len(captures) == 1


def test_billing_run_again_charges_and_transfers_nothing_twice(billing: Billing) -> None:
    _, tx = billing.pay_and_start()
    session_id = billing.stop(tx, meter_stop=11_000)
    assert billing.wait(session_id)["status"] == "SUCCEEDED"
    before = (len(billing.sandbox.transfers()), [i["amount_received"] for i in billing.sandbox.payment_intents()])
    # The same session's stop replayed by the charger does not start billing again...
    billing.cp.result("StopTransaction", {"transactionId": int(tx), "meterStop": 11_000,
                                          "timestamp": "2026-11-21T09:00:00Z"})
    # ...and every step run again by hand (an operator re-running billing) does nothing new.
    from chalicelib.composition import billing_steps

    steps = billing_steps(billing.tenant_id)
    for step in (steps.price, steps.collect, steps.split, steps.record_ledger, steps.send_receipt):
        step(session_id)
    after = (len(billing.sandbox.transfers()), [i["amount_received"] for i in billing.sandbox.payment_intents()])
    assert after == before
    assert len(billing.api.get("/v1/ledger").json["items"]) == 1


def test_an_rfid_session_records_a_receivable_and_moves_no_money(billing: Billing) -> None:
    billing.api.post("/v1/tokens", {"uid": "RFID-1"})
    tx = billing.cp.result("StartTransaction", {"connectorId": 2, "idTag": "RFID-1", "meterStart": 0,
                                                "timestamp": "2026-11-21T08:00:00Z"})["transactionId"]
    session_id = billing.stop(str(tx), meter_stop=10_000)
    assert billing.wait(session_id)["status"] == "SUCCEEDED"
    entry = billing.api.get("/v1/ledger").json["items"][0]
    assert entry["gross"] == 0 and entry["receivable"] == 363 and entry["platform_fee"] == 0
    assert not [t for t in billing.sandbox.transfers() if t["transfer_group"] == session_id]


def test_a_billing_failure_marks_the_session_failed_and_moves_no_money(billing: Billing) -> None:
    import stripe

    payment_id, tx = billing.pay_and_start()
    # The hold is gone (cancelled behind the platform's back): the capture is refused for good.
    intent = next(i for i in billing.sandbox.payment_intents() if i["metadata"].get("payment_id") == payment_id)
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": billing.sandbox.url})
    client.v1.payment_intents.cancel(intent["id"])
    session_id = billing.stop(tx, meter_stop=11_000)
    assert billing.wait(session_id)["status"] == "FAILED"
    assert billing.api.get(f"/v1/sessions/{session_id}").json["billing"] == "failed"
    entry = billing.api.get("/v1/ledger").json["items"][0]
    assert entry["status"] == "failed" and entry["gross"] is None and entry["transfers"] == []
    assert not [t for t in billing.sandbox.transfers() if t["transfer_group"] == session_id]
    view = billing.api.with_key(None).get(f"/pay/sessions/{payment_id}", headers={"Accept": "application/json"}).json
    assert view["status"] == "failed"


def test_a_session_whose_cost_reaches_the_hold_is_stopped_and_captures_the_hold(
        billing: Billing, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chalicelib.billing.hooks.HOLD_CHECK_INTERVAL_S", 0.0)
    assert billing.api.patch("/v1/tenant", {"checkout_hold": 200}).status == 200  # 2.00 EUR held
    _, tx = billing.pay_and_start(meter_start=0)

    def reading(at: str, wh: int) -> dict[str, Any]:
        return {"connectorId": 1, "transactionId": int(tx),
                "meterValue": [{"timestamp": at, "sampledValue": [{"value": str(wh)}]}]}

    billing.cp.result("MeterValues", reading("2026-11-21T08:30:00Z", 4000))  # 4 kWh: 1.45 incl. VAT, under
    assert not [c for c in billing.cp.platform_calls() if c[2] == "RemoteStopTransaction"]
    billing.cp.result("MeterValues", reading("2026-11-21T08:45:00Z", 6000))  # 6 kWh: 2.18 incl. VAT, over
    stops = [c for c in billing.cp.platform_calls() if c[2] == "RemoteStopTransaction"]
    assert len(stops) == 1 and stops[0][3] == {"transactionId": int(tx)}
    session_id = billing.stop(tx, meter_stop=6100, at="2026-11-21T08:46:00Z")
    assert billing.wait(session_id)["status"] == "SUCCEEDED"
    entry = billing.api.get("/v1/ledger").json["items"][0]
    assert entry["gross"] == 200 and entry["receivable"] == entry["cost"]["incl_vat"] - 200
    assert entry["platform_fee"] + sum(t["amount"] for t in entry["transfers"]) == 200


def test_a_paid_token_cannot_start_or_pay_for_a_second_session(billing: Billing) -> None:
    payment_id, tx = billing.pay_and_start()
    tag = [c for c in billing.cp.platform_calls() if c[2] == "RemoteStartTransaction"][-1][3]["idTag"]
    first = billing.stop(tx, meter_stop=11_000)
    assert billing.wait(first)["status"] == "SUCCEEDED"
    transfers_before = len(billing.sandbox.transfers())
    # The car is plugged in again and the charger reuses the tag it was given.
    again = billing.cp.result("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 11_000,
                                                   "timestamp": "2026-11-21T09:05:00Z"})
    assert again["idTagInfo"]["status"] == "Invalid"
    second = billing.stop(str(again["transactionId"]), meter_stop=21_000, at="2026-11-21T10:00:00Z")
    assert billing.wait(second)["status"] == "SUCCEEDED"
    entry = next(e for e in billing.api.get("/v1/ledger").json["items"] if e["session_id"] == second)
    assert entry["payment_id"] is None and entry["gross"] == 0 and entry["transfers"] == []
    assert len(billing.sandbox.transfers()) == transfers_before
    intent = next(i for i in billing.sandbox.payment_intents() if i["metadata"].get("payment_id") == payment_id)
    assert intent["amount_received"] == 363


def test_the_sweep_stops_a_paid_session_past_its_hold_that_readings_did_not_stop(
        billing: Billing, monkeypatch: pytest.MonkeyPatch) -> None:
    import app

    def stops() -> list[Any]:
        return [c for c in billing.cp.platform_calls() if c[2] == "RemoteStopTransaction"]

    assert billing.api.patch("/v1/tenant", {"checkout_hold": 100}).status == 200  # 1.00 EUR held
    _, tx = billing.pay_and_start(meter_start=0)
    monkeypatch.setattr("chalicelib.billing.hooks.HOLD_CHECK_INTERVAL_S", 10**9)  # the readings check never runs
    billing.cp.result("MeterValues", {"connectorId": 1, "transactionId": int(tx), "meterValue": [
        {"timestamp": "2026-11-21T08:20:00Z", "sampledValue": [{"value": "3000"}]}]})  # 3 kWh: 1.09 EUR
    assert not stops()
    assert app.sweep_payments(SCHEDULED_EVENT, None) == {"released": 0, "stopped": 1, "finished": 0}
    assert len(stops()) == 1


def test_the_sweep_releases_a_hold_whose_charge_never_started(
        billing: Billing, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    import app

    response = billing.api._client.http.post("/pay/" + billing.api.get("/v1/tenant").json["slug"] + "/CP-1/1",
                                             headers={"Content-Type": "application/x-www-form-urlencoded"}, body="")
    requests.post(response.headers["Location"], data={"cardnumber": "4242424242424242"}, allow_redirects=False,
                  timeout=5)
    assert deliver(billing.api, latest_event(billing.sandbox, "checkout.session.completed")).status == 200
    assert app.sweep_payments(SCHEDULED_EVENT, None)["released"] == 0  # still within its start window
    monkeypatch.setattr("chalicelib.payments.checkout.START_WINDOW", timedelta(seconds=-1))
    assert app.sweep_payments(SCHEDULED_EVENT, None)["released"] == 1
    assert billing.sandbox.payment_intents()[-1]["status"] == "canceled"
    assert app.sweep_payments(SCHEDULED_EVENT, None) == {"released": 0, "stopped": 0, "finished": 0}


SCHEDULED_EVENT = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}, "id": "e",
                   "region": "eu-west-1", "time": "2026-11-21T08:21:00Z", "account": "123456789012",
                   "resources": [], "version": "0"}


def test_an_operator_runs_a_failed_billing_again_and_it_completes_once(
        billing: Billing, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.payments.gateway import PaymentDeclined
    from chalicelib.payments.stripe_gateway import StripePayments

    payment_id, tx = billing.pay_and_start()

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PaymentDeclined("Your card was declined.", code="card_declined")

    with monkeypatch.context() as outage:
        outage.setattr(StripePayments, "capture", refused)
        session_id = billing.stop(tx, meter_stop=11_000)
        assert billing.wait(session_id)["status"] == "FAILED"
    assert billing.api.post(f"/v1/sessions/{session_id}/billing").status == 202
    assert billing.api.post(f"/v1/sessions/{session_id}/billing").json["error"]["code"] == "billing_not_failed"

    from infra.local.workflows import wait_for_execution

    # The first run's name stays taken (Step Functions keeps it): the re-run is an execution of its own.
    client = billing.workflows.client("stepfunctions")
    runs = client.list_executions(stateMachineArn=billing.workflows.state_machine_arns["billing"])["executions"]
    (rerun,) = [e for e in runs if e["name"].startswith(f"bill-{billing.tenant_id}-{session_id}-r")]
    assert wait_for_execution(client, rerun["executionArn"], timeout=30)["status"] == "SUCCEEDED"
    entry = billing.api.get("/v1/ledger").json["items"][0]
    assert entry["status"] == "billed" and entry["gross"] == 363
    intent = next(i for i in billing.sandbox.payment_intents() if i["metadata"].get("payment_id") == payment_id)
    assert intent["amount_received"] == 363
    assert billing.api.get(f"/v1/sessions/{session_id}").json["billing"] == "billed"
