"""The running platform over real sockets: the demo seed and the HTTP contract."""
from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import RunningRuntime

pytestmark = pytest.mark.e2e


def test_the_seeded_demo_credentials_work(runtime: RunningRuntime) -> None:
    api_key = runtime.banner_value("API key")
    ocpp_url = runtime.banner_value("OCPP URL")
    charger = requests.get(f"{runtime.base_url}/v1/chargers/DEMO-CP-1",
                           headers={"Authorization": f"Bearer {api_key}"}, timeout=10)
    assert charger.status_code == 200
    assert charger.json()["ocpp_url"] == ocpp_url
    assert ocpp_url.endswith("/ocpp/demo-cpo/DEMO-CP-1")
    token = requests.get(f"{runtime.base_url}/v1/tokens/DEMO-TAG-1",
                         headers={"Authorization": f"Bearer {api_key}"}, timeout=10)
    assert token.status_code == 200 and token.json()["status"] == "ACCEPTED"


def test_the_banner_names_the_urls(runtime: RunningRuntime) -> None:
    assert runtime.banner_value("REST API") == runtime.base_url
    assert runtime.banner_value("DynamoDB (moto)").startswith("http://127.0.0.1:")


def test_another_tenant_sees_a_404_for_the_demo_charger(runtime: RunningRuntime) -> None:
    signup = requests.post(f"{runtime.base_url}/v1/signup", timeout=10, json={
        "name": "Other CPO", "email": "o@other.example", "country": "DE", "currency": "EUR"})
    assert signup.status_code == 201
    other = {"Authorization": f"Bearer {signup.json()['api_key']}"}
    reply = requests.get(f"{runtime.base_url}/v1/chargers/DEMO-CP-1", headers=other, timeout=10)
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "charger_not_found"
    assert reply.headers["X-Request-Id"]


def test_malformed_json_over_http_is_a_400(runtime: RunningRuntime) -> None:
    reply = requests.post(f"{runtime.base_url}/v1/signup", data="{oops",
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == 400
    assert reply.json() == {"error": {"code": "invalid_json", "message": "the request body is not valid JSON"}}


def test_an_unknown_route_is_a_404_that_does_not_echo_the_key(runtime: RunningRuntime) -> None:
    api_key = runtime.banner_value("API key")
    reply = requests.get(f"{runtime.base_url}/v1/charger/DEMO-CP-1",
                         headers={"Authorization": f"Bearer {api_key}"}, timeout=10)
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "route_not_found"
    assert api_key not in reply.text
    assert reply.headers["X-Request-Id"]


def test_an_unknown_route_with_a_non_ascii_header_still_answers(runtime: RunningRuntime) -> None:
    reply = requests.get(f"{runtime.base_url}/v1/nowhere", headers={"Authorization": "Bearer ümlaut".encode()},
                         timeout=10)
    assert reply.status_code == 404


def test_chalice_own_errors_carry_the_request_id(runtime: RunningRuntime) -> None:
    reply = requests.put(f"{runtime.base_url}/v1/sites", timeout=10)
    assert reply.status_code == 405
    assert reply.json()["error"]["code"] == "method_not_allowed"
    assert reply.headers["X-Request-Id"]
