"""The README's curl tour, run exactly as written against the running platform."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, RunningRuntime

pytestmark = pytest.mark.e2e


def tour_script() -> str:
    readme = (Path(ROOT) / "README.md").read_text()
    block = readme.split("<!-- tour:start -->", 1)[1].split("<!-- tour:end -->", 1)[0]
    return block.split("```sh", 1)[1].rsplit("```", 1)[0]


def json_objects(output: str) -> list[dict[str, Any]]:
    objects = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            objects.append(json.loads(line))
    return objects


@pytest.fixture(scope="module")
def tour(runtime: RunningRuntime) -> list[dict[str, Any]]:
    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.skip("the README tour is a curl script: this machine has no curl or bash")
    # The tour's python3 is whichever the reader has; here, the one running the tests.
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", os.defpath)])
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", tour_script()],
        env={"API": runtime.base_url, "PATH": path},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return json_objects(result.stdout)


def test_the_tour_signs_up_a_tenant(tour: list[dict[str, Any]]) -> None:
    signup, tenant = tour[0], tour[1]
    assert signup["api_key"].startswith("evk_")
    assert tenant == signup["tenant"]
    assert re.fullmatch(r"volt-parking(-[0-9a-f]{4})?", tenant["slug"])


def test_the_tour_registers_a_charger_with_its_ocpp_url_and_password(
        tour: list[dict[str, Any]], runtime: RunningRuntime) -> None:
    registered = tour[2]
    slug = tour[1]["slug"]
    assert registered["ocpp_url"] == f"ws://127.0.0.1:{runtime.ws_port}/ocpp/{slug}/CP-1"
    assert 16 <= len(registered["password"]) <= 40
    shown = tour[3]
    assert shown["id"] == "CP-1" and len(shown["evses"]) == 2 and "password" not in shown
    rotated = tour[4]
    assert rotated["password"] != registered["password"]


def test_the_tour_creates_and_blocks_a_token(tour: list[dict[str, Any]]) -> None:
    assert tour[5]["uid"] == "04A2B3C4D5E6F7" and tour[5]["status"] == "ACCEPTED"
    assert tour[6]["status"] == "BLOCKED"


def test_the_tour_lists_a_page(tour: list[dict[str, Any]]) -> None:
    page = tour[7]
    assert [c["id"] for c in page["items"]] == ["CP-1"] and page["next"] is None


def test_the_tour_shows_each_error_as_the_contract_says(tour: list[dict[str, Any]]) -> None:
    errors = [o["error"] for o in tour[8:]]
    assert [e["code"] for e in errors] == [
        "unauthenticated", "read_only_key", "invalid_field", "duplicate_charger", "charger_not_found"]
    assert errors[2]["field"] == "time_zone"
    assert errors[3]["field"] == "id"
