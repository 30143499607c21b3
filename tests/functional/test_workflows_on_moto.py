"""Workflows run from their ASL file on moto's Step Functions engine, each Lambda task by the Chalice function
it names, in this process (infra/local/workflows.py); started through WorkflowStarter, one execution a name.

The definition and its functions are fixtures (fixtures/workflows/, workflow_app.py), not chalicelib's: the
stack's tests require every placeholder in chalicelib/workflows/ to name a function of app.py."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from moto import mock_aws

from chalicelib.workflows.starter import WorkflowStarter, execution_arn
from infra.local.dynamodb import LocalDynamoDB
from infra.local.workflows import MOTO_CONFIG, LocalWorkflows, wait_for_execution
from tests.functional.workflow_app import app, create_receipts_table, receipt, recorder

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workflows"
SESSION = {"session_id": "S-1", "kwh": 10, "price_per_kwh": 35}


@dataclass
class Billing:
    """The fixture workflow deployed, and the starter functions would use."""

    client: Any
    state_machine_arn: str
    starter: WorkflowStarter
    endpoint_url: str | None = None

    def run(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.starter.start("sample_billing", name, payload)
        return self.wait(name)

    def wait(self, name: str) -> dict[str, Any]:
        return wait_for_execution(self.client, execution_arn(self.state_machine_arn, name), timeout=15)


@pytest.fixture(autouse=True)
def fresh_recorder() -> Iterator[None]:
    recorder.reset()
    yield
    recorder.gate.set()  # never leave a function waiting


@pytest.fixture
def billing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Billing]:
    with mock_aws(config=MOTO_CONFIG):
        create_receipts_table()
        with LocalWorkflows(app, workflows_dir=FIXTURES) as workflows:
            arn = workflows.state_machine_arns["sample_billing"]
            monkeypatch.setenv("SAMPLE_BILLING_STATE_MACHINE_ARN", arn)
            yield Billing(workflows.client("stepfunctions"), arn, WorkflowStarter())


def test_each_step_receives_what_the_steps_before_it_produced(billing: Billing) -> None:
    execution = billing.run("S-1", SESSION)

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"session_id": "S-1", "receipt_for": 350}
    (charged,) = recorder.of("charge")
    assert charged == {**SESSION, "priced": {"amount": 350, "function": "workflow-fixture-dev-price_session"}}
    (receipt_event,) = recorder.of("send_receipt")
    assert receipt_event["charge"] == {"captured": 350, "attempt": 1}
    assert receipt("S-1") == {"session_id": {"S": "S-1"}, "amount": {"N": "350"}}


def test_a_transient_error_is_retried_until_the_charge_succeeds(billing: Billing) -> None:
    execution = billing.run("S-1", {**SESSION, "transient_failures": 2})

    assert execution["status"] == "SUCCEEDED"
    assert len(recorder.of("charge")) == 3
    assert json.loads(execution["output"]) == {"session_id": "S-1", "receipt_for": 350}
    assert recorder.of("record_failure") == []


def test_a_declined_charge_is_not_retried_but_recorded_and_the_execution_fails(billing: Billing) -> None:
    execution = billing.run("S-1", {**SESSION, "card": "declined"})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "ChargeFailed"
    assert len(recorder.of("charge")) == 1  # the retrier is for TransientError only
    (recorded,) = recorder.of("record_failure")
    assert recorded["error"]["Error"] == "PaymentDeclined"
    assert "card declined for 350" in json.loads(recorded["error"]["Cause"])["errorMessage"]
    assert recorder.of("send_receipt") == []
    assert receipt("S-1") == {"session_id": {"S": "S-1"}, "status": {"S": "failed"},
                              "error": {"S": "PaymentDeclined"}}


def test_starting_an_ended_execution_again_runs_no_step(billing: Billing) -> None:
    assert billing.run("S-1", SESSION)["status"] == "SUCCEEDED"
    calls = list(recorder.calls)

    assert billing.starter.start("sample_billing", "S-1", SESSION) is False
    assert billing.starter.start("sample_billing", "S-1", {**SESSION, "kwh": 11}) is False
    assert recorder.calls == calls
    assert len(billing.client.list_executions(stateMachineArn=billing.state_machine_arn)["executions"]) == 1


def test_starting_a_running_execution_again_starts_nothing(billing: Billing) -> None:
    recorder.gate.clear()  # price_session waits until the test opens the gate
    assert billing.starter.start("sample_billing", "S-1", SESSION) is True

    assert billing.starter.start("sample_billing", "S-1", SESSION) is False
    assert billing.starter.start("sample_billing", "S-1", {**SESSION, "kwh": 11}) is False
    recorder.gate.set()

    assert billing.wait("S-1")["status"] == "SUCCEEDED"
    assert len(recorder.of("price_session")) == 1
    assert len(billing.client.list_executions(stateMachineArn=billing.state_machine_arn)["executions"]) == 1


def test_a_workflow_without_its_environment_variable_is_not_started(billing: Billing) -> None:
    with pytest.raises(LookupError, match="SETTLEMENT_STATE_MACHINE_ARN"):
        billing.starter.start("settlement", "S-1", SESSION)


@pytest.fixture
def billing_on_local_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Billing]:
    """As `make dev` runs it: moto's server on loopback in this process, no mock_aws; the functions reach
    DynamoDB and the starter reaches Step Functions over HTTP."""
    server = LocalDynamoDB()
    server.start()
    try:
        monkeypatch.setenv("DYNAMODB_ENDPOINT", server.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", server.url)  # boto3's own per-service endpoint variable
        create_receipts_table(server.url)
        with LocalWorkflows(app, workflows_dir=FIXTURES, endpoint_url=server.url) as workflows:
            arn = workflows.state_machine_arns["sample_billing"]
            monkeypatch.setenv("SAMPLE_BILLING_STATE_MACHINE_ARN", arn)
            yield Billing(workflows.client("stepfunctions"), arn, WorkflowStarter(), server.url)
    finally:
        requests.post(f"{server.url}/moto-api/reset", timeout=5)  # moto's backends are this process's
        server.stop()


def test_a_workflow_runs_on_the_local_moto_server_its_functions_writing_to_its_dynamodb(
        billing_on_local_server: Billing) -> None:
    billing = billing_on_local_server

    execution = billing.run("S-1", {**SESSION, "transient_failures": 1})

    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"]) == {"session_id": "S-1", "receipt_for": 350}
    assert len(recorder.of("charge")) == 2
    assert receipt("S-1", billing.endpoint_url) == {"session_id": {"S": "S-1"}, "amount": {"N": "350"}}
    assert billing.starter.start("sample_billing", "S-1", SESSION) is False
