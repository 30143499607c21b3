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


def test_concurrent_writes_are_all_kept_and_counted(runtime: RunningRuntime) -> None:
    """Many writes at once, some refused in their transaction (duplicate charger ids): every accepted
    write is kept and the site counts exactly its chargers."""
    from concurrent.futures import ThreadPoolExecutor

    signup = requests.post(f"{runtime.base_url}/v1/signup", timeout=10, json={
        "name": "Busy CPO", "email": "busy@example.com", "country": "NL", "currency": "EUR"}).json()
    auth = {"Authorization": f"Bearer {signup['api_key']}"}
    site_body = {"name": "S", "address": "A", "city": "C", "postal_code": "1", "country": "NL",
                 "latitude": 52, "longitude": 4, "time_zone": "Europe/Amsterdam"}
    site = requests.post(f"{runtime.base_url}/v1/sites", headers=auth, timeout=10, json=site_body).json()
    connector = {"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}

    def write(task: tuple[str, int]) -> tuple[str, int]:
        kind, n = task
        if kind == "charger":  # 5 ids, each tried 6 times: 25 attempts are cancelled as duplicates
            body: dict[str, object] = {"id": f"BUSY-{n % 5}", "site_id": site["id"],
                                       "evses": [{"connectors": [connector]}]}
            path = "/v1/chargers"
        elif kind == "token":
            body, path = {"uid": f"TAG-{n}"}, "/v1/tokens"
        else:
            body, path = {**site_body, "name": f"Other {n}"}, "/v1/sites"
        reply = requests.post(f"{runtime.base_url}{path}", headers=auth, json=body, timeout=30)
        return kind, reply.status_code

    tasks = [(kind, n) for n in range(30) for kind in ("charger", "token", "site")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(write, tasks))
    charger_statuses = sorted(status for kind, status in results if kind == "charger")
    assert charger_statuses == [201] * 5 + [409] * 25
    assert [status for kind, status in results if kind != "charger"] == [201] * 60

    def count(path: str) -> int:
        return len(requests.get(f"{runtime.base_url}{path}?limit=100", headers=auth, timeout=10).json()["items"])

    assert (count("/v1/chargers"), count("/v1/tokens"), count("/v1/sites")) == (5, 30, 31)
    # The site counted exactly its chargers: it refuses deletion until the last one is gone.
    site_url = f"{runtime.base_url}/v1/sites/{site['id']}"
    for n in range(4):
        assert requests.delete(f"{runtime.base_url}/v1/chargers/BUSY-{n}", headers=auth, timeout=10).status_code == 204
    assert requests.delete(site_url, headers=auth, timeout=10).status_code == 409
    assert requests.delete(f"{runtime.base_url}/v1/chargers/BUSY-4", headers=auth, timeout=10).status_code == 204
    assert requests.delete(site_url, headers=auth, timeout=10).status_code == 204
