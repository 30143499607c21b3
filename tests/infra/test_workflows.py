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
from infra.aws.stack import PROJECT_DIR, TABLE_ACTIONS, WORKFLOW_STARTERS
from infra.aws.workflows import Workflows, state_machine_arn_variable, workflow_files
from tests.infra.conftest import RECEIPT_SENDER, Synthesized
from tests.infra.test_stack import actions_of as actions
from tests.infra.test_stack import references as references_of

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
        started_by = {fid for fid, f in functions.items()
                      if state_machine_arn_variable(name) in f["Properties"]["Environment"]["Variables"]}
        assert started_by == WORKFLOW_STARTERS[name]


# -- the billing workflow, as deployed ------------------------------------------------------------------------

BILLING_ASL = PROJECT_DIR / "chalicelib" / "workflows" / "billing.asl.json"
# Its steps: @app.lambda_function(name=...) in app.py, by the logical id chalice package gives them.
BILLING_TASKS = {"BillPrice": "app.bill_price", "BillCollect": "app.bill_collect", "BillSplit": "app.bill_split",
                 "BillLedger": "app.bill_ledger", "BillReceipt": "app.bill_receipt", "BillFail": "app.bill_fail"}


def billing_machine(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, m) for k, m in synthesized.resources("AWS::StepFunctions::StateMachine").items()
                if m["Properties"]["StateMachineName"] == "evcharge-billing"]
    return found


def statements_of_role(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return [statement for policy in synthesized.resources("AWS::IAM::Policy").values()
            if policy["Properties"]["Roles"] == [{"Ref": role_id}]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]]


def role_id_of(function: dict[str, Any]) -> str:
    role: str = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def test_billing_state_machine_is_the_billing_asl_with_the_billing_functions_arns(synthesized: Synthesized) -> None:
    _, machine = billing_machine(synthesized)
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert json.loads(props["DefinitionString"]) == json.loads(BILLING_ASL.read_text())
    functions = synthesized.resources("AWS::Serverless::Function")
    assert {fid: functions[fid]["Properties"]["Handler"] for fid in BILLING_TASKS} == BILLING_TASKS
    assert props["DefinitionSubstitutions"] == {
        f"{fid}FunctionArn": {"Fn::GetAtt": [fid, "Arn"]} for fid in BILLING_TASKS}
    # What CloudFormation deploys: every task names one of the billing functions, and each is used.
    # (each substitution stands for the ARN of the function it gets the attribute of)
    deployed = substituted(props["DefinitionString"], {k: "arn-of:" + v["Fn::GetAtt"][0] for k, v in
                                                       props["DefinitionSubstitutions"].items()})
    tasks = {state_name: state["Resource"].removeprefix("arn-of:")
             for state_name, state in deployed["States"].items() if state["Type"] == "Task"}
    assert tasks == {"PriceSession": "BillPrice", "CollectPayment": "BillCollect", "SplitRevenue": "BillSplit",
                     "WriteLedger": "BillLedger", "SendReceipt": "BillReceipt", "MarkBillingFailed": "BillFail"}


def test_billing_state_machine_may_invoke_only_the_billing_functions(synthesized: Synthesized) -> None:
    _, machine = billing_machine(synthesized)
    (role_id,) = references_of(machine["Properties"]["RoleArn"])
    invoke = [s for s in statements_of_role(synthesized, role_id) if s["Action"] == "lambda:InvokeFunction"]
    (statement,) = invoke
    arns: list[Any] = [{"Fn::GetAtt": [fid, "Arn"]} for fid in sorted(BILLING_TASKS)]
    versions: list[Any] = [{"Fn::Join": ["", [arn, ":*"]]} for arn in arns]
    assert sorted(map(json.dumps, statement["Resource"])) == sorted(map(json.dumps, arns + versions))


