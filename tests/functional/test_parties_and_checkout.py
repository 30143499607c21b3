"""Payout parties on Stripe Connect, a site's revenue split, and a driver's checkout up to the start."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from infra.local.stripe_sandbox.server import LocalStripe
from tests.functional.conftest import SITE, Api
from tests.functional.ocpp import ChargerConnection
from tests.functional.payments import TARIFF, deliver, latest_event, onboard, stripe_sandbox

__all__ = ["stripe_sandbox"]


def test_a_party_gets_an_express_account_and_is_active_once_onboarded(
        tenant_a: Api, stripe_sandbox: LocalStripe) -> None:
    created = tenant_a.post("/v1/parties", {"role": "OWNER", "name": "Owner BV", "email": "o@owner.example"})
    assert created.status == 201, created.json
    party = created.json
    assert party["payout_status"] == "pending"
    account = next(a for a in stripe_sandbox.accounts() if a["id"] == party["account_id"])
    assert account["type"] == "express" and account["email"] == "o@owner.example"

    onboard(tenant_a, stripe_sandbox, f"/v1/parties/{party['id']}/onboarding-link")
    assert tenant_a.get(f"/v1/parties/{party['id']}").json["payout_status"] == "active"


def test_the_tenant_onboards_as_the_cpo_party(tenant_a: Api, stripe_sandbox: LocalStripe) -> None:
    onboard(tenant_a, stripe_sandbox, "/v1/tenant/onboarding-link")
    cpo = tenant_a.get("/v1/parties/cpo").json
    assert cpo["role"] == "CPO" and cpo["payout_status"] == "active"
    # A second link reuses the account.
    assert tenant_a.post("/v1/tenant/onboarding-link").status == 201
    assert len([a for a in stripe_sandbox.accounts() if a["id"] == cpo["account_id"]]) == 1


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
        tenant_a: Api, stripe_sandbox: LocalStripe) -> None:
    party = tenant_a.post("/v1/parties", {"role": "EMSP", "name": "eMSP"}).json
    url = tenant_a.post(f"/v1/parties/{party['id']}/onboarding-link").json["url"]
    requests.post(url, data={}, timeout=5, allow_redirects=False)
    reply = deliver(tenant_a, latest_event(stripe_sandbox, "account.updated"), secret="whsec_forged")
    assert reply.status == 400
    assert tenant_a.get(f"/v1/parties/{party['id']}").json["payout_status"] == "pending"


def test_a_site_revenue_split_names_owner_and_emsp_parties_within_100_percent(
        tenant_a: Api, tenant_b: Api, stripe_sandbox: LocalStripe) -> None:
    owner = tenant_a.post("/v1/parties", {"role": "OWNER", "name": "Owner"}).json
    emsp = tenant_a.post("/v1/parties", {"role": "EMSP", "name": "eMSP"}).json
    theirs = tenant_b.post("/v1/parties", {"role": "OWNER", "name": "B's owner"}).json
    ok = tenant_a.post("/v1/sites", {**SITE, "revenue_split": [{"party_id": owner["id"], "share_bps": 3000},
                                                               {"party_id": emsp["id"], "share_bps": 500}]})
    assert ok.status == 201 and len(ok.json["revenue_split"]) == 2
    for split, code in [
        ([{"party_id": owner["id"], "share_bps": 9600}], "invalid_revenue_split"),  # + 5% platform fee > 100%
        ([{"party_id": owner["id"], "share_bps": 100}, {"party_id": owner["id"], "share_bps": 100}],
         "invalid_revenue_split"),
        ([{"party_id": theirs["id"], "share_bps": 100}], "unknown_party"),
    ]:
        reply = tenant_a.post("/v1/sites", {**SITE, "revenue_split": split})
        assert reply.status == 422 and reply.json["error"]["code"] == code, reply.json


# -- the driver's checkout ------------------------------------------------------------------------------

@pytest.fixture
def paying(tenant_a: Api, cp: ChargerConnection, stripe_sandbox: LocalStripe) -> dict[str, Any]:
    """CP-1 (OCPP 1.6) online and Available, with a tariff on its site."""
    tariff = tenant_a.post("/v1/tariffs", TARIFF).json
    site_id = tenant_a.get("/v1/chargers/CP-1").json["site_id"]
    assert tenant_a.patch(f"/v1/sites/{site_id}", {"tariff_id": tariff["id"]}).status == 200
    cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
    slug = tenant_a.get("/v1/tenant").json["slug"]
    return {"slug": slug, "tariff": tariff, "path": f"/pay/{slug}/CP-1/1"}


def _html(api: Api, path: str) -> tuple[int, str, dict[str, str]]:
    response = api._client.http.get(path)
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    return response.status_code, body, dict(response.headers)


def _pay(api: Api, sandbox: LocalStripe, path: str) -> tuple[str, str]:
    """Press pay, pay on the hosted page; the payment id and the checkout.session.completed event's id."""
    response = api._client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"}, body="")
    assert response.status_code == 303, response.body
    checkout_url = response.headers["Location"]
    assert checkout_url.startswith(sandbox.public_url)
    paid = requests.post(checkout_url, data={"cardnumber": "4242424242424242", "email": "d@driver.example"},
                         allow_redirects=False, timeout=5)
    assert paid.status_code == 303
    payment_id = paid.headers["Location"].rsplit("/", 1)[-1]
    return payment_id, latest_event(sandbox, "checkout.session.completed")["id"]


