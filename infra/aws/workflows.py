"""Step Functions state machines, one Standard state machine per ASL file in `chalicelib/workflows/`.

The ASL files are the single definition for AWS and the local runtime. A Lambda task names its function with
a placeholder, `${<LogicalId>FunctionArn}`, where `<LogicalId>` is the name `chalice package` gives the
function: `@app.lambda_function(name="price_cdr")` is `PriceCdr`, so the placeholder is
`${PriceCdrFunctionArn}`. Any other placeholder, or one naming no function of the app, fails the synthesis.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Fn, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

ASL_SUFFIX = ".asl.json"
FUNCTION_ARN_SUFFIX = "FunctionArn"
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class WorkflowFile:
    """One ASL file: `billing.asl.json` is the workflow `billing`."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(ASL_SUFFIX)

    def function_ids(self) -> set[str]:
        """The logical ids of the functions the definition's placeholders name."""
        ids = set()
        for placeholder in _PLACEHOLDER.findall(self.path.read_text()):
            if not placeholder.endswith(FUNCTION_ARN_SUFFIX) or placeholder == FUNCTION_ARN_SUFFIX:
                raise ValueError(f"{self.path.name}: placeholder ${{{placeholder}}} is not "
                                 f"${{<FunctionLogicalId>{FUNCTION_ARN_SUFFIX}}}")
            ids.add(placeholder.removesuffix(FUNCTION_ARN_SUFFIX))
        return ids


def workflow_files(directory: Path) -> list[WorkflowFile]:
    return [WorkflowFile(path) for path in sorted(directory.glob(f"*{ASL_SUFFIX}"))]


def state_machine_name(stack_name: str, workflow: str) -> str:
    return f"{stack_name}-{workflow}"


def state_machine_arn(stack_name: str, workflow: str) -> str:
    """Built from the name, not a reference: a function may start a workflow whose definition names that same
    function, and a reference would make that a dependency cycle."""
    return Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                  + state_machine_name(stack_name, workflow))


def state_machine_arn_variable(workflow: str) -> str:
    """The environment variable that tells functions a workflow's ARN: `billing` -> BILLING_STATE_MACHINE_ARN."""
    return re.sub(r"\W", "_", workflow).upper() + "_STATE_MACHINE_ARN"


class Workflows(Construct):
    """A Standard state machine per ASL file, allowed to invoke only the functions its definition names."""

    def __init__(self, scope: Construct, construct_id: str, *, files: list[WorkflowFile], stack_name: str,
                 function_arns: dict[str, str], log_retention: logs.RetentionDays) -> None:
        super().__init__(scope, construct_id)
        self.state_machines: dict[str, sfn.StateMachine] = {}
        for workflow in files:
            self.state_machines[workflow.name] = self._state_machine(
                workflow, stack_name, function_arns, log_retention)

    def _state_machine(self, workflow: WorkflowFile, stack_name: str, function_arns: dict[str, str],
                       log_retention: logs.RetentionDays) -> sfn.StateMachine:
        function_ids = workflow.function_ids()
        unknown = function_ids - function_arns.keys()
        if unknown:
            raise ValueError(f"{workflow.path.name} names functions the app does not have: {sorted(unknown)}; "
                             f"the app has {sorted(function_arns)}")
        log_group = logs.LogGroup(self, f"{workflow.name}Logs", retention=log_retention,
                                  removal_policy=RemovalPolicy.DESTROY)
        machine = sfn.StateMachine(
            self, workflow.name,
            state_machine_name=state_machine_name(stack_name, workflow.name),
            state_machine_type=sfn.StateMachineType.STANDARD,
            # Inline, not an S3 asset: the template then shows the definition the ASL file holds.
            definition_body=sfn.DefinitionBody.from_string(workflow.path.read_text()),
            definition_substitutions={f"{fid}{FUNCTION_ARN_SUFFIX}": function_arns[fid] for fid in function_ids},
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ERROR),
        )
        if function_ids:
            arns = [function_arns[fid] for fid in sorted(function_ids)]
            machine.add_to_role_policy(iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=arns + [f"{arn}:*" for arn in arns],  # and their versions and aliases
            ))
        return machine
