"""The platform's Stripe adapter against real Stripe, in test mode.

Run only with a Stripe *test* secret key in the environment (`STRIPE_SECRET_KEY=sk_test_... pytest -m
live_stripe`); tests/conftest.py keeps it as `LIVE_STRIPE_KEY` and removes it from the environment,
so nothing else sees it. Without one (CI, most laptops) every test here is skipped. Live keys
(`sk_live_`) and restricted keys never count.

The tests leave no money moving: payments are test-mode card holds, captured or cancelled here; the
connected accounts they open are deleted at the end.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from stripe import StripeClient

from chalicelib.payments.gateway import PaymentDeclined
from chalicelib.payments.stripe_gateway import StripePayments
from tests.conftest import LIVE_STRIPE_KEY

pytestmark = [
    pytest.mark.live_stripe,
    pytest.mark.skipif(not LIVE_STRIPE_KEY.startswith("sk_test_"),
                       reason="live_stripe: set STRIPE_SECRET_KEY to a Stripe test-mode key (sk_test_...) to run"),
]


@dataclass(frozen=True)
class Platform:
    client: StripeClient  # for what the adapter does not do: a driver paying, and looking at the results
    country: str
    currency: str


@pytest.fixture(scope="module")
def platform() -> Platform:
    client = StripeClient(LIVE_STRIPE_KEY)
    me = client.v1.accounts.retrieve_current()
    return Platform(client, str(me.country), str(me.default_currency))


@pytest.fixture
def gateway() -> StripePayments:
    return StripePayments(LIVE_STRIPE_KEY, "whsec_unused_by_these_tests")


def key(step: str) -> str:
    """An idempotency key unique to this run, so a re-run never replays an earlier run's answer."""
    return f"live-test-{step}-{uuid.uuid4().hex}"


@pytest.fixture
def express_account(gateway: StripePayments, platform: Platform) -> Iterator[str]:
    """A fresh Express account, never onboarded (so its transfers capability is not active)."""
    account_id = gateway.create_account(email="owner@example.com", country=platform.country,
                                        idempotency_key=key("account"))
    yield account_id
    platform.client.v1.accounts.delete(account_id)


def held_payment(platform: Platform, amount: int = 2000) -> str:
    """A driver's card hold: a PaymentIntent confirmed with Stripe's test Visa, capture manual."""
    intent = platform.client.v1.payment_intents.create({
        "amount": amount, "currency": platform.currency, "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual", "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "description": "evcharge live_stripe test hold",
    })
    assert intent.status == "requires_capture", intent.status
    return str(intent.id)


def test_a_party_gets_an_express_account_and_a_hosted_onboarding_link(
        gateway: StripePayments, platform: Platform, express_account: str) -> None:
    account = platform.client.v1.accounts.retrieve(express_account)
    assert account.type == "express" and account.email == "owner@example.com"
    link = gateway.onboarding_link(express_account, refresh_url="https://example.com/onboarding/expired",
                                   return_url="https://example.com/onboarding/complete")
    assert link.startswith("https://connect.stripe.com/")


def test_opening_an_account_twice_with_one_key_opens_it_once(gateway: StripePayments, platform: Platform) -> None:
    same = key("account-twice")
    first = gateway.create_account(email=None, country=platform.country, idempotency_key=same)
    try:
        assert gateway.create_account(email=None, country=platform.country, idempotency_key=same) == first
    finally:
        platform.client.v1.accounts.delete(first)


def test_a_checkout_is_a_hosted_stripe_page_for_a_manual_capture_hold(
        gateway: StripePayments, platform: Platform) -> None:
    checkout = gateway.create_checkout(
        amount=2500, currency=platform.currency, description="Charging at LIVE-TEST connector 1",
        success_url="https://example.com/pay/sessions/pay_test", cancel_url="https://example.com/pay/t/CP/1",
        metadata={"tenant_id": "ten_live_test", "payment_id": "pay_live_test"}, transfer_group="pay_live_test",
        idempotency_key=key("checkout"),
    )
    try:
        assert checkout.url.startswith("https://checkout.stripe.com/")
        session = platform.client.v1.checkout.sessions.retrieve(checkout.id)
        assert session.mode == "payment" and session.amount_total == 2500
        assert session.metadata is not None and session.metadata["payment_id"] == "pay_live_test"
    finally:
        platform.client.v1.checkout.sessions.expire(checkout.id)


def test_part_of_a_hold_is_captured_once_even_when_the_capture_is_repeated(
        gateway: StripePayments, platform: Platform) -> None:
    intent_id = held_payment(platform, 2000)
    same = key("capture")
    captured = gateway.capture(intent_id, 1234, idempotency_key=same)
    assert captured.amount == 1234
    assert captured.charge_id.startswith(("ch_", "py_"))
    assert captured.fee is None or captured.fee >= 0
    intent = platform.client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "succeeded" and intent.amount_received == 1234

    assert gateway.capture(intent_id, 1234, idempotency_key=same) == captured  # a retried step
    # After the key has expired (24 h) a retry carries a key Stripe has not seen: the capture is
    # refused as done already, and the adapter answers what was captured.
    late = gateway.capture(intent_id, 1234, idempotency_key=key("capture-late"))
    assert (late.charge_id, late.amount) == (captured.charge_id, captured.amount)
    assert platform.client.v1.payment_intents.retrieve(intent_id).amount_received == 1234


def test_a_cancelled_hold_is_released_and_cancelling_again_is_harmless(
        gateway: StripePayments, platform: Platform) -> None:
    intent_id = held_payment(platform)
    gateway.cancel(intent_id, idempotency_key=key("cancel"))
    assert platform.client.v1.payment_intents.retrieve(intent_id).status == "canceled"
    gateway.cancel(intent_id, idempotency_key=key("cancel-again"))
    assert platform.client.v1.payment_intents.retrieve(intent_id).status == "canceled"


def test_a_transfer_to_an_account_without_the_transfers_capability_is_declined(
        gateway: StripePayments, platform: Platform, express_account: str) -> None:
    captured = gateway.capture(held_payment(platform, 1000), 1000, idempotency_key=key("capture-for-transfer"))
    with pytest.raises(PaymentDeclined, match=r"(?i)capabilit"):  # Stripe names the missing capability
        gateway.transfer(amount=300, currency=platform.currency, destination=express_account,
                         transfer_group="live-test", source_charge=captured.charge_id,
                         description="live_stripe test: must be refused", idempotency_key=key("transfer"))
