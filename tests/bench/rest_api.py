"""`make bench`: what a REST request costs, in-process on moto (figures, not assertions).

Prints per route the median time over many requests, both whole and without the time spent inside
DynamoDB calls (moto's own serialisation is slow and says nothing about DynamoDB, so the second is the
platform's own cost), the DynamoDB requests each one makes (reads and writes counted), and the cold
import time of `app.py` (what a Lambda cold start pays before its first request).
Run: `python -m tests.bench.rest_api [--repeat N]`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1",
                  AWS_REGION="eu-west-1", TABLE_NAME="evcharge-bench", POWERTOOLS_LOG_LEVEL="WARNING")
os.environ.pop("DYNAMODB_ENDPOINT", None)

import botocore.client
from moto import mock_aws

_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_calls: Counter[str] = Counter()
_in_dynamodb = [0.0]  # seconds spent inside DynamoDB calls since the last reset


def _counting(original: Callable[..., Any]) -> Callable[..., Any]:
    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation_name, api_params)
        _calls[operation_name] += 1
        started = time.perf_counter()
        try:
            return original(self, operation_name, api_params)
        finally:
            _in_dynamodb[0] += time.perf_counter() - started
    return make_api_call


@contextmanager
def counted() -> Iterator[Counter[str]]:
    _calls.clear()
    yield _calls


def cold_import_ms(runs: int = 5) -> float:
    probe = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
    env = {**os.environ}
    times = [float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                  env=env).stdout) for _ in range(runs)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    botocore.client.BaseClient._make_api_call = _counting(botocore.client.BaseClient._make_api_call)

    from chalice.test import Client

    from app import app
    from chalicelib.store.table import create_table

    with mock_aws(), Client(app) as client:
        create_table()

        def call(method: str, path: str, body: Any = None, key: str | None = None) -> Any:
            headers = {"Content-Type": "application/json"}
            if key:
                headers["Authorization"] = f"Bearer {key}"
            response = getattr(client.http, method.lower())(
                path, headers=headers, body=json.dumps(body) if body is not None else None)
            assert response.status_code < 300, (path, response.body)
            return json.loads(response.body) if response.body else None

        key = call("POST", "/v1/signup", {"name": "Bench", "email": "b@bench.example", "country": "NL",
                                          "currency": "EUR"})["api_key"]
        site = call("POST", "/v1/sites", {"name": "S", "address": "A", "city": "C", "postal_code": "1",
                                          "country": "NL", "latitude": 1, "longitude": 1, "time_zone": "UTC"}, key)
        call("POST", "/v1/chargers", {"id": "CP-0", "site_id": site["id"], "evses": [{"connectors": [
            {"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]}]}, key)
        counter = iter(range(10**9))
        routes: list[tuple[str, Callable[[], Any], int]] = [
            ("GET /v1/tenant", lambda: call("GET", "/v1/tenant", key=key), args.repeat),
            ("GET /v1/chargers/{id}", lambda: call("GET", "/v1/chargers/CP-0", key=key), args.repeat),
            ("GET /v1/sites?limit=50", lambda: call("GET", "/v1/sites?limit=50", key=key), args.repeat),
            ("POST /v1/tokens", lambda: call("POST", "/v1/tokens", {"uid": f"T{next(counter)}"}, key), args.repeat),
            ("PATCH /v1/sites/{id}", lambda: call("PATCH", f"/v1/sites/{site['id']}", {"name": "N"}, key),
             args.repeat),
            ("POST /v1/chargers (scrypt)", lambda: call("POST", "/v1/chargers", {
                "id": f"CP-{next(counter)}", "site_id": site["id"], "evses": [{"connectors": [
                    {"standard": "IEC_62196_T2", "power_type": "AC_3_PHASE", "max_power_kw": 22}]}]}, key),
             max(20, args.repeat // 10)),
        ]
        print(f"{'route':30} {'median ms':>10} {'without DynamoDB':>17} {'reads':>6} {'writes':>7}"
              "   (moto in-process)")
        for name, request, repeat in routes:
            request()  # warm
            samples, own = [], []
            with counted() as calls:
                for _ in range(repeat):
                    _in_dynamodb[0] = 0.0
                    started = time.perf_counter()
                    request()
                    elapsed = time.perf_counter() - started
                    samples.append(elapsed * 1000)
                    own.append((elapsed - _in_dynamodb[0]) * 1000)
            writes = sum(n for op, n in calls.items() if op in _WRITES) / repeat
            reads = sum(n for op, n in calls.items() if op not in _WRITES) / repeat
            print(f"{name:30} {statistics.median(samples):10.2f} {statistics.median(own):17.2f} "
                  f"{reads:6.1f} {writes:7.1f}")
    print(f"\ncold import of app.py (median of 5 fresh interpreters): {cold_import_ms():.0f} ms")


if __name__ == "__main__":
    main()
