"""Tenant B's key can never read, list, change or delete tenant A's objects, through any route.

`ATTEMPTS` covers every route the app registers (checked by the last test), so a new route cannot
ship without an isolation case.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from infra.local.stripe_sandbox.server import LocalStripe
from tests.functional.conftest import SITE, Api, charger_body, sign_up
from tests.functional.ocpp import CapturedSender, ChargerConnection
from tests.functional.payments import TARIFF, stripe_sandbox

__all__ = ["stripe_sandbox"]


@dataclass
class World:
    anonymous: Api
    a: Api
    b: Api
    ids: dict[str, str]

    def snapshot_of_a(self) -> dict[str, Any]:
        ids = self.ids
        paths = ["/v1/tenant", "/v1/sites", "/v1/chargers", "/v1/tokens", "/v1/api-keys",
                 f"/v1/sites/{ids['a_site']}", "/v1/chargers/A-ONLY", "/v1/chargers/SHARED-1",
                 "/v1/tokens/A-TAG", "/v1/sessions", f"/v1/sessions/{ids['a_session']}",
                 "/v1/chargers/A-ONLY/events", f"/v1/commands/{ids['a_command']}",
                 "/v1/tariffs", f"/v1/tariffs/{ids['a_tariff']}", "/v1/parties", f"/v1/parties/{ids['a_party']}",
                 "/v1/parties/cpo", "/v1/cdrs", f"/v1/cdrs/{ids['a_cdr']}", "/v1/ledger", "/v1/ledger/payouts"]
        snapshot = {p: self.a.get(p).json for p in paths}
        snapshot["/v1/cdrs?format=csv"] = raw_get(self.a, "/v1/cdrs?format=csv")[1]
        snapshot["qr.svg"] = raw_get(self.a, "/v1/chargers/A-ONLY/connectors/1/qr.svg")[1]
        return snapshot


def raw_get(api: Api, path: str) -> tuple[int, str, dict[str, str]]:
    """A GET whose answer is not JSON (CSV, SVG, HTML): status, body text, headers."""
    headers = {"Authorization": f"Bearer {api.api_key}"} if api.api_key else {}
    response = api._client.http.get(path, headers=headers)
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    return response.status_code, text, dict(response.headers)


@pytest.fixture(scope="module")
def world(stripe_sandbox: LocalStripe) -> Iterator[World]:
    """Tenants A and B. A has a site with a tariff and a revenue split naming A's party, a charger
    that ran one session under that tariff (priced and billed: a CDR and a ledger entry), a token,
    a command, a second key and its own CPO party; B has a site, a tariff, a party and its own
    charger with the same id as one of A's. The Stripe sandbox (session-scoped) is up first, as
    parties open connected accounts there."""
    from chalice.test import Client

    from app import app
    from chalicelib.store.table import create_table

    with mock_aws():
        create_table()
        with Client(app) as client:
            anonymous = Api(client)
            a, _ = sign_up(anonymous, name="Tenant A")
            b, _ = sign_up(anonymous, name="Tenant B", email="b@b.example")
            a_site = a.post("/v1/sites", SITE).json["id"]
            b_site = b.post("/v1/sites", {**SITE, "name": "B's depot"}).json["id"]
            a_tariff = a.post("/v1/tariffs", TARIFF).json["id"]
            assert b.post("/v1/tariffs", {**TARIFF, "currency": "USD"}).status == 201
            a_party = a.post("/v1/parties", {"role": "OWNER", "name": "A's owner", "email": "o@a.example"}).json["id"]
            assert b.post("/v1/parties", {"role": "OWNER", "name": "B's owner"}).status == 201
            assert a.post("/v1/tenant/onboarding-link").status == 201  # A's CPO party
            split = [{"party_id": a_party, "share_bps": 3000}]
            assert a.patch(f"/v1/sites/{a_site}", {"tariff_id": a_tariff, "revenue_split": split}).status == 200
            assert a.post("/v1/chargers", charger_body("A-ONLY", a_site)).status == 201
            assert a.post("/v1/chargers", charger_body("SHARED-1", a_site, name="A's")).status == 201
            assert b.post("/v1/chargers", charger_body("SHARED-1", b_site, name="B's")).status == 201
            assert a.post("/v1/tokens", {"uid": "A-TAG"}).status == 201
            a_key = a.post("/v1/api-keys", {"role": "admin", "name": "second"}).json["id"]
            for i in range(3):
                a.post("/v1/sites", {**SITE, "name": f"A extra {i}"})
            a_session, a_command = _charge_once(a)
            a_cdr = _bill(a, a_session)
            ids = {"a_site": a_site, "b_site": b_site, "a_key": a_key, "a_session": a_session,
                   "a_command": a_command, "a_tariff": a_tariff, "a_party": a_party, "a_cdr": a_cdr,
                   "b_slug": b.get("/v1/tenant").json["slug"]}
            yield World(anonymous, a, b, ids)


def _charge_once(a: Api) -> tuple[str, str]:
    """A session of A's charger A-ONLY, made over OCPP, and a command sent to it."""
    password = a.post("/v1/chargers/A-ONLY/password").json["password"]
    slug = a.get("/v1/tenant").json["slug"]
    with pytest.MonkeyPatch.context() as patch:
        sender = CapturedSender()
        patch.setattr("app.sender_of", lambda event: sender)
        patch.setattr("chalicelib.composition.rest_sender", lambda: sender)
        cp = ChargerConnection(sender, slug, "A-ONLY", password)
        assert cp.connect()["statusCode"] == 200
        cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"})
        tx = cp.result("StartTransaction", {"connectorId": 1, "idTag": "A-TAG", "meterStart": 0,
                                            "timestamp": "2026-11-21T08:00:00Z"})["transactionId"]
        cp.result("StopTransaction", {"transactionId": tx, "meterStop": 1000, "timestamp": "2026-11-21T09:00:00Z"})
        command = a.post("/v1/chargers/A-ONLY/commands", {"action": "reset"})
        assert command.status == 202, command.json
    session_id: str = a.get("/v1/sessions").json["items"][0]["id"]
    return session_id, command.json["id"]