def test_the_connector_page_shows_status_and_tariff_in_words(tenant_a: Api, paying: dict[str, Any]) -> None:
    status, body, headers = _html(tenant_a, paying["path"])
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "Available" in body and "0.36 EUR per kWh" in body and "Pay and start charging" in body


def test_paying_sends_a_remote_start_with_the_payments_token_once_even_if_the_webhook_is_replayed(
        tenant_a: Api, cp: ChargerConnection, paying: dict[str, Any], stripe_sandbox: LocalStripe) -> None:
    payment_id, _ = _pay(tenant_a, stripe_sandbox, paying["path"])
    event = latest_event(stripe_sandbox, "checkout.session.completed")
    for _ in range(2):
        assert deliver(tenant_a, event).status == 200
    starts = [c for c in cp.platform_calls() if c[2] == "RemoteStartTransaction"]
    assert len(starts) == 1
    assert starts[0][3]["connectorId"] == 1 and starts[0][3]["idTag"].startswith("PAY")
    view = tenant_a.with_key(None).get(f"/pay/sessions/{payment_id}", headers={"Accept": "application/json"}).json
    assert view["status"] == "starting"


def test_a_refused_remote_start_cancels_the_payment_and_releases_the_hold(
        tenant_a: Api, cp: ChargerConnection, paying: dict[str, Any], stripe_sandbox: LocalStripe) -> None:
    payment_id, _ = _pay(tenant_a, stripe_sandbox, paying["path"])
    assert deliver(tenant_a, latest_event(stripe_sandbox, "checkout.session.completed")).status == 200
    start = [c for c in cp.platform_calls() if c[2] == "RemoteStartTransaction"][-1]
    assert cp.send_raw(f'[3,"{start[1]}",{{"status": "Rejected"}}]') is None
    view = tenant_a.with_key(None).get(f"/pay/sessions/{payment_id}", headers={"Accept": "application/json"}).json
    assert view["status"] == "cancelled" and view["cancel_reason"] == "start_refused"
    intent = stripe_sandbox.payment_intents()[-1]
    assert intent["status"] == "canceled"


def test_an_offline_charger_gets_the_payment_cancelled(
        tenant_a: Api, cp: ChargerConnection, paying: dict[str, Any], stripe_sandbox: LocalStripe) -> None:
    payment_id, _ = _pay(tenant_a, stripe_sandbox, paying["path"])
    cp.disconnect()
    assert deliver(tenant_a, latest_event(stripe_sandbox, "checkout.session.completed")).status == 200
    view = tenant_a.with_key(None).get(f"/pay/sessions/{payment_id}", headers={"Accept": "application/json"}).json
    assert view["status"] == "cancelled" and view["cancel_reason"] == "charger_offline"
    assert stripe_sandbox.payment_intents()[-1]["status"] == "canceled"


def test_a_busy_or_unpriced_connector_cannot_be_paid_for(
        tenant_a: Api, cp: ChargerConnection, paying: dict[str, Any]) -> None:
    cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"})
    status, body, _ = _html(tenant_a, paying["path"])
    assert status == 200 and "Pay and start" not in body and "charging" in body
    reply = tenant_a._client.http.post(paying["path"], headers={"Content-Type": "application/x-www-form-urlencoded"},
                                       body="")
    assert reply.status_code == 409
    assert _html(tenant_a, f"/pay/{paying['slug']}/CP-1/9")[0] == 404


