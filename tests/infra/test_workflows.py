"""State machines from ASL files: one Standard state machine per file, function ARNs substituted, invoking only
the functions it names, and an alarm on failed executions.

The real files in chalicelib/workflows/ are checked against the synthesized stack; the mechanism is also
checked on a fixture file in a stack of its own (no Chalice), so it is tested before the first real workflow."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from infra.aws.alarms import PlatformAlarms
from infra.aws.stack import PROJECT_DIR
from infra.aws.workflows import Workflows, state_machine_arn_variable, workflow_files
from tests.infra.conftest import Synthesized

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workflows"
FUNCTION_ARNS = {
    "PriceCdr": "arn:aws:lambda:eu-west-1:111111111111:function:evcharge-PriceCdr",
    "SendReceipt": "arn:aws:lambda:eu-west-1:111111111111:function:evcharge-SendReceipt",
    "NotInTheWorkflow": "arn:aws:lambda:eu-west-1:111111111111:function:evcharge-Other",
}


def fixture_stack(directory: Path, function_arns: dict[str, str]) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "workflows")
    workflows = Workflows(stack, "Workflows", files=workflow_files(directory), stack_name="evcharge",
                          function_arns=function_arns, log_retention=logs.RetentionDays.ONE_MONTH)
    alarms = PlatformAlarms(stack, "Alarms", alarm_email=None)
    for name, machine in workflows.state_machines.items():
        alarms.failed_executions(name, machine)
    return dict(Template.from_stack(stack).to_json())


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def substituted(definition: str, substitutions: dict[str, Any]) -> Any:
    """What CloudFormation deploys: the definition with its ${...} placeholders replaced."""
    return json.loads(re.sub(r"\$\{([^}]*)\}", lambda m: str(substitutions[m.group(1)]), definition))


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return fixture_stack(FIXTURES, FUNCTION_ARNS)


def test_each_asl_file_becomes_a_standard_state_machine_with_the_files_definition(sample: dict[str, Any]) -> None:
    (machine,) = of_type(sample, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == "evcharge-sample_billing"
    assert json.loads(props["DefinitionString"]) == json.loads((FIXTURES / "sample_billing.asl.json").read_text())


def test_function_placeholders_are_substituted_with_the_functions_arns(sample: dict[str, Any]) -> None:
    (machine,) = of_type(sample, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["DefinitionSubstitutions"] == {
        "PriceCdrFunctionArn": FUNCTION_ARNS["PriceCdr"], "SendReceiptFunctionArn": FUNCTION_ARNS["SendReceipt"],
    }
    deployed = substituted(props["DefinitionString"], props["DefinitionSubstitutions"])
    assert deployed["States"]["PriceCdr"]["Resource"] == FUNCTION_ARNS["PriceCdr"]
    assert deployed["States"]["SendReceipt"]["Parameters"]["FunctionName"] == FUNCTION_ARNS["SendReceipt"]


def test_state_machine_may_invoke_only_the_functions_it_names(sample: dict[str, Any]) -> None:
    invoked = [s for policy in of_type(sample, "AWS::IAM::Policy").values()
               for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "lambda:InvokeFunction"]
    (statement,) = invoked
    named = [FUNCTION_ARNS["PriceCdr"], FUNCTION_ARNS["SendReceipt"]]
    assert sorted(statement["Resource"]) == sorted(named + [f"{arn}:*" for arn in named])


def test_failed_executions_raise_an_alarm(sample: dict[str, Any]) -> None:
    (machine_id,) = of_type(sample, "AWS::StepFunctions::StateMachine")
    (alarm,) = of_type(sample, "AWS::CloudWatch::Alarm").values()
    metrics = {m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]["Dimensions"]
               for m in alarm["Properties"]["Metrics"] if "MetricStat" in m}
    assert set(metrics) == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
    for dimensions in metrics.values():
        assert dimensions == [{"Name": "StateMachineArn", "Value": {"Ref": machine_id}}]
    assert alarm["Properties"]["AlarmActions"]


def test_a_placeholder_naming_no_function_of_the_app_fails_the_synthesis(tmp_path: Path) -> None:
    (tmp_path / "typo.asl.json").write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${PriceCDRFunctionArn}", "End": true}}}')
    with pytest.raises(ValueError, match="PriceCDR"):
        fixture_stack(tmp_path, FUNCTION_ARNS)


def test_a_placeholder_that_is_not_a_function_arn_fails_the_synthesis(tmp_path: Path) -> None:
    (tmp_path / "other.asl.json").write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${TableName}", "End": true}}}')
    with pytest.raises(ValueError, match="TableName"):
        fixture_stack(tmp_path, FUNCTION_ARNS)


def test_functions_learn_a_workflows_arn_from_an_environment_variable() -> None:
    assert state_machine_arn_variable("billing") == "BILLING_STATE_MACHINE_ARN"
    assert state_machine_arn_variable("ocpi-sync") == "OCPI_SYNC_STATE_MACHINE_ARN"


def test_the_deployed_stack_has_exactly_the_workflows_of_chalicelib(synthesized: Synthesized) -> None:
    files = {w.name: w for w in workflow_files(PROJECT_DIR / "chalicelib" / "workflows")}
    machines = synthesized.resources("AWS::StepFunctions::StateMachine")
    by_name = {m["Properties"]["StateMachineName"]: m["Properties"] for m in machines.values()}
    assert set(by_name) == {f"evcharge-{name}" for name in files}
    functions = synthesized.resources("AWS::Serverless::Function")
    for name, workflow in files.items():
        props = by_name[f"evcharge-{name}"]
        assert json.loads(props["DefinitionString"]) == json.loads(workflow.path.read_text())
        for placeholder, value in props.get("DefinitionSubstitutions", {}).items():
            function_id = placeholder.removesuffix("FunctionArn")
            assert function_id in functions
            assert value == {"Fn::GetAtt": [function_id, "Arn"]}
        for function in functions.values():
            assert state_machine_arn_variable(name) in function["Properties"]["Environment"]["Variables"]