def _bill(a: Api, session_id: str) -> str:
    """Run the billing workflow's steps in order, as the state machine would; the session's CDR id.
    An RFID session: nothing is captured, the cost is owed by the token's holder, the split is of 0."""
    from chalicelib.composition import billing_steps

    steps = billing_steps(a.get("/v1/tenant").json["id"])
    assert steps.price(session_id)["billable"]
    steps.collect(session_id)
    steps.split(session_id)
    steps.record_ledger(session_id)
    steps.send_receipt(session_id)
    ledger = a.get("/v1/ledger").json["items"]
    assert [e["status"] for e in ledger] == ["billed"], ledger
    assert ledger[0]["cost"]["incl_vat"] > 0, ledger
    cdr_id: str = ledger[0]["cdr_id"]
    return cdr_id


# (method, path, body, expected status for tenant B)
ATTEMPTS: list[tuple[str, str, Any, int]] = [
    ("GET", "/v1/sites/{a_site}", None, 404),
    ("PATCH", "/v1/sites/{a_site}", {"name": "hijacked"}, 404),
    ("DELETE", "/v1/sites/{a_site}", None, 404),
    ("GET", "/v1/chargers/A-ONLY", None, 404),
    ("PATCH", "/v1/chargers/A-ONLY", {"name": "hijacked"}, 404),
    ("DELETE", "/v1/chargers/A-ONLY", None, 404),
    ("POST", "/v1/chargers/A-ONLY/password", None, 404),
    ("POST", "/v1/chargers", charger_body("B-AT-A", "{a_site}"), 422),
    ("PATCH", "/v1/chargers/SHARED-1", {"site_id": "{a_site}"}, 422),
    ("GET", "/v1/tokens/A-TAG", None, 404),
    ("PATCH", "/v1/tokens/A-TAG", {"status": "BLOCKED"}, 404),
    ("DELETE", "/v1/tokens/A-TAG", None, 404),
    ("DELETE", "/v1/api-keys/{a_key}", None, 404),
    ("GET", "/v1/sessions/{a_session}", None, 404),
    ("POST", "/v1/sessions/{a_session}/billing", None, 404),
    ("GET", "/v1/chargers/A-ONLY/events", None, 404),
    ("GET", "/v1/sessions?charger_id=A-ONLY", None, 200),
    ("POST", "/v1/chargers/A-ONLY/commands", {"action": "reset"}, 404),
    ("POST", "/v1/chargers/SHARED-1/commands", {"action": "reset"}, 409),  # B's own SHARED-1 is offline
    ("GET", "/v1/commands/{a_command}", None, 404),
    # tariffs, and pointing B's own objects at A's tariff
    ("GET", "/v1/tariffs/{a_tariff}", None, 404),
    ("PATCH", "/v1/tariffs/{a_tariff}", {"currency": "USD"}, 404),
    ("DELETE", "/v1/tariffs/{a_tariff}", None, 404),
    ("PATCH", "/v1/sites/{b_site}", {"tariff_id": "{a_tariff}"}, 422),
    ("PATCH", "/v1/chargers/SHARED-1", {"tariff_id": "{a_tariff}"}, 422),
    ("PATCH", "/v1/tenant", {"default_tariff_id": "{a_tariff}"}, 422),
    ("PATCH", "/v1/tenant", {"checkout_hold": 2500}, 200),  # B's own tenant; A's is unchanged
    # payout parties, and naming A's party in B's revenue split
    ("GET", "/v1/parties/{a_party}", None, 404),
    ("POST", "/v1/parties/{a_party}/onboarding-link", None, 404),
    ("POST", "/v1/sites", {**SITE, "revenue_split": [{"party_id": "{a_party}", "share_bps": 100}]}, 422),
    ("PATCH", "/v1/sites/{b_site}", {"revenue_split": [{"party_id": "{a_party}", "share_bps": 100}]}, 422),
    ("POST", "/v1/tenant/onboarding-link", None, 201),  # B's own CPO account; A's CPO party is unchanged
    # CDRs and the ledger
    ("GET", "/v1/cdrs/{a_cdr}", None, 404),
    ("GET", "/v1/cdrs/{a_cdr}?format=csv", None, 404),
    ("GET", "/v1/ledger?limit=100", None, 200),
    ("GET", "/v1/ledger/payouts", None, 200),
    # QR codes, and A's connector through B's public pay page (the slug picks the tenant)
    ("GET", "/v1/chargers/A-ONLY/connectors/1/qr.svg", None, 404),
    ("GET", "/pay/{b_slug}/A-ONLY/1", None, 404),
    ("POST", "/pay/{b_slug}/A-ONLY/1", None, 404),
]