def test_a_connector_qr_code_encodes_its_pay_link(tenant_a: Api, paying: dict[str, Any]) -> None:
    response = tenant_a._client.http.get("/v1/chargers/CP-1/connectors/1/qr.svg",
                                         headers={"Authorization": f"Bearer {tenant_a.api_key}"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["X-Pay-Link"].endswith(paying["path"])
    assert b"<svg" in (response.body if isinstance(response.body, bytes) else response.body.encode())
    assert tenant_a.get("/v1/chargers/CP-1/connectors/9/qr.svg").status == 404


def test_a_hold_whose_charge_never_starts_is_released(
        tenant_a: Api, cp: ChargerConnection, paying: dict[str, Any], stripe_sandbox: LocalStripe,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    payment_id, _ = _pay(tenant_a, stripe_sandbox, paying["path"])
    assert deliver(tenant_a, latest_event(stripe_sandbox, "checkout.session.completed")).status == 200
    monkeypatch.setattr("chalicelib.payments.checkout.START_WINDOW", timedelta(seconds=-1))
    view = tenant_a.with_key(None).get(f"/pay/sessions/{payment_id}", headers={"Accept": "application/json"}).json
    assert view["status"] == "cancelled" and view["cancel_reason"] == "not_started"
    assert stripe_sandbox.payment_intents()[-1]["status"] == "canceled"


def test_a_resent_checkout_event_resumes_a_start_the_first_delivery_never_sent(
        tenant_a: Api, cp: ChargerConnection, paying: dict[str, Any], stripe_sandbox: LocalStripe,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from chalicelib.payments.checkout import CheckoutService

    payment_id, _ = _pay(tenant_a, stripe_sandbox, paying["path"])
    event = latest_event(stripe_sandbox, "checkout.session.completed")
    with monkeypatch.context() as crash:  # the first delivery dies after placing the hold on record
        crash.setattr(CheckoutService, "_remote_start", lambda self, payment: (_ for _ in ()).throw(OSError("died")))
        assert deliver(tenant_a, event).status == 500
    assert not [c for c in cp.platform_calls() if c[2] == "RemoteStartTransaction"]
    monkeypatch.setattr("chalicelib.payments.checkout.RESUME_AFTER", timedelta(seconds=-1))
    assert deliver(tenant_a, event).status == 200  # Stripe retries the delivery
    assert len([c for c in cp.platform_calls() if c[2] == "RemoteStartTransaction"]) == 1
    view = tenant_a.with_key(None).get(f"/pay/sessions/{payment_id}", headers={"Accept": "application/json"}).json
    assert view["status"] == "starting"


def test_a_signed_event_of_an_unexpected_shape_is_acknowledged_and_changes_nothing(
        tenant_a: Api, stripe_sandbox: LocalStripe) -> None:
    for data in ({"object": None}, {"object": {"id": "cs_x", "metadata": "not a map"}}):
        event = {"id": "evt_odd", "object": "event", "type": "checkout.session.completed", "data": data,
                 "created": 1, "livemode": False, "api_version": "2026-10-28.endive"}
        reply = deliver(tenant_a, event)
        assert reply.status == 200 and reply.json["outcome"] in ("ignored_malformed", "unknown_payment"), reply.json


def test_a_tariff_in_another_currency_than_the_tenants_gets_the_default_hold_in_its_own(
        tenant_a: Api, cp: ChargerConnection, paying: dict[str, Any]) -> None:
    assert tenant_a.patch("/v1/tenant", {"checkout_hold": 2500}).status == 200  # 25.00 EUR
    gbp = tenant_a.post("/v1/tariffs", {**TARIFF, "currency": "GBP"}).json
    assert tenant_a.patch("/v1/chargers/CP-1", {"tariff_id": gbp["id"]}).status == 200
    from chalicelib.payments.driver import connector_offer

    _, offer = connector_offer(paying["slug"], "CP-1", 1)
    assert (offer.currency, offer.hold_amount) == ("GBP", 5000)


def test_an_account_update_delivered_late_does_not_undo_a_newer_one(
        tenant_a: Api, stripe_sandbox: LocalStripe) -> None:
    party = tenant_a.post("/v1/parties", {"role": "OWNER", "name": "Owner"}).json
    account = next(a for a in stripe_sandbox.accounts() if a["id"] == party["account_id"])
    older = {"id": "evt_old", "object": "event", "type": "account.updated", "created": 1000,
             "account": account["id"], "data": {"object": {**account, "details_submitted": True}}}
    onboard(tenant_a, stripe_sandbox, f"/v1/parties/{party['id']}/onboarding-link")
    assert tenant_a.get(f"/v1/parties/{party['id']}").json["payout_status"] == "active"
    assert deliver(tenant_a, older).status == 200
    assert tenant_a.get(f"/v1/parties/{party['id']}").json["payout_status"] == "active"
