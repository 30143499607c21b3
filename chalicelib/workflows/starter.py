"""Starting a workflow from a function: one execution per name, whoever asks and however often.

The state machine's ARN comes from the environment (`billing` -> BILLING_STATE_MACHINE_ARN), as the CDK app
sets it on every function. boto3 is imported on the first start, not at cold start.

What Step Functions does with a name it has seen (Standard workflows; moto 5.2.5 does the same): a
StartExecution with the name of an execution that has ended, or with another input, fails with
ExecutionAlreadyExists; with the same name and the same input while that execution is still RUNNING it
succeeds and answers with the running execution, starting nothing. So no call ever makes a second execution
of a name, but that last case cannot be told from a real start by its answer. `start` therefore asks first
whether the execution exists (DescribeExecution on the ARN the name gives) and returns False if it does; only
two starts of the same name racing each other can then both return True, and even they make one execution.
"""
from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from typing import Any


def state_machine_arn_variable(workflow: str) -> str:
    """The environment variable that tells functions a workflow's ARN: `billing` -> BILLING_STATE_MACHINE_ARN."""
    return re.sub(r"\W", "_", workflow).upper() + "_STATE_MACHINE_ARN"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives a Standard execution of that name."""
    prefix, separator, machine = state_machine_arn.partition(":stateMachine:")
    if not separator:
        raise ValueError(f"not a state machine ARN: {state_machine_arn}")
    return f"{prefix}:execution:{machine}:{name}"


class WorkflowStarter:
    def __init__(self, client: Any = None, environ: Mapping[str, str] | None = None) -> None:
        self._client = client
        self._environ = os.environ if environ is None else environ
        self._client_lock = threading.Lock()

    def _stepfunctions(self) -> Any:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import boto3

                    self._client = boto3.client("stepfunctions")
        return self._client

    def state_machine_arn(self, workflow: str) -> str:
        variable = state_machine_arn_variable(workflow)
        try:
            return self._environ[variable]
        except KeyError:
            raise LookupError(f"workflow {workflow!r}: {variable} is not set") from None

    def start(self, workflow: str, name: str, payload: dict[str, Any]) -> bool:
        """Start `workflow`'s execution `name` with `payload` as its input; False if that execution exists."""
        machine = self.state_machine_arn(workflow)
        client = self._stepfunctions()
        try:
            client.describe_execution(executionArn=execution_arn(machine, name))
            return False
        except client.exceptions.ExecutionDoesNotExist:
            pass
        try:
            client.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))
        except client.exceptions.ExecutionAlreadyExists:
            return False
        return True
