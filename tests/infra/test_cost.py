"""The README's cost tables are what infra/aws/cost.py computes, for the alarms the stack really has."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from infra.aws.cost import SECONDS_PER_MONTH, Prices, Workload, monthly_lines, report
from infra.aws.stack import PROJECT_DIR
from tests.infra.conftest import Synthesized


def alarm_metrics(synthesized: Synthesized) -> int:
    """What CloudWatch bills for: one per alarm on a metric, one per metric of a metric math alarm."""
    return sum(
        sum(1 for m in alarm["Properties"]["Metrics"] if "MetricStat" in m) if "Metrics" in alarm["Properties"]
        else 1
        for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values()
    )


def test_readme_cost_tables_are_the_scripts_output(synthesized: Synthesized) -> None:
    metrics = alarm_metrics(synthesized)
    readme = (PROJECT_DIR / "README.md").read_text()
    match = re.search(r"<!-- cost:start -->\n(.*?)\n<!-- cost:end -->", readme, re.S)
    assert match, "README.md has no cost section"
    assert match.group(1) == report(metrics), f"run `python -m infra.aws.cost {metrics}` and paste its output"


def test_the_scripts_default_is_the_stacks_alarm_metrics(synthesized: Synthesized) -> None:
    out = subprocess.run([sys.executable, "-m", "infra.aws.cost"], capture_output=True, text=True, check=True,
                         cwd=PROJECT_DIR)
    assert out.stdout.strip() == report(alarm_metrics(synthesized))


def test_billing_figures_are_the_billing_workflows_path_without_retries() -> None:
    """Transitions and Lambda invocations of one billed session, walked through billing.asl.json."""
    definition = json.loads((PROJECT_DIR / "chalicelib" / "workflows" / "billing.asl.json").read_text())
    states, name, path = definition["States"], definition["StartAt"], []
    while True:
        path.append(states[name])
        state = states[name]
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            break
        name = state["Default"] if state["Type"] == "Choice" else state["Next"]  # a choice: the billable branch
    w = Workload()
    assert len(path) == w.billing_transitions_per_session
    assert sum(1 for s in path if s["Type"] == "Task") == w.billing_lambda_invocations_per_session


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
