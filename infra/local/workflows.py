"""The workflows of `chalicelib/workflows/` on moto's Step Functions engine, their Lambda tasks run in-process
by the Chalice app's `@app.lambda_function` functions.

One moto Lambda function per `@app.lambda_function(name=...)` (named `{app}-{stage}-{name}`, as Chalice
names it), one Standard state machine per ASL file (`billing.asl.json` -> `billing`, named `{app}-billing`),
its `${<LogicalId>FunctionArn}` placeholders replaced by those functions' ARNs (infra/workflow_files.py, the
same reading as the CDK app's). moto's simple Lambda backend (`"lambda": {"use_docker": False}`) normally
echoes the payload; while a LocalWorkflows is started, its invoke runs the Chalice function instead, in this
process, with the JSON payload and a chalice.local.LambdaContext, and answers its JSON result. An exception
becomes what Lambda answers for an unhandled error (X-Amz-Function-Error: Unhandled, payload
{"errorType": <exception class name>, "errorMessage", "stackTrace"}); moto's engine names the task's error by
errorType, so `"ErrorEquals": ["TransientError"]` matches `raise TransientError(...)`, and `States.ALL` and
`States.TaskFailed` match too.

What moto 5.2.5 does, measured (tests/functional/test_workflows_on_moto.py; Python 3.11):

- Executions run asynchronously: StartExecution returns at once (about 10 ms) and the execution goes on in a
  daemon thread of its own. A test waits with `wait_for_execution(client, arn, timeout)`, which polls
  DescribeExecution until the status is no longer RUNNING. The threads run the functions, so a function that
  blocks holds only its execution.
- Retry is honoured with real sleeps (`time.sleep` in moto's retrier): IntervalSeconds, BackoffRate,
  MaxAttempts, MaxDelaySeconds and JitterStrategy. IntervalSeconds 1, BackoffRate 2, no jitter: the retries
  came 1.26 s and 2.01 s after the failures (3.3 s for two retries). With "JitterStrategy": "FULL" each wait
  is uniform in [0, interval]: measured 0.07-0.64 s then 0.83-1.86 s. IntervalSeconds must be an integer >= 1
  (ASL; moto rejects 0 and fractions), so 1 s is the shortest first wait.
- Catch works (ErrorEquals by name, States.ALL, States.TaskFailed), with ResultPath: `"ResultPath": "$.error"`
  puts {"Error": "<errorType>", "Cause": "<the Lambda error payload as JSON>"} beside the input. ResultPath on
  a Task keeps the input and adds the result. A Fail state ends the execution FAILED with its Error and Cause.
- `"Resource": "${XFunctionArn}"` (the function ARN itself) gives the next state the function's result as it
  is. `"Resource": "arn:aws:states:::lambda:invoke"` with `"Parameters": {"FunctionName": "${XFunctionArn}",
  "Payload.$": "$"}` wraps it: moto gives {"StatusCode": 200, "Payload": <result>}; AWS adds ExecutedVersion,
  SdkHttpMetadata and SdkResponseMetadata, so a definition must select `$.Payload` (ResultSelector or
  OutputPath). Both forms are valid ASL for CloudFormation/CDK, both name errors by errorType on both, and
  the placeholder is substituted the same way. Use the direct form: the file then reads the same on AWS and
  moto with no Payload unwrapping. (lambda:invoke only matters for its extras: payload templates, a qualifier,
  or the Lambda.* service errors AWS recommends retrying.)
- StartExecution with the name of an existing execution: same name and same input while it is RUNNING returns
  that execution (nothing starts); an ended execution's name, or a different input, raises
  ExecutionAlreadyExists. That is what AWS documents for Standard workflows. StartExecution without a name
  is broken on moto's engine (every unnamed execution is named "None", so the second one fails): always pass
  a name (WorkflowStarter does).
- Recommended retry for transient errors: `{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1,
  "BackoffRate": 2, "MaxAttempts": 3, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}`: real exponential
  backoff with jitter on AWS (waits up to 1, 2, 4 s), and about 1.5 s on average for two retries in a test.
  Tests should fail deterministically with a non-retried error where they test the Catch path.
- Against moto's server (the local runtime, infra/local/dynamodb.py), the engine invokes Lambda over HTTP at
  http://localhost:$MOTO_PORT, never through the caller's endpoint; the server sets MOTO_PORT and serves
  Lambda invokes outside its one-request-at-a-time lock, so a function can call DynamoDB on the same server.
"""
from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from infra.workflow_files import function_logical_id, workflow_files

