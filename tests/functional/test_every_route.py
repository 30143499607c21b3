"""Authentication and roles hold on every route the app registers, not just the ones tested by hand."""
from typing import Any

import pytest

from app import app
from tests.functional.conftest import Api

# Public by design: signup; the driver's pages (a QR sticker's link, the driver's own payment link);
# Stripe's webhook (its signature is the credential); the page Stripe sends an onboarded party back to.
PUBLIC = {("POST", "/v1/signup"), ("GET", "/pay/{slug}/{charger_id}/{connector}"),
          ("POST", "/pay/{slug}/{charger_id}/{connector}"), ("GET", "/pay/sessions/{payment_id}"),
          ("POST", "/webhooks/stripe"), ("GET", "/onboarding/{outcome}")}
ADMIN_ONLY_READS = {("GET", "/v1/api-keys")}
ROUTES = sorted((method, path) for path, entries in app.routes.items() for method in entries)
SAMPLE_IDS = {"{site_id}": "site_01m7yaf07vkn4f6261jm03r57z", "{charger_id}": "CP-1", "{uid}": "AA",
              "{key_id}": "key_01m7yaf07vkn4f6261jm03r57z"}


def concrete(path: str) -> str:
    for name, value in SAMPLE_IDS.items():
        path = path.replace(name, value)
    return path


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC])
def test_every_route_refuses_a_caller_without_a_key(anonymous: Api, method: str, path: str) -> None:
    reply = anonymous.call(method, concrete(path), {})
    assert reply.status == 401
    assert reply.json["error"]["code"] == "unauthenticated"
    assert reply.headers["X-Request-Id"]


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC])
def test_every_write_refuses_a_viewer_key(tenant_a: Api, method: str, path: str) -> None:
    viewer = tenant_a.with_key(tenant_a.post("/v1/api-keys", {"role": "viewer"}).json["api_key"])
    reply: Any = viewer.call(method, concrete(path), {})
    if method == "GET" and (method, path) not in ADMIN_ONLY_READS:
        assert reply.status in {200, 404}
    else:
        assert reply.status == 403
        assert reply.json["error"]["code"] == "read_only_key"
