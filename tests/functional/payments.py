"""The Stripe sandbox for functional tests, and the steps a driver and Stripe take."""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from infra.local.stripe_sandbox.server import LocalStripe
from infra.local.stripe_sandbox.webhooks import signature_header
from tests.functional.conftest import Api

WEBHOOK_SECRET = "whsec_functional_tests"
TARIFF: dict[str, Any] = {
    "currency": "EUR",
    "elements": [{"price_components": [{"type": "ENERGY", "price": 0.30, "vat": 21.0, "step_size": 1}]}],
}


@pytest.fixture(scope="session")
def stripe_sandbox() -> Iterator[LocalStripe]:
    """The offline Stripe, its webhooks not delivered (tests post the events they want, signed)."""
    sandbox = LocalStripe(webhook_secret=WEBHOOK_SECRET).start()
    saved = {k: os.environ.get(k) for k in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")}
    os.environ.update(STRIPE_SECRET_KEY="sk_test_functional", STRIPE_API_BASE=sandbox.url,
                      STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    _clear_cached_settings()
    yield sandbox
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _clear_cached_settings()
    sandbox.stop()


def _clear_cached_settings() -> None:
    from chalicelib import composition
    from chalicelib.settings import settings

    settings.cache_clear()
    composition.payment_gateway.cache_clear()


def deliver(api: Api, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET) -> Any:
    """POST a Stripe event to the webhook, signed as Stripe signs it."""
    payload = json.dumps(event).encode()
    header = signature_header(payload, secret, int(time.time()))
    return api.with_key(None).call("POST", "/webhooks/stripe", raw=payload.decode(),
                                   headers={"Stripe-Signature": header})


def latest_event(sandbox: LocalStripe, event_type: str) -> dict[str, Any]:
    events = sandbox.events(event_type)
    assert events, f"the sandbox sent no {event_type}"
    return events[-1]


def onboard(api: Api, sandbox: LocalStripe, link_path: str) -> None:
    """Follow an onboarding link to the end, as the party would, and deliver Stripe's account.updated."""
    url = api.post(link_path).json["url"]
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    done = requests.post(url, data={}, timeout=5, allow_redirects=False)
    assert done.status_code in (302, 303), done.text
    assert deliver(api, latest_event(sandbox, "account.updated")).status == 200
