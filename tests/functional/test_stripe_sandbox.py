"""The offline Stripe sandbox, driven only by what the platform will use against real Stripe: the official stripe
SDK, plain HTTP for the hosted pages (as a browser would), and a webhook receiver checking Stripe's signature."""
from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from infra.local.stripe_sandbox import LocalStripe, stripe_fee

SECRET = "whsec_test_sandbox"
API_KEY = "sk_test_sandbox"


class WebhookReceiver:
    """A tiny endpoint on loopback that keeps what it receives; it can answer 500 to the next few deliveries."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.failures_left = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.failures_left > 0:
                    receiver.failures_left -= 1
                    self.send_response(500)
                else:
                    receiver.received.append((body, self.headers.get("Stripe-Signature", "")))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/stripe"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True)
        self.thread.start()

    def events(self, event_type: str, object_id: str) -> list[stripe.Event]:
        """Received events of that type about that object, each verified as the platform will."""
        verified = [stripe.Webhook.construct_event(body, header, SECRET) for body, header in list(self.received)]
        return [event for event in verified
                if event.type == event_type and event.data.object.id == object_id]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def sandbox(receiver: WebhookReceiver) -> Iterator[LocalStripe]:
    with LocalStripe(webhook_url=receiver.url, webhook_secret=SECRET) as sandbox:
        yield sandbox


@pytest.fixture
def client(sandbox: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


def new_account(client: stripe.StripeClient, *, onboarded: bool = True) -> stripe.Account:
    account = client.v1.accounts.create({"type": "express", "country": "DE", "email": "cpo@example.com",
                                         "capabilities": {"transfers": {"requested": True}}})
    if onboarded:
        link = client.v1.account_links.create({"account": account.id, "refresh_url": "https://cpo.test/refresh",
                                               "return_url": "https://cpo.test/done", "type": "account_onboarding"})
        assert requests.post(link.url, allow_redirects=False).status_code == 303
    return account


def new_session(client: stripe.StripeClient, amount: int = 3000, currency: str = "eur") -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create({
        "mode": "payment",
        "line_items": [{"price_data": {"currency": currency, "unit_amount": amount,
                                       "product_data": {"name": "Charging session"}}, "quantity": 1}],
        "payment_intent_data": {"capture_method": "manual", "metadata": {"session": "s-1"},
                                "transfer_group": "session-s-1"},
        "metadata": {"tenant": "t-1"}, "client_reference_id": "s-1", "customer_email": "driver@example.com",
        "success_url": "https://pay.test/done?cs={CHECKOUT_SESSION_ID}", "cancel_url": "https://pay.test/cancel",
    })


def ref(value: object) -> str:
    """An id the SDK types as "id or expanded object or None"."""
    assert isinstance(value, str), value
    return value


def expanded(value: object) -> Any:
    """An expanded field, which the SDK types as "id or object or None"."""
    assert value is not None and not isinstance(value, str), value
    return value


def pay(session: stripe.checkout.Session, card: str = "4242 4242 4242 4242") -> requests.Response:
    page = requests.get(ref(session.url))
    assert page.status_code == 200
    return requests.post(ref(session.url), data={"email": "driver@example.com", "cardnumber": card, "exp": "12 / 34",
                                            "cvc": "123", "name": "Test Driver"}, allow_redirects=False)


def authorised(client: stripe.StripeClient, amount: int = 3000, currency: str = "eur") -> stripe.PaymentIntent:
    session = new_session(client, amount, currency)
    assert pay(session).status_code == 303
    return client.v1.payment_intents.retrieve(ref(client.v1.checkout.sessions.retrieve(session.id).payment_intent))


def captured_charge(client: stripe.StripeClient, amount: int = 3000, currency: str = "eur") -> stripe.Charge:
    intent = client.v1.payment_intents.capture(authorised(client, amount, currency).id)
    return client.v1.charges.retrieve(ref(intent.latest_charge))


# ------------------------------------------------------------------ authentication and strictness

def test_a_request_without_an_api_key_is_refused_with_401(sandbox: LocalStripe) -> None:
    reply = requests.get(f"{sandbox.url}/v1/events")
    assert reply.status_code == 401
    assert reply.json()["error"]["type"] == "invalid_request_error"


def test_a_live_key_is_refused_with_401(sandbox: LocalStripe) -> None:
    live = stripe.StripeClient("sk_live_nope", base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.events.list()


def test_a_pinned_stripe_version_is_accepted(sandbox: LocalStripe) -> None:
    pinned = stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url}, stripe_version="2024-06-20")
    assert pinned.v1.events.list().data is not None


def test_an_unknown_parameter_is_refused_naming_it(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        bad: Any = {"amount": 100, "currency": "eur", "destination": "acct_x", "colour": "red"}
        client.v1.transfers.create(bad)
    assert refused.value.http_status == 400
    assert refused.value.param == "colour"
    assert refused.value.user_message == "Received unknown parameter: colour"


def test_an_unknown_nested_parameter_is_refused_with_its_bracketed_name(client: stripe.StripeClient) -> None:
    bad: Any = {"mode": "payment", "line_items": [
        {"price_data": {"currency": "eur", "unit_amount": 1, "product_data": {"name": "x", "colour": "red"}},
         "quantity": 1}]}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(bad)
    assert refused.value.param == "line_items[0][price_data][product_data][colour]"


def test_a_missing_required_parameter_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        bad: Any = {"account": "acct_x", "return_url": "https://cpo.test/done"}
        client.v1.account_links.create(bad)
    assert refused.value.user_message == "Missing required param: type."
    assert refused.value.param == "type"
    assert refused.value.code == "parameter_missing"


def test_a_value_outside_an_enum_is_refused(client: stripe.StripeClient) -> None:
    bad: Any = {"mode": "payment", "line_items": [
        {"price_data": {"currency": "eur", "unit_amount": 1, "product_data": {"name": "x"}}, "quantity": 1}],
        "payment_intent_data": {"capture_method": "later"}}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(bad)
    assert refused.value.param == "payment_intent_data[capture_method]"


def test_an_unknown_id_is_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert refused.value.http_status == 404
    assert refused.value.code == "resource_missing"
    assert refused.value.user_message == "No such payment_intent: 'pi_doesnotexist'"


# ------------------------------------------------------------------ idempotency

def test_the_same_idempotency_key_and_parameters_replay_the_saved_response(client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    params: Any = {"type": "express", "country": "DE", "email": "same@example.com"}
    first = client.v1.accounts.create(params, {"idempotency_key": key})
    again = client.v1.accounts.create(params, {"idempotency_key": key})
    assert again.id == first.id
    assert again.last_response is not None and again.last_response.headers["Idempotent-Replayed"] == "true"


def test_the_same_idempotency_key_with_other_parameters_is_an_idempotency_error(
        client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    client.v1.accounts.create({"type": "express", "email": "one@example.com"}, {"idempotency_key": key})
    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.accounts.create({"type": "express", "email": "two@example.com"}, {"idempotency_key": key})
    assert refused.value.http_status == 400


def test_a_request_refused_for_its_parameters_saves_nothing_under_its_key(client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    bad: Any = {"type": "express", "colour": "red"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.create(bad, {"idempotency_key": key})
    with pytest.raises(stripe.InvalidRequestError):  # the same request again is checked again, not replayed
        client.v1.accounts.create(bad, {"idempotency_key": key})


# ------------------------------------------------------------------ injected faults

def test_a_fault_before_executing_changes_nothing_and_the_retry_runs_once(
        sandbox: LocalStripe, client: stripe.StripeClient) -> None:
    intent = authorised(client)
    key = str(uuid.uuid4())
    sandbox.fail_next(f"/v1/payment_intents/{intent.id}/capture", when="before")
    with pytest.raises(stripe.APIError):
        client.v1.payment_intents.capture(intent.id, {}, {"idempotency_key": key})
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"
    retried = client.v1.payment_intents.capture(intent.id, {}, {"idempotency_key": key})
    assert retried.status == "succeeded"
    assert retried.last_response is not None and "Idempotent-Replayed" not in retried.last_response.headers


def test_a_fault_after_executing_is_a_lost_response_and_the_retry_gets_the_saved_success(
        sandbox: LocalStripe, client: stripe.StripeClient) -> None:
    charge = captured_charge(client)
    account = new_account(client)
    key = str(uuid.uuid4())
    params: Any = {"amount": 1000, "currency": "eur", "destination": account.id, "source_transaction": charge.id}
    sandbox.fail_next("/v1/transfers", when="after")
    with pytest.raises(stripe.APIError):
        client.v1.transfers.create(params, {"idempotency_key": key})
    retried = client.v1.transfers.create(params, {"idempotency_key": key})
    assert retried.last_response is not None and retried.last_response.headers["Idempotent-Replayed"] == "true"
    assert [t["id"] for t in sandbox.transfers() if t["source_transaction"] == charge.id] == [retried.id]


def test_the_sdk_retries_a_lost_capture_with_its_key_and_captures_once(sandbox: LocalStripe) -> None:
    retrying = stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=2)
    intent = authorised(retrying)
    sandbox.fail_next(f"/v1/payment_intents/{intent.id}/capture", when="after")
    captured = retrying.v1.payment_intents.capture(intent.id, {"amount_to_capture": 1000})
    assert captured.amount_received == 1000
    assert len([e for e in sandbox.events("payment_intent.succeeded") if e["data"]["object"]["id"] == intent.id]) == 1


def test_the_fault_control_endpoint_makes_the_next_request_answer_500(
        sandbox: LocalStripe, client: stripe.StripeClient) -> None:
    added = requests.post(f"{sandbox.url}/_sandbox/faults", data={"path": "/v1/accounts", "when": "before"})
    assert added.status_code == 200
    with pytest.raises(stripe.APIError):
        client.v1.accounts.create({"type": "express"})
    assert client.v1.accounts.create({"type": "express"}).id.startswith("acct_")


# ------------------------------------------------------------------ Connect

def test_an_account_is_created_with_its_requested_transfers_capability_inactive(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create({"type": "express", "country": "DE", "email": "cpo@example.com",
                                         "business_type": "company", "metadata": {"tenant": "t-1"},
                                         "capabilities": {"transfers": {"requested": True}}})
    assert account.id.startswith("acct_")
    assert expanded(account.capabilities).transfers == "inactive"
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (False, False, False)


def test_an_account_can_be_retrieved_and_updated(client: stripe.StripeClient) -> None:
    account = new_account(client, onboarded=False)
    client.v1.accounts.update(account.id, {"metadata": {"tenant": "t-9"}, "email": "new@example.com"})
    again = client.v1.accounts.retrieve(account.id)
    assert (again.email, expanded(again.metadata).tenant) == ("new@example.com", "t-9")


def test_the_onboarding_page_completes_onboarding_and_redirects_to_return_url(client: stripe.StripeClient) -> None:
    account = new_account(client, onboarded=False)
    link = client.v1.account_links.create({"account": account.id, "refresh_url": "https://cpo.test/refresh",
                                           "return_url": "https://cpo.test/done", "type": "account_onboarding"})
    assert "Complete onboarding" in requests.get(link.url).text
    done = requests.post(link.url, allow_redirects=False)
    assert (done.status_code, done.headers["Location"]) == (303, "https://cpo.test/done")
    account = client.v1.accounts.retrieve(account.id)
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (True, True, True)
    assert expanded(account.capabilities).transfers == "active"


def test_onboarding_delivers_a_signed_connect_account_updated_event(
        sandbox: LocalStripe, receiver: WebhookReceiver, client: stripe.StripeClient) -> None:
    account = new_account(client)
    assert sandbox.wait_for_deliveries(5)
    [event] = [e for e in receiver.events("account.updated", account.id) if e.data.object["charges_enabled"]]
    assert event.account == account.id
    assert expanded(event.data.previous_attributes)["charges_enabled"] is False


def test_a_used_onboarding_link_redirects_to_refresh_url(client: stripe.StripeClient) -> None:
    account = new_account(client, onboarded=False)
    link = client.v1.account_links.create({"account": account.id, "refresh_url": "https://cpo.test/refresh",
                                           "return_url": "https://cpo.test/done", "type": "account_onboarding"})
    requests.post(link.url, allow_redirects=False)
    again = requests.get(link.url, allow_redirects=False)
    assert (again.status_code, again.headers["Location"]) == (303, "https://cpo.test/refresh")


# ------------------------------------------------------------------ Checkout

def test_a_checkout_session_links_a_mobile_page_showing_the_amount_and_the_test_card(
        client: stripe.StripeClient) -> None:
    session = new_session(client, amount=1234)
    assert session.id.startswith("cs_test_") and (session.status, session.payment_status) == ("open", "unpaid")
    page = requests.get(ref(session.url)).text
    assert "€12.34" in page and "4242 4242 4242 4242" in page and 'name="viewport"' in page


def test_paying_redirects_to_success_url_with_the_session_id(client: stripe.StripeClient) -> None:
    session = new_session(client)
    paid = pay(session)
    assert (paid.status_code, paid.headers["Location"]) == (303, f"https://pay.test/done?cs={session.id}")


def test_paying_authorises_an_uncaptured_payment_intent(client: stripe.StripeClient) -> None:
    session = new_session(client, amount=3000)
    pay(session)
    session = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    intent = expanded(session.payment_intent)
    assert (session.status, session.payment_status) == ("complete", "unpaid")  # manual capture: not paid yet
    assert (intent.status, intent.amount_capturable, intent.metadata.session) == ("requires_capture", 3000, "s-1")
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.id.startswith("ch_") and (charge.captured, charge.amount_captured) == (False, 0)


def test_checkout_session_completed_is_delivered_with_a_valid_signature(
        sandbox: LocalStripe, receiver: WebhookReceiver, client: stripe.StripeClient) -> None:
    session = new_session(client)
    pay(session)
    assert sandbox.wait_for_deliveries(5)
    [event] = receiver.events("checkout.session.completed", session.id)
    assert event.data.object.client_reference_id == "s-1"
    assert event.data.object.payment_intent.startswith("pi_")


def test_a_forged_webhook_signature_does_not_verify(receiver: WebhookReceiver, client: stripe.StripeClient,
                                                    sandbox: LocalStripe) -> None:
    pay(new_session(client))
    assert sandbox.wait_for_deliveries(5)
    body, header = receiver.received[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_someone_else")


def test_a_declined_card_shows_the_decline_and_authorises_nothing(
        sandbox: LocalStripe, client: stripe.StripeClient) -> None:
    session = new_session(client)
    intents_before = len(sandbox.payment_intents())
    declined = pay(session, card="4000 0000 0000 0002")
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert len(sandbox.payment_intents()) == intents_before


def test_an_expired_session_cannot_be_paid(client: stripe.StripeClient) -> None:
    session = new_session(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert "expired" in requests.post(ref(session.url), data={"cardnumber": "4242424242424242"}).text


def test_a_completed_session_cannot_be_expired(client: stripe.StripeClient) -> None:
    session = new_session(client)
    pay(session)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


# ------------------------------------------------------------------ PaymentIntents, charges, balance transactions

def test_capturing_less_than_the_hold_captures_it_and_releases_the_rest(client: stripe.StripeClient) -> None:
    intent = authorised(client, amount=3000)
    captured = client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 2000})
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 2000, 0)
    charge = client.v1.charges.retrieve(ref(captured.latest_charge))
    assert (charge.captured, charge.amount_captured, charge.amount_refunded) == (True, 2000, 1000)


def test_a_captured_charge_has_a_balance_transaction_with_the_documented_fee(client: stripe.StripeClient) -> None:
    charge = client.v1.charges.retrieve(captured_charge(client, amount=2000).id, {"expand": ["balance_transaction"]})
    txn = expanded(charge.balance_transaction)
    assert (txn.amount, txn.fee, txn.net) == (2000, stripe_fee(2000), 2000 - stripe_fee(2000))
    assert stripe_fee(2000) == 55  # 1.5 % + 25
    assert client.v1.balance_transactions.retrieve(txn.id).source == charge.id


def test_capturing_more_than_the_hold_is_refused(client: stripe.StripeClient) -> None:
    intent = authorised(client, amount=3000)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 3001})
    assert (refused.value.http_status, refused.value.param) == (400, "amount_to_capture")
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def test_capture_delivers_payment_intent_succeeded(
        sandbox: LocalStripe, receiver: WebhookReceiver, client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.capture(authorised(client).id)
    assert sandbox.wait_for_deliveries(5)
    assert len(receiver.events("payment_intent.amount_capturable_updated", intent.id)) == 1
    assert len(receiver.events("payment_intent.succeeded", intent.id)) == 1


def test_cancel_releases_the_hold(sandbox: LocalStripe, receiver: WebhookReceiver,
                                  client: stripe.StripeClient) -> None:
    intent = authorised(client)
    canceled = client.v1.payment_intents.cancel(intent.id, {"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.amount_capturable, canceled.cancellation_reason) == ("canceled", 0, "abandoned")
    charge = client.v1.charges.retrieve(ref(canceled.latest_charge))
    assert (charge.captured, charge.refunded, charge.amount_refunded) == (False, True, intent.amount)
    assert sandbox.wait_for_deliveries(5)
    assert len(receiver.events("payment_intent.canceled", intent.id)) == 1


def test_a_captured_payment_intent_cannot_be_canceled(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.capture(authorised(client).id)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.cancel(intent.id)
    assert refused.value.code == "payment_intent_unexpected_state"


def test_a_canceled_payment_intent_cannot_be_captured(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.cancel(authorised(client).id)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.capture(intent.id)
    assert refused.value.code == "payment_intent_unexpected_state"


# ------------------------------------------------------------------ transfers

def test_a_transfer_from_a_captured_charge_reaches_an_onboarded_account(client: stripe.StripeClient) -> None:
    charge, account = captured_charge(client), new_account(client)
    transfer = client.v1.transfers.create({"amount": 2500, "currency": "eur", "destination": account.id,
                                           "source_transaction": charge.id, "transfer_group": "session-s-1",
                                           "description": "CPO share", "metadata": {"session": "s-1"}})
    assert transfer.id.startswith("tr_")
    assert client.v1.transfers.retrieve(transfer.id).destination == account.id


def test_a_transfer_to_an_unknown_account_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create({"amount": 100, "currency": "eur", "destination": "acct_unknown",
                                    "source_transaction": captured_charge(client).id})
    assert (refused.value.param, refused.value.code) == ("destination", "resource_missing")


def test_a_transfer_to_an_account_without_active_transfers_is_refused(client: stripe.StripeClient) -> None:
    account = new_account(client, onboarded=False)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create({"amount": 100, "currency": "eur", "destination": account.id,
                                    "source_transaction": captured_charge(client).id})
    assert refused.value.code == "insufficient_capabilities_for_transfer"


def test_a_transfer_in_another_currency_than_its_source_charge_is_refused(client: stripe.StripeClient) -> None:
    charge, account = captured_charge(client, currency="eur"), new_account(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create({"amount": 100, "currency": "gbp", "destination": account.id,
                                    "source_transaction": charge.id})
    assert "must be the same as the transfer currency" in (refused.value.user_message or "")


def test_transfers_beyond_what_is_left_of_the_source_charge_are_refused(client: stripe.StripeClient) -> None:
    charge, account = captured_charge(client, amount=3000), new_account(client)

    def transfer(amount: int) -> stripe.Transfer:
        return client.v1.transfers.create({"amount": amount, "currency": "eur", "destination": account.id,
                                           "source_transaction": charge.id})

    transfer(2000)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        transfer(1001)
    assert (refused.value.param, refused.value.code) == ("amount", "balance_insufficient")
    assert transfer(1000).amount == 1000


def test_transfers_are_listed_by_transfer_group(client: stripe.StripeClient) -> None:
    charge, account = captured_charge(client), new_account(client)
    group = f"session-{uuid.uuid4()}"
    made = [client.v1.transfers.create({"amount": 100, "currency": "eur", "destination": account.id,
                                        "source_transaction": charge.id, "transfer_group": group}).id
            for _ in range(3)]
    page = client.v1.transfers.list({"transfer_group": group, "limit": 2})
    assert (len(page.data), page.has_more) == (2, True)
    assert sorted(t.id for t in page.auto_paging_iter()) == sorted(made)


# ------------------------------------------------------------------ events and delivery

def test_an_event_can_be_retrieved_and_listed_by_type(sandbox: LocalStripe, client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.cancel(authorised(client).id)
    [listed] = [e for e in client.v1.events.list({"type": "payment_intent.canceled", "limit": 100}).data
                if e.data.object.id == intent.id]
    assert client.v1.events.retrieve(listed.id).type == "payment_intent.canceled"


def test_a_webhook_answered_with_500_is_retried(sandbox: LocalStripe, receiver: WebhookReceiver,
                                                client: stripe.StripeClient) -> None:
    assert sandbox.wait_for_deliveries(5)
    receiver.failures_left = 2
    account = client.v1.accounts.create({"type": "express"})
    client.v1.accounts.update(account.id, {"metadata": {"retry": "yes"}})
    assert sandbox.wait_for_deliveries(5)
    assert len(receiver.events("account.updated", account.id)) == 1
    assert [d.status for d in sandbox.deliveries if d.event_type == "account.updated"][-3:] == [500, 500, 200]


def test_redeliver_sends_an_event_again(sandbox: LocalStripe, receiver: WebhookReceiver,
                                        client: stripe.StripeClient) -> None:
    session = new_session(client)
    pay(session)
    assert sandbox.wait_for_deliveries(5)
    [event] = [e for e in sandbox.events("checkout.session.completed") if e["data"]["object"]["id"] == session.id]
    sandbox.redeliver(event["id"])
    assert sandbox.wait_for_deliveries(5)
    assert [e.id for e in receiver.events("checkout.session.completed", session.id)] == [event["id"]] * 2


def test_the_redeliver_control_endpoint_sends_an_event_again(sandbox: LocalStripe, receiver: WebhookReceiver,
                                                             client: stripe.StripeClient) -> None:
    session = new_session(client)
    pay(session)
    assert sandbox.wait_for_deliveries(5)
    [event] = [e for e in sandbox.events("checkout.session.completed") if e["data"]["object"]["id"] == session.id]
    answer = requests.post(f"{sandbox.url}/_sandbox/events/{event['id']}/redeliver")
    assert (answer.status_code, answer.json()) == (202, {"redelivered": event["id"]})
    assert sandbox.wait_for_deliveries(5)
    assert [e.id for e in receiver.events("checkout.session.completed", session.id)] == [event["id"]] * 2
    listed = requests.get(f"{sandbox.url}/_sandbox/deliveries", params={"event_id": event["id"]}).json()["data"]
    assert [(d["event_type"], d["status"]) for d in listed] == [("checkout.session.completed", 200)] * 2


def test_the_redeliver_control_endpoint_answers_404_for_an_unknown_event(sandbox: LocalStripe) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/events/evt_nope/redeliver")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "resource_missing"


def test_concurrent_payments_each_authorise_once(sandbox: LocalStripe, client: stripe.StripeClient) -> None:
    sessions = [new_session(client) for _ in range(8)]
    threads = [threading.Thread(target=pay, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    intents = [client.v1.checkout.sessions.retrieve(s.id).payment_intent for s in sessions]
    assert len(set(intents)) == 8 and all(intents)