# Routes with no tenant key, so nothing for B's key to cross; why each is safe as it is.
PUBLIC = {
    ("POST", "/v1/signup"): "creates a new tenant; takes no key",
    ("GET", "/pay/sessions/{payment_id}"): "the driver's page; the payment id (80 random bits, known only from "
                                           "Stripe's redirect) is the capability, resolved to its own tenant",
    ("GET", "/onboarding/{outcome}"): "a static thank-you or link-expired page; reads nothing",
    ("POST", "/webhooks/stripe"): "Stripe's events, signature verified; each names its own account or payment",
}


def fill(template: Any, ids: dict[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**ids)
    if isinstance(template, dict):
        return {k: fill(v, ids) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, ids) for v in template]
    return template


@pytest.mark.parametrize(("method", "path", "body", "expected"), ATTEMPTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ATTEMPTS])
def test_tenant_b_cannot_touch_tenant_a_objects(world: World, method: str, path: str, body: Any,
                                                 expected: int) -> None:
    before = world.snapshot_of_a()
    reply = world.b.call(method, fill(path, world.ids), fill(body, world.ids))
    assert reply.status == expected, reply.json
    assert world.a.get("/v1/sites").status == 200
    assert world.snapshot_of_a() == before


@pytest.mark.parametrize("path", ["/v1/sites", "/v1/chargers", "/v1/tokens", "/v1/api-keys", "/v1/sessions",
                                  "/v1/sessions?charger_id=A-ONLY", "/v1/chargers/A-ONLY/events", "/v1/tariffs",
                                  "/v1/parties", "/v1/cdrs", "/v1/ledger"])
