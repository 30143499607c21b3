import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.conftest import Api, charger_body, sign_up


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the platform's Powertools logger writes (stdout in Lambda, CloudWatch picks it up)."""
    from chalicelib.observability import logger

    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_requests_are_logged_as_json_with_tenant_and_request_ids_and_no_secrets(
        anonymous: Api, log_output: io.StringIO, capfd: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    api, tenant = sign_up(anonymous)
    site = api.post("/v1/sites", {"name": "S", "address": "A", "city": "C", "postal_code": "1", "country": "NL",
                                  "latitude": 1, "longitude": 1, "time_zone": "UTC"}).json
    charger = api.post("/v1/chargers", charger_body("CP-1", site["id"])).json
    rotated = api.post("/v1/chargers/CP-1/password").json
    viewer = api.post("/v1/api-keys", {"role": "viewer"}).json
    api.with_key(viewer["api_key"]).post("/v1/tokens", {"uid": "X"})  # a 403, logged too
    anonymous.get("/v1/sites", headers={"Authorization": "Bearer evk_wrong_guess"})

    out = capfd.readouterr()
    logged = log_output.getvalue()
    everything = logged + out.out + out.err + caplog.text
    for secret in (api.api_key, charger["password"], rotated["password"], viewer["api_key"], "evk_wrong_guess"):
        assert secret and secret not in everything

    requests = [line for line in json_lines(logged) if line.get("message") == "request"]
    assert [r["status"] for r in requests] == [201, 201, 201, 200, 201, 403, 401]
    assert all(r["request_id"] and r["level"] == "INFO" and r["service"] == "evcharge" for r in requests)
    assert len({r["request_id"] for r in requests}) == len(requests)
    assert all(r["tenant_id"] == tenant["id"] for r in requests[1:5])
    assert "tenant_id" not in requests[0] and "tenant_id" not in requests[-1]
    assert requests[2]["route"] == "/v1/chargers" and requests[2]["method"] == "POST"


def test_ocpp_frames_are_logged_with_tenant_charger_message_and_action_and_counted_as_metrics(
        cp: Any, log_output: io.StringIO, capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.observability import logger

    cp.call("Heartbeat", {}, message_id="hb-0")
    assert "hb-0" not in log_output.getvalue()  # answered frames log at DEBUG only (per-frame cost)
    logger.setLevel("DEBUG")
    try:
        cp.call("Heartbeat", {}, message_id="hb-1")
    finally:
        logger.setLevel("INFO")
    cp.call("Authorize", {"idTag": "TAG-1", "secret": 1}, message_id="bad-1")  # a FormationViolation
    logged = [line for line in json_lines(log_output.getvalue()) if line.get("message") in
              {"call answered", "call rejected"}]
    assert [(line["message_id"], line["action"]) for line in logged] == [("hb-1", "Heartbeat"), ("bad-1", "Authorize")]
    assert all(line["tenant_id"].startswith("ten_") and line["charger_id"] == "CP-1" for line in logged)
    assert logged[1]["code"] == "FormationViolation"
    assert cp.password not in log_output.getvalue()

    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    frames = [m for m in metrics if "OcppFrames" in m]
    errors = [m for m in metrics if "OcppErrors" in m]
    assert [(m["action"], m["protocol"]) for m in frames][-2:] == [("Heartbeat", "ocpp1.6"), ("Authorize", "ocpp1.6")]
    assert [(m["code"], m["action"]) for m in errors] == [("FormationViolation", "Authorize")]
    assert frames[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "evcharge-test"
