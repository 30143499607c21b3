"""Step Functions state machines, one Standard state machine per ASL file in `chalicelib/workflows/`.

The ASL files are the single definition for AWS and the local runtime. A Lambda task names its function with
a placeholder, `${<LogicalId>FunctionArn}`, where `<LogicalId>` is the name `chalice package` gives the
function: `@app.lambda_function(name="price_cdr")` is `PriceCdr`, so the placeholder is
`${PriceCdrFunctionArn}` (infra/workflow_files.py reads the files, for this app and the local runtime alike).
Any other placeholder, or one naming no function of the app, fails the synthesis.
"""
from __future__ import annotations

from aws_cdk import Fn, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from chalicelib.workflows.starter import state_machine_arn_variable
from infra.workflow_files import FUNCTION_ARN_SUFFIX, WorkflowFile, workflow_files

__all__ = [
    "WorkflowFile", "Workflows", "execution_arns", "state_machine_arn", "state_machine_arn_variable", "workflow_files",
]


def state_machine_name(stack_name: str, workflow: str) -> str:
    return f"{stack_name}-{workflow}"


def state_machine_arn(stack_name: str, workflow: str) -> str:
    """Built from the name, not a reference: a function may start a workflow whose definition names that same
    function, and a reference would make that a dependency cycle."""
    return Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                  + state_machine_name(stack_name, workflow))


def execution_arns(stack_name: str, workflow: str) -> str:
    """Every execution of the workflow's state machine (an IAM resource pattern)."""
    return Fn.sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
                  + state_machine_name(stack_name, workflow) + ":*")


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
