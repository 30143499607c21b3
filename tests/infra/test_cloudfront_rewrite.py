"""The CloudFront Function's rewrite, run with node on sample viewer requests (the same file the stack deploys).

node runs the file as CloudFront does: a top-level `handler(event)` in a script, no modules. All samples go
through one node process.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from infra.aws.edge import REWRITE_FUNCTION_FILE

RUNNER = """
const fs = require('fs');
const handler = new Function(fs.readFileSync(process.argv[1], 'utf8') + '\\nreturn handler;')();
const events = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = {};
for (const [name, event] of Object.entries(events)) { results[name] = handler(event); }
process.stdout.write(JSON.stringify(results));
"""


def viewer_request(uri: str, querystring: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET", "uri": uri, "querystring": querystring or {}, "cookies": {},
            "headers": {
                "host": {"value": "d111111abcdef8.cloudfront.net"},
                "authorization": {"value": "Basic Q1AtMTpzZWNyZXQ="},
                "sec-websocket-protocol": {"value": "ocpp1.6"},
            },
        },
    }


SAMPLES = {
    "plain": viewer_request("/ocpp/volt-parking/CP-1"),
    "trailing_slash": viewer_request("/ocpp/volt-parking/CP-1/"),
    "encoded_ids": viewer_request("/ocpp/volt%2Dparking/CP%2F1%20A%C3%A9"),
    "with_query": viewer_request("/ocpp/volt-parking/CP-1", {"v": {"value": "2"}}),
    "with_multi_value_query": viewer_request(
        "/ocpp/volt-parking/CP-1", {"x": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]}}),
    "query_names_another_charger": viewer_request(
        "/ocpp/volt-parking/CP-1", {"tenant": {"value": "other"}, "cp": {"value": "CP-9"}}),
    "no_charger": viewer_request("/ocpp/volt-parking"),
    "no_charger_trailing_slash": viewer_request("/ocpp/volt-parking/"),
    "empty_tenant": viewer_request("/ocpp//CP-1"),
    "extra_segment": viewer_request("/ocpp/volt-parking/CP-1/extra"),
    "root": viewer_request("/"),
    "rest_path": viewer_request("/v1/chargers"),
    "other_prefix": viewer_request("/ocppx/volt-parking/CP-1"),
}
REJECTED = ["no_charger", "no_charger_trailing_slash", "empty_tenant", "extra_segment", "root", "rest_path",
            "other_prefix"]


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed (the CDK's jsii runtime needs it too)")
    completed = subprocess.run(
        [node, "-e", RUNNER, str(REWRITE_FUNCTION_FILE)], input=json.dumps(SAMPLES),
        capture_output=True, text=True, check=True, timeout=60,
    )
    parsed: dict[str, Any] = json.loads(completed.stdout)
    return parsed


def test_charger_path_becomes_the_stage_root_with_tenant_and_charger_in_the_query(results: dict[str, Any]) -> None:
    request = results["plain"]
    assert request["uri"] == "/"
    assert request["querystring"] == {"tenant": {"value": "volt-parking"}, "cp": {"value": "CP-1"}}


def test_authorization_and_subprotocol_headers_pass_through_unchanged(results: dict[str, Any]) -> None:
    assert results["plain"]["headers"] == SAMPLES["plain"]["request"]["headers"]


def test_trailing_slash_is_the_same_charger(results: dict[str, Any]) -> None:
    assert results["trailing_slash"] == results["plain"]


def test_ids_stay_percent_encoded_as_they_arrived(results: dict[str, Any]) -> None:
    """API Gateway decodes query parameters once; decoding here too would decode twice."""
    assert results["encoded_ids"]["querystring"] == {
        "tenant": {"value": "volt%2Dparking"}, "cp": {"value": "CP%2F1%20A%C3%A9"},
    }


def test_other_query_parameters_are_kept(results: dict[str, Any]) -> None:
    assert results["with_query"]["querystring"] == {
        "v": {"value": "2"}, "tenant": {"value": "volt-parking"}, "cp": {"value": "CP-1"},
    }
    assert results["with_multi_value_query"]["querystring"]["x"] == SAMPLES["with_multi_value_query"][
        "request"]["querystring"]["x"]


def test_the_path_wins_over_a_tenant_or_cp_in_the_query(results: dict[str, Any]) -> None:
    assert results["query_names_another_charger"]["querystring"] == {
        "tenant": {"value": "volt-parking"}, "cp": {"value": "CP-1"},
    }


@pytest.mark.parametrize("sample", REJECTED)
def test_paths_that_name_no_charger_are_answered_404_at_the_edge(results: dict[str, Any], sample: str) -> None:
    assert results[sample] == {"statusCode": 404, "statusDescription": "Not Found"}