PROJECT_DIR = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = PROJECT_DIR / "chalicelib" / "workflows"
_ROLE_NAME = "local-workflows"
_ASSUME_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                   "Action": "sts:AssumeRole"}],
}
_LOG = logging.getLogger("evcharge.local.workflows")

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class _Target:
    """A Chalice function standing in for a moto Lambda function."""

    name: str
    handler: Handler
    memory_mb: int
    timeout_s: int

    def invoke(self, body: str | bytes | None, response_headers: dict[str, str]) -> bytes:
        from chalice.local import LambdaContext

        event = json.loads(body) if body else {}
        context = LambdaContext(self.name, self.memory_mb, max_runtime_ms=self.timeout_s * 1000)
        try:
            result = self.handler(event, context)
        except Exception as error:
            # What Lambda answers for an unhandled exception: Step Functions names the error by errorType,
            # so `"ErrorEquals": ["TransientError"]` matches `raise TransientError(...)`.
            _LOG.info("function %s raised %s: %s", self.name, type(error).__name__, error)
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__.tb_next if error.__traceback__ else None),
            }).encode()
        return json.dumps(result).encode()


class _InProcessLambda:
    """moto's simple Lambda backend (`use_docker: False`), its invoke routed to Python functions.

    Installed while at least one user holds it (counted), for the functions registered by (account, region,
    function name); any other function keeps moto's own behaviour (it echoes the payload)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._original: Any = None
        self._targets: dict[tuple[str, str, str], _Target] = {}

    def install(self) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        with self._lock:
            if self._users == 0:
                self._original = LambdaSimpleBackend.invoke
                setattr(LambdaSimpleBackend, "invoke", self._patched_invoke())  # noqa: B010 (mypy: no method assignment)
            self._users += 1

    def uninstall(self) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        with self._lock:
            self._users -= 1
            if self._users == 0:
                setattr(LambdaSimpleBackend, "invoke", self._original)  # noqa: B010
                self._original = None

    def register(self, key: tuple[str, str, str], target: _Target) -> None:
        with self._lock:
            self._targets[key] = target

    def unregister(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._targets.pop(key, None)

    def _target(self, key: tuple[str, str, str]) -> _Target | None:
        with self._lock:
            return self._targets.get(key)

    def _patched_invoke(self) -> Callable[..., str | bytes | None]:
        original = self._original

        def invoke(backend: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,
                   response_headers: Any) -> str | bytes | None:
            fn = backend.get_function(function_name, qualifier)
            target = self._target((fn.account_id, fn.region, fn.function_name))
            if target is None:
                return original(backend, function_name, qualifier, body, headers, response_headers)  # type: ignore[no-any-return]
            return target.invoke(body, response_headers)

        return invoke


_IN_PROCESS = _InProcessLambda()


def _deployment_package() -> bytes:
    """A zip for moto's CreateFunction, which wants one; the code that runs is the Chalice app's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# runs in-process, see infra/local/workflows.py\n")
    return buffer.getvalue()


