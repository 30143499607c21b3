"""The README's cost tables are what infra/aws/cost.py computes, for the alarms the stack really has."""
from __future__ import annotations

import re

from infra.aws.cost import SECONDS_PER_MONTH, Prices, Workload, monthly_lines, report
from infra.aws.stack import PROJECT_DIR
from tests.infra.conftest import Synthesized


def test_readme_cost_tables_are_the_scripts_output(synthesized: Synthesized) -> None:
    alarms = len(synthesized.resources("AWS::CloudWatch::Alarm"))
    readme = (PROJECT_DIR / "README.md").read_text()
    match = re.search(r"<!-- cost:start -->\n(.*?)\n<!-- cost:end -->", readme, re.S)
    assert match, "README.md has no cost section"
    assert match.group(1) == report(alarms), f"run `python -m infra.aws.cost {alarms}` and paste its output"


def test_an_idle_connected_charger_costs_its_connection_minutes_and_heartbeats() -> None:
    idle = Workload(sessions_per_day=0, reconnects_per_day=0)
    lines = {line.item: line for line in monthly_lines(idle)}
    heartbeats = SECONDS_PER_MONTH / idle.heartbeat_interval_s
    assert lines["WebSocket connection minutes"].quantity == 30 * 24 * 60
    assert lines["WebSocket messages (each frame and its reply)"].quantity == 2 * heartbeats
    assert lines["DynamoDB writes"].quantity == heartbeats
    assert lines["DynamoDB reads"].quantity == 0


def test_cost_scales_with_prices() -> None:
    base = sum(line.monthly for line in monthly_lines())
    doubled = Prices(**{name: 2 * value for name, value in vars(Prices()).items()})
    assert abs(sum(line.monthly for line in monthly_lines(p=doubled)) - 2 * base) < 1e-12
