"""Routes exercised through Chalice's test client against moto's in-process DynamoDB."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from tests.functional.ocpp import CapturedSender, ChargerConnection


@pytest.fixture
def aws() -> Iterator[None]:
    from infra.local.workflows import MOTO_CONFIG

    with mock_aws(config=MOTO_CONFIG):  # Step Functions executions run (the billing workflow)
        from chalicelib.store.table import create_table

        create_table()
        yield


@pytest.fixture
def workflows(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The workflows of chalicelib/workflows on moto, their tasks run by app.py's functions."""
    from app import app
    from chalicelib.workflows.starter import state_machine_arn_variable
    from infra.local.workflows import LocalWorkflows

    with LocalWorkflows(app) as deployed:
        for name, arn in deployed.state_machine_arns.items():
            monkeypatch.setenv(state_machine_arn_variable(name), arn)
        from chalicelib import composition

        composition.workflow_starter.cache_clear()
        yield deployed
        composition.workflow_starter.cache_clear()


@dataclass
class Reply:
    status: int
    json: Any
    headers: dict[str, str]


class Api:
    """The tenant API as a client sees it, with a bearer key (or none)."""

    def __init__(self, client: Any, api_key: str | None = None) -> None:
        self._client = client
        self.api_key = api_key

    def with_key(self, api_key: str | None) -> Api:
        return Api(self._client, api_key)

    def call(self, method: str, path: str, body: Any = None, *, raw: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.api_key:
            sent.setdefault("Authorization", f"Bearer {self.api_key}")
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self._client.http, method.lower())(path, headers=sent, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        return Reply(response.status_code, json.loads(text) if text else None, dict(response.headers))

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)


@pytest.fixture
def anonymous(aws: None) -> Iterator[Api]:
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield Api(client)


SIGNUP = {"name": "Volt Parking BV", "email": "ops@volt.example", "country": "NL", "currency": "EUR"}
SITE = {
    "name": "Depot Noord", "address": "Kade 1", "city": "Amsterdam", "postal_code": "1011 AA",
    "country": "NL", "latitude": 52.38, "longitude": 4.9, "time_zone": "Europe/Amsterdam",
    "max_power_kw": 150,
}


def charger_body(charger_id: str, site_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": charger_id, "site_id": site_id,
        "evses": [{"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]}],
        **extra,
    }


def sign_up(api: Api, **overrides: Any) -> tuple[Api, dict[str, Any]]:
    reply = api.with_key(None).post("/v1/signup", {**SIGNUP, **overrides})
    assert reply.status == 201, reply.json
    return api.with_key(reply.json["api_key"]), reply.json["tenant"]


@pytest.fixture
def tenant_a(anonymous: Api) -> Api:
    return sign_up(anonymous, name="Tenant A")[0]


@pytest.fixture
def tenant_b(anonymous: Api) -> Api:
    return sign_up(anonymous, name="Tenant B", email="b@b.example")[0]


@pytest.fixture
def site_a(tenant_a: Api) -> dict[str, Any]:
    reply = tenant_a.post("/v1/sites", SITE)
    assert reply.status == 201, reply.json
    site: dict[str, Any] = reply.json
    return site


# -- chargers over OCPP ----------------------------------------------------------------------------

TWO_EVSES = [
    {"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]},
    {"connectors": [{"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]},
]


@dataclass
class RegisteredCharger:
    slug: str
    id: str
    password: str


@pytest.fixture
def sender(monkeypatch: pytest.MonkeyPatch) -> CapturedSender:
    captured = CapturedSender()
    monkeypatch.setattr("app.sender_of", lambda event: captured)  # the WebSocket functions' management API
    monkeypatch.setattr("chalicelib.composition.rest_sender", lambda: captured)  # the REST functions'
    return captured


def register_charger(api: Api, site_id: str, charger_id: str = "CP-1", **extra: Any) -> RegisteredCharger:
    reply = api.post("/v1/chargers", {**charger_body(charger_id, site_id), "evses": TWO_EVSES, **extra})
    assert reply.status == 201, reply.json
    return RegisteredCharger(api.get("/v1/tenant").json["slug"], charger_id, reply.json["password"])


@pytest.fixture
def charger_a(tenant_a: Api, site_a: dict[str, Any]) -> RegisteredCharger:
    return register_charger(tenant_a, site_a["id"])


@pytest.fixture
def cp(sender: CapturedSender, charger_a: RegisteredCharger, tenant_a: Api) -> ChargerConnection:
    """CP-1 of tenant A, connected over OCPP 1.6, with token TAG-1 accepted."""
    assert tenant_a.post("/v1/tokens", {"uid": "TAG-1"}).status == 201
    connection = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password)
    assert connection.connect()["statusCode"] == 200
    return connection


@pytest.fixture
def cp201(sender: CapturedSender, charger_a: RegisteredCharger, tenant_a: Api) -> ChargerConnection:
    """CP-1 of tenant A, connected over OCPP 2.0.1, with token TAG-1 accepted."""
    assert tenant_a.post("/v1/tokens", {"uid": "TAG-1"}).status == 201
    connection = ChargerConnection(sender, charger_a.slug, charger_a.id, charger_a.password, protocols="ocpp2.0.1")
    assert connection.connect()["headers"]["Sec-WebSocket-Protocol"] == "ocpp2.0.1"
    return connection