def test_tenant_b_lists_only_its_own_objects(world: World, path: str) -> None:
    a_items = {str(i) for i in world.a.get(path).json["items"]}
    b_reply = world.b.get(path)
    b_items = {str(i) for i in b_reply.json["items"]} if b_reply.status == 200 else set()
    assert a_items and not a_items & b_items


def test_tenant_b_sees_its_own_tenant(world: World) -> None:
    assert world.b.get("/v1/tenant").json["name"] == "Tenant B"


def test_listing_chargers_at_tenant_a_site_shows_nothing_to_tenant_b(world: World) -> None:
    reply = world.b.get(f"/v1/chargers?site_id={world.ids['a_site']}")
    assert reply.status == 200 and reply.json["items"] == []


def test_tenant_a_cursor_pages_only_through_tenant_b_own_items(world: World) -> None:
    a_ids = {site["id"] for site in world.a.get("/v1/sites?limit=100").json["items"]}
    a_page = world.a.get("/v1/sites?limit=1").json
    assert a_page["next"]
    # B's own site was made after A's first site, so A's cursor lands before it in B's partition too.
    b_page = world.b.get(f"/v1/sites?limit=10&next={a_page['next']}").json
    assert [site["id"] for site in b_page["items"]] == [world.ids["b_site"]]
    assert not a_ids & {site["id"] for site in b_page["items"]}


def test_the_same_charge_point_id_resolves_to_each_tenant_own_charger(world: World) -> None:
    before = world.a.get("/v1/chargers/SHARED-1").json
    assert world.b.get("/v1/chargers/SHARED-1").json["name"] == "B's"
    assert world.b.patch("/v1/chargers/SHARED-1", {"name": "B's renamed"}).status == 200
    assert world.b.post("/v1/chargers/SHARED-1/password").status == 200
    assert world.a.get("/v1/chargers/SHARED-1").json == before


def test_the_same_token_uid_in_tenant_b_is_its_own_token(world: World) -> None:
    assert world.b.post("/v1/tokens", {"uid": "a-tag", "status": "BLOCKED"}).status == 201
    assert world.a.get("/v1/tokens/A-TAG").json["status"] == "ACCEPTED"


def test_tenant_b_cdr_csv_has_none_of_tenant_a_cdrs(world: World) -> None:
    a_status, a_csv, _ = raw_get(world.a, "/v1/cdrs?format=csv")
    b_status, b_csv, _ = raw_get(world.b, "/v1/cdrs?format=csv")
    assert a_status == b_status == 200
    assert world.ids["a_cdr"] in a_csv and world.ids["a_cdr"] not in b_csv
    assert world.ids["a_session"] not in b_csv


def test_tenant_b_ledger_and_payouts_show_nothing_of_tenant_a(world: World) -> None:
    assert [e["session_id"] for e in world.a.get("/v1/ledger").json["items"]] == [world.ids["a_session"]]
    assert world.b.get("/v1/ledger?limit=100").json["items"] == []
    b_payouts = world.b.get("/v1/ledger/payouts").json["parties"]
    assert not {p["party_id"] for p in b_payouts} & {world.ids["a_party"]}
    assert b_payouts == []


def test_tenant_b_qr_code_of_its_shared_charger_links_to_its_own_page(world: World) -> None:
    status, _, headers = raw_get(world.b, "/v1/chargers/SHARED-1/connectors/1/qr.svg")
    assert status == 200
    assert headers["X-Pay-Link"].endswith(f"/pay/{world.ids['b_slug']}/SHARED-1/1")