class LocalWorkflows:
    """Deploys the app's functions and the workflows on moto, and runs the functions in-process, from start()
    to stop() (or as a context manager).

    Works wherever boto3 reaches moto: under `mock_aws(config=MOTO_CONFIG)`, or against a moto server
    (`endpoint_url`) that runs in this process with the same configuration (infra/local/dynamodb.py)."""

    def __init__(self, chalice_app: Any, *, workflows_dir: Path = WORKFLOWS_DIR, region: str | None = None,
                 endpoint_url: str | None = None, stage: str = "dev", memory_mb: int = 512,
                 timeout_s: int = 60) -> None:
        self._app = chalice_app
        self._workflows_dir = workflows_dir
        self._region = region or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
        self._endpoint_url = endpoint_url
        self._stage = stage
        self._memory_mb = memory_mb
        self._timeout_s = timeout_s
        self._registered: list[tuple[str, str, str]] = []
        self._installed = False
        self.state_machine_arns: dict[str, str] = {}
        self.function_arns: dict[str, str] = {}  # by logical id, as the placeholders name them

    def client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session().client(service, region_name=self._region, endpoint_url=self._endpoint_url)

    def start(self) -> dict[str, str]:
        """Create the functions and the state machines; the state machine ARN of each workflow, by name."""
        _IN_PROCESS.install()
        self._installed = True
        try:
            self.function_arns = self._create_functions()
            self.state_machine_arns = self._create_state_machines()
        except BaseException:
            self.stop()
            raise
        return dict(self.state_machine_arns)

    def stop(self) -> None:
        for key in self._registered:
            _IN_PROCESS.unregister(key)
        self._registered.clear()
        if self._installed:
            self._installed = False
            _IN_PROCESS.uninstall()

    def __enter__(self) -> LocalWorkflows:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _role_arn(self) -> str:
        iam = self.client("iam")
        try:
            return str(iam.get_role(RoleName=_ROLE_NAME)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            return str(iam.create_role(RoleName=_ROLE_NAME,
                                       AssumeRolePolicyDocument=json.dumps(_ASSUME_ROLE))["Role"]["Arn"])

    def _create_functions(self) -> dict[str, str]:
        role_arn = self._role_arn()
        lambda_client = self.client("lambda")
        package = _deployment_package()
        arns = {}
        for function in self._app.pure_lambda_functions:
            # Named as Chalice names a deployed function: {app}-{stage}-{name}.
            reply = lambda_client.create_function(
                FunctionName=f"{self._app.app_name}-{self._stage}-{function.name}", Runtime="python3.11",
                Role=role_arn, Handler=function.handler_string, Code={"ZipFile": package},
                MemorySize=self._memory_mb, Timeout=self._timeout_s,
            )
            arn = reply["FunctionArn"]
            _, _, _, region, account, _, function_name = arn.split(":")[:7]
            key = (account, region, function_name)
            _IN_PROCESS.register(key, _Target(function_name, function.func, self._memory_mb, self._timeout_s))
            self._registered.append(key)
            arns[function_logical_id(function.name)] = arn
        return arns

    def _create_state_machines(self) -> dict[str, str]:
        role_arn = self._role_arn()
        sfn = self.client("stepfunctions")
        arns = {}
        for workflow in workflow_files(self._workflows_dir):
            reply = sfn.create_state_machine(
                name=f"{self._app.app_name}-{workflow.name}", definition=workflow.definition(self.function_arns),
                roleArn=role_arn, type="STANDARD",
            )
            arns[workflow.name] = reply["stateMachineArn"]
        return arns


@contextmanager
def deployed_workflows(chalice_app: Any, **options: Any) -> Iterator[dict[str, str]]:
    """The workflows deployed on moto (see LocalWorkflows), their functions run in-process until the end."""
    with LocalWorkflows(chalice_app, **options) as workflows:
        yield dict(workflows.state_machine_arns)


def deploy_workflows(chalice_app: Any, **options: Any) -> dict[str, str]:
    """LocalWorkflows(...).start() for a caller that never stops it (the functions then run in-process as
    long as the process lives)."""
    return LocalWorkflows(chalice_app, **options).start()


# What moto needs to run executions and to invoke functions without Docker (`mock_aws(config=MOTO_CONFIG)`).
MOTO_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def wait_for_execution(client: Any, execution_arn: str, timeout: float = 10.0,
                       interval: float = 0.02) -> dict[str, Any]:
    """describe_execution once the execution has ended (moto runs it on a thread of its own)."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = client.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still RUNNING after {timeout}s")
        time.sleep(interval)
