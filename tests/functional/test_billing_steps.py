"""Each billing step as its Lambda function, called directly in order (the state machine is tested in
test_billing.py): what each one writes, and that each one run twice does nothing more."""
from __future__ import annotations

from typing import Any

import pytest

from infra.local.stripe_sandbox.server import LocalStripe
from tests.functional.conftest import Api
from tests.functional.ocpp import ChargerConnection
from tests.functional.payments import TARIFF, onboard, stripe_sandbox
from tests.functional.test_billing import Billing

__all__ = ["stripe_sandbox"]


@pytest.fixture
def ended(tenant_a: Api, cp: ChargerConnection, stripe_sandbox: LocalStripe) -> tuple[Billing, dict[str, str]]:
    """A paid 10 kWh session (3.63 EUR incl. VAT) that ended; no state machine runs (steps are called)."""
    owner = tenant_a.post("/v1/parties", {"role": "OWNER", "name": "Owner"}).json
    onboard(tenant_a, stripe_sandbox, f"/v1/parties/{owner['id']}/onboarding-link")
    tariff = tenant_a.post("/v1/tariffs", TARIFF).json
    site_id = tenant_a.get("/v1/chargers/CP-1").json["site_id"]
    tenant_a.patch(f"/v1/sites/{site_id}", {"tariff_id": tariff["id"],
                                            "revenue_split": [{"party_id": owner["id"], "share_bps": 2000}]})
    cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
    billing = Billing(tenant_a, None, stripe_sandbox, cp)
    _, tx = billing.pay_and_start()
    session_id = billing.stop(tx, meter_stop=11_000)
    return billing, {"tenant_id": billing.tenant_id, "session_id": session_id}


def _entry(billing: Billing) -> dict[str, Any]:
    items: list[dict[str, Any]] = billing.api.get("/v1/ledger").json["items"]
    assert len(items) == 1
    return items[0]


def test_price_writes_the_cdr_and_a_pending_ledger_entry_once(ended: tuple[Billing, dict[str, str]]) -> None:
    import app

    billing, event = ended
    assert app.bill_price(event, None) == {**event, "billable": True}
    app.bill_price(event, None)
    session = billing.api.get(f"/v1/sessions/{event['session_id']}").json
    assert session["billing"] == "pending" and session["cost"] == {"excl_vat": 300, "incl_vat": 363}
    assert len(billing.api.get("/v1/cdrs").json["items"]) == 1
    entry = _entry(billing)
    assert entry["status"] == "pending" and entry["gross"] is None and entry["vat"] == 63


def test_collect_captures_the_cost_once_and_releases_the_rest_of_the_hold(
        ended: tuple[Billing, dict[str, str]]) -> None:
    import app

    billing, event = ended
    app.bill_price(event, None)
    app.bill_collect(event, None)
    app.bill_collect(event, None)
    intent = billing.sandbox.payment_intents()[-1]
    assert intent["status"] == "succeeded" and intent["amount_received"] == 363 and intent["amount_capturable"] == 0
    entry = _entry(billing)
    assert entry["gross"] == 363 and entry["receivable"] == 0 and entry["stripe_fee"] == 30  # 1.5% + 25


def test_split_transfers_each_party_once_and_the_parts_sum_to_the_capture(
        ended: tuple[Billing, dict[str, str]]) -> None:
    import app

    billing, event = ended
    for step in (app.bill_price, app.bill_collect, app.bill_split, app.bill_split):
        step(event, None)
    entry = _entry(billing)
    # 363: platform 5% = 18.15, owner 20% = 72.6, CPO (not onboarded: held) the rest.
    assert {t["role"]: (t["amount"], t["status"]) for t in entry["transfers"]} == {
        "OWNER": (73, "paid"), "CPO": (272, "held")}
    assert entry["platform_fee"] == 18
    assert [t["amount"] for t in billing.sandbox.transfers() if t["transfer_group"] == event["session_id"]] == [73]


def test_ledger_closes_the_entry_and_marks_the_session_billed(ended: tuple[Billing, dict[str, str]]) -> None:
    import app

    billing, event = ended
    with pytest.raises(Exception, match="not priced"):
        app.bill_ledger(event, None)  # out of order: refused, nothing written
    for step in (app.bill_price, app.bill_collect, app.bill_split, app.bill_ledger, app.bill_receipt):
        step(event, None)
    entry = _entry(billing)
    assert entry["status"] == "billed" and entry["billed_at"]
    assert billing.api.get(f"/v1/sessions/{event['session_id']}").json["billing"] == "billed"
    payouts = billing.api.get("/v1/ledger/payouts").json["parties"]
    assert {(p["role"], p["paid"], p["held"]) for p in payouts} == {("OWNER", 73, 0), ("CPO", 0, 272)}


def test_fail_marks_the_session_and_entry_failed(ended: tuple[Billing, dict[str, str]]) -> None:
    import app

    billing, event = ended
    app.bill_price(event, None)
    app.bill_fail({**event, "error": {"Error": "BillingRetry", "Cause": "Stripe unavailable"}}, None)
    assert billing.api.get(f"/v1/sessions/{event['session_id']}").json["billing"] == "failed"
    entry = _entry(billing)
    assert entry["status"] == "failed" and entry["failure"] == "BillingRetry: Stripe unavailable"


def test_shares_held_for_a_party_not_yet_onboarded_are_paid_once_it_is(
        ended: tuple[Billing, dict[str, str]], stripe_sandbox: LocalStripe) -> None:
    import app

    billing, event = ended
    for step in (app.bill_price, app.bill_collect, app.bill_split, app.bill_ledger):
        step(event, None)
    assert {t["role"]: t["status"] for t in _entry(billing)["transfers"]}["CPO"] == "held"
    onboard(billing.api, stripe_sandbox, "/v1/tenant/onboarding-link")  # the CPO finishes onboarding
    cpo = {t["role"]: t for t in _entry(billing)["transfers"]}["CPO"]
    assert cpo["status"] == "paid" and cpo["transfer_id"]
    sent = [t for t in stripe_sandbox.transfers() if t["transfer_group"] == event["session_id"]]
    assert sorted(t["amount"] for t in sent) == [73, 272]
    payouts = billing.api.get("/v1/ledger/payouts").json["parties"]
    assert {(p["role"], p["paid"], p["held"]) for p in payouts} == {("OWNER", 73, 0), ("CPO", 272, 0)}
