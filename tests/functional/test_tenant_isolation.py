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

from tests.functional.conftest import SITE, Api, charger_body, sign_up
from tests.functional.ocpp import CapturedSender, ChargerConnection


@dataclass
class World:
    a: Api
    b: Api
    ids: dict[str, str]

    def snapshot_of_a(self) -> dict[str, Any]:
        paths = ["/v1/tenant", "/v1/sites", "/v1/chargers", "/v1/tokens", "/v1/api-keys",
                 f"/v1/sites/{self.ids['a_site']}", "/v1/chargers/A-ONLY", "/v1/chargers/SHARED-1",
                 "/v1/tokens/A-TAG", "/v1/sessions", f"/v1/sessions/{self.ids['a_session']}",
                 "/v1/chargers/A-ONLY/events", f"/v1/commands/{self.ids['a_command']}"]
        return {p: self.a.get(p).json for p in paths}


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
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
            assert a.post("/v1/chargers", charger_body("A-ONLY", a_site)).status == 201
            assert a.post("/v1/chargers", charger_body("SHARED-1", a_site, name="A's")).status == 201
            assert b.post("/v1/chargers", charger_body("SHARED-1", b_site, name="B's")).status == 201
            assert a.post("/v1/tokens", {"uid": "A-TAG"}).status == 201
            a_key = a.post("/v1/api-keys", {"role": "admin", "name": "second"}).json["id"]
            for i in range(3):
                a.post("/v1/sites", {**SITE, "name": f"A extra {i}"})
            a_session, a_command = _charge_once(a)
            ids = {"a_site": a_site, "b_site": b_site, "a_key": a_key, "a_session": a_session,
                   "a_command": a_command}
            yield World(a, b, ids)


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
    ("GET", "/v1/chargers/A-ONLY/events", None, 404),
    ("GET", "/v1/sessions?charger_id=A-ONLY", None, 200),
    ("POST", "/v1/chargers/A-ONLY/commands", {"action": "reset"}, 404),
    ("POST", "/v1/chargers/SHARED-1/commands", {"action": "reset"}, 409),  # B's own SHARED-1 is offline
    ("GET", "/v1/commands/{a_command}", None, 404),
]


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
                                  "/v1/sessions?charger_id=A-ONLY", "/v1/chargers/A-ONLY/events"])
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


def test_every_route_has_an_isolation_case() -> None:
    from app import app

    covered = {(m, p.split("?")[0]) for m, p, _, _ in ATTEMPTS}
    covered |= {("GET", "/v1/sites"), ("GET", "/v1/chargers"), ("GET", "/v1/tokens"), ("GET", "/v1/api-keys"),
                ("GET", "/v1/tenant"), ("GET", "/v1/sessions")}
    # Creating in one's own tenant is isolated by construction (keys come from the caller's context);
    # signup is public.
    own_creates = {("POST", "/v1/sites"), ("POST", "/v1/tokens"), ("POST", "/v1/api-keys"),
                   ("POST", "/v1/signup")}
    normalise = {"{a_site}": "{site_id}", "A-ONLY": "{charger_id}", "A-TAG": "{uid}", "{a_key}": "{key_id}",
                 "SHARED-1": "{charger_id}", "{a_session}": "{session_id}", "{a_command}": "{command_id}"}
    patterns = set()
    for method, path in covered:
        for concrete, name in normalise.items():
            path = path.replace(concrete, name)
        patterns.add((method, path))
    registered = {(method, path) for path, entries in app.routes.items() for method in entries}
    assert registered - patterns - own_creates == set()