def test_a_tenant_without_a_cpo_party_cannot_reach_tenant_a_cpo_party(world: World) -> None:
    c, _ = sign_up(world.anonymous, name="Tenant C", email="c@c.example")
    before = world.snapshot_of_a()
    assert world.a.get("/v1/parties/cpo").status == 200
    assert c.get("/v1/parties/cpo").status == 404
    assert c.post("/v1/parties/cpo/onboarding-link").status == 404
    assert world.snapshot_of_a() == before


def test_tenant_b_cpo_party_is_its_own_connected_account(world: World, stripe_sandbox: LocalStripe) -> None:
    assert world.b.post("/v1/tenant/onboarding-link").status == 201
    a_cpo, b_cpo = world.a.get("/v1/parties/cpo").json, world.b.get("/v1/parties/cpo").json
    assert a_cpo["account_id"] != b_cpo["account_id"]
    assert b_cpo["name"] == "Tenant B"


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/v1/tariffs/{id}", None), ("GET", "/v1/parties/{id}", None), ("GET", "/v1/cdrs/{id}", None),
    ("PATCH", "/v1/sites/{b_site}", {"tariff_id": "{id}"}),
    ("PATCH", "/v1/sites/{b_site}", {"revenue_split": [{"party_id": "{id}", "share_bps": 100}]}),
])
def test_tenant_a_ids_answer_tenant_b_exactly_as_ids_that_exist_nowhere(
        world: World, method: str, path: str, body: Any) -> None:
    """No existence oracle: B cannot tell A's ids from made-up ones of the same shape."""
    kind = path.split("/")[2] if "{id}" in path else ("tariffs" if "tariff_id" in str(body) else "parties")
    a_id = {"tariffs": world.ids["a_tariff"], "parties": world.ids["a_party"], "cdrs": world.ids["a_cdr"]}[kind]
    made_up = a_id[:-5] + ("zzzzz" if not a_id.endswith("zzzzz") else "yyyyy")
    answers = []
    for some_id in (a_id, made_up):
        ids = {**world.ids, "id": some_id}
        reply = world.b.call(method, fill(path, ids), fill(body, ids))
        error = dict(reply.json["error"])
        error["message"] = error["message"].replace(some_id, "ID")
        answers.append((reply.status, error))
    assert answers[0] == answers[1]
    assert answers[0][0] in (404, 422)


def test_every_route_has_an_isolation_case() -> None:
    from app import app

    covered = {(m, p.split("?")[0]) for m, p, _, _ in ATTEMPTS}
    covered |= {("GET", "/v1/sites"), ("GET", "/v1/chargers"), ("GET", "/v1/tokens"), ("GET", "/v1/api-keys"),
                ("GET", "/v1/tenant"), ("GET", "/v1/sessions")}
    covered |= {("GET", "/v1/tariffs"), ("GET", "/v1/parties"), ("GET", "/v1/cdrs")}
    # Creating in one's own tenant is isolated by construction (keys come from the caller's context).
    own_creates = {("POST", "/v1/sites"), ("POST", "/v1/tokens"), ("POST", "/v1/api-keys"),
                   ("POST", "/v1/tariffs"), ("POST", "/v1/parties")} | set(PUBLIC)
    normalise = {"{a_site}": "{site_id}", "{b_site}": "{site_id}", "A-ONLY": "{charger_id}", "A-TAG": "{uid}",
                 "{a_key}": "{key_id}", "SHARED-1": "{charger_id}", "{a_session}": "{session_id}",
                 "{a_command}": "{command_id}", "{a_tariff}": "{tariff_id}", "{a_party}": "{party_id}",
                 "{a_cdr}": "{cdr_id}", "{b_slug}/{charger_id}/1": "{slug}/{charger_id}/{connector}",
                 "/connectors/1/": "/connectors/{connector}/"}
    patterns = set()
    for method, path in covered:
        for concrete, name in normalise.items():
            path = path.replace(concrete, name)
        patterns.add((method, path))
    registered = {(method, path) for path, entries in app.routes.items() for method in entries}
    assert registered - patterns - own_creates == set()