def test_only_the_charger_handlers_and_the_rest_handler_start_billing_and_only_on_its_state_machine(
        synthesized: Synthesized) -> None:
    machine_id, _ = billing_machine(synthesized)
    functions = synthesized.resources("AWS::Serverless::Function")
    starters = {fid for fid, f in functions.items()
                if "BILLING_STATE_MACHINE_ARN" in f["Properties"]["Environment"]["Variables"]}
    assert starters == {"WebsocketConnect", "WebsocketMessage", "WebsocketDisconnect", "APIHandler"}
    for fid in starters:  # built from the name (no cycle), so it must be the machine's own name
        arn = functions[fid]["Properties"]["Environment"]["Variables"]["BILLING_STATE_MACHINE_ARN"]
        assert arn == {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                                  "evcharge-billing"}
    # The charger handlers start it when a session ends; the REST handler when an operator runs a failed
    # billing again (POST /v1/sessions/{id}/billing).
    starter_roles = {role_id_of(functions[fid]) for fid in starters}
    assert len(starter_roles) == 2
    states_statements: dict[str, list[dict[str, Any]]] = {}
    for role_id in {role_id_of(f) for f in functions.values()}:
        for statement in statements_of_role(synthesized, role_id):
            if any(a.startswith("states:") for a in actions(statement)):
                states_statements.setdefault(role_id, []).append(statement)
    assert set(states_statements) == starter_roles, "only the starters' roles may touch Step Functions"
    for starter_role in starter_roles:
        by_action = {tuple(actions(s)): s["Resource"] for s in states_statements[starter_role]}
        assert by_action == {
            ("states:StartExecution",): {"Ref": machine_id},
            ("states:DescribeExecution",): {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:"
                                                       "${AWS::AccountId}:execution:evcharge-billing:*"},
        }


def test_billing_functions_may_only_log_use_the_table_and_read_the_stripe_secret(synthesized: Synthesized) -> None:
    functions = synthesized.resources("AWS::Serverless::Function")
    (role_id,) = {role_id_of(functions[fid]) for fid in BILLING_TASKS}
    others = {role_id_of(f) for fid, f in functions.items() if fid not in BILLING_TASKS}
    assert role_id not in others, "the billing functions have a role of their own"
    granted = {action for s in statements_of_role(synthesized, role_id) for action in actions(s)}
    assert granted == {"logs:CreateLogStream", "logs:PutLogEvents", "secretsmanager:GetSecretValue",
                       "ses:SendEmail", *TABLE_ACTIONS}
    (secret_id,) = synthesized.resources("AWS::SecretsManager::Secret")
    table_id = next(k for k, t in synthesized.resources("AWS::DynamoDB::Table").items()
                    if t["Properties"]["KeySchema"][0]["AttributeName"] != "id")
    for statement in statements_of_role(synthesized, role_id):
        assert all("*" not in a for a in actions(statement))
        if "secretsmanager:GetSecretValue" in actions(statement):
            assert statement["Resource"] == {"Ref": secret_id}
        if any(a.startswith("dynamodb:") for a in actions(statement)):
            assert references_of(statement["Resource"]) == {table_id}


def test_only_the_receipt_step_emails_and_only_from_the_receipt_sender(synthesized: Synthesized) -> None:
    functions = synthesized.resources("AWS::Serverless::Function")
    senders = {fid: f["Properties"]["Environment"]["Variables"]["RECEIPT_SENDER"] for fid, f in functions.items()
               if "RECEIPT_SENDER" in f["Properties"]["Environment"]["Variables"]}
    assert senders == {"BillReceipt": RECEIPT_SENDER}
    role_id = role_id_of(functions["BillReceipt"])
    (statement,) = [s for s in statements_of_role(synthesized, role_id) if "ses:SendEmail" in actions(s)]
    assert actions(statement) == ["ses:SendEmail"]
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": RECEIPT_SENDER}}
    identities = json.dumps(statement["Resource"])
    assert ":identity/receipts@cpo.example" in identities and ":identity/cpo.example" in identities


def test_failed_billing_executions_raise_an_alarm(synthesized: Synthesized) -> None:
    machine_id, _ = billing_machine(synthesized)
    watching = []
    for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values():
        stats = [m["MetricStat"]["Metric"] for m in alarm["Properties"].get("Metrics", []) if "MetricStat" in m]
        if any(m["MetricName"] == "ExecutionsFailed" and m["Dimensions"] == [
                {"Name": "StateMachineArn", "Value": {"Ref": machine_id}}] for m in stats):
            watching.append(alarm["Properties"])
    (alarm,) = watching
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert "FILL(failed, 0)" in expression["Expression"]  # a period with no failures still evaluates
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"]
