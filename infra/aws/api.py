"""The Chalice app deployed through `chalice.cdk`: its Lambda functions, the REST API and the WebSocket API.

`chalice package` builds the SAM template and the code (the app zip and a layer of the runtime requirements,
downloaded as arm64 manylinux wheels). Chalice keeps the layer in `.chalice/deployments/`, keyed by a hash of
requirements.txt, so only the first synthesis after a requirements change downloads anything.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from chalice.cdk import Chalice
from constructs import Construct

from infra.aws.gateway_responses import OPENAPI_EXTENSION, gateway_responses

API_STAGE = "api"
FUNCTION_TYPE = "AWS::Serverless::Function"
# Logical ids `chalice package` gives the REST API, its handler and the WebSocket API.
REST_API_ID = "RestAPI"
REST_HANDLER_ID = "APIHandler"
WEBSOCKET_API_ID = "WebsocketAPI"
# Logical ids of the WebSocket handlers ($connect, $default, $disconnect).
WEBSOCKET_HANDLER_IDS = frozenset({"WebsocketConnect", "WebsocketMessage", "WebsocketDisconnect"})


def chalice_stage(project_dir: Path, *, role_arn: str, environment: dict[str, str]) -> dict[str, Any]:
    """The deployed stage: the `dev` stage of .chalice/config.json (memory, timeout, logging), on arm64, with a
    role this stack owns instead of Chalice's generated one, and the stack's resources in the environment.

    Log retention is not Chalice's: with a REST API, `chalice package` 1.34 names the handler's log group after
    `ApiHandler` while the function is `APIHandler`, so the template does not resolve."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    stage: dict[str, Any] = dict(config["stages"]["dev"])
    stage.update(
        api_gateway_stage=API_STAGE,
        lambda_architecture="arm64",
        manage_iam_role=False,
        iam_role_arn=role_arn,
        autogen_policy=False,
        environment_variables={**stage.get("environment_variables", {}), **environment},
    )
    return stage


def _execute_api_domain(logical_id: str, api: CfnResource) -> str:
    return Fn.sub(f"${{{logical_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}", {logical_id: api.ref})


class PlatformApi(Construct):
    """The Chalice app with its execution roles. Grants are added to the roles by whoever owns the resource.

    `role_groups` gives some functions a role of their own (group name -> logical ids of its functions);
    every other function runs with `role`."""

    def __init__(self, scope: Construct, construct_id: str, *, project_dir: Path, log_retention: logs.RetentionDays,
                 environment: dict[str, str], role_groups: Mapping[str, Collection[str]] | None = None) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self, "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="The platform's Lambda functions: only the grants the stack adds",
        )
        # In the stack's scope, not this construct's: Chalice names the stage and the layer after its scope's
        # path, and a layer name may not contain the path's "/".
        self.app = Chalice(
            Stack.of(self), f"{construct_id}Chalice", source_dir=str(project_dir),
            stage_config=chalice_stage(project_dir, role_arn=self.role.role_arn, environment=environment),
        )
        self._resources: dict[str, CfnResource] = {
            child.node.id: child for child in self.app.sam_template.node.children if isinstance(child, CfnResource)
        }
        if WEBSOCKET_API_ID not in self._resources:
            raise ValueError("app.py has no WebSocket handlers (@app.on_ws_connect/_message/_disconnect), "
                             "so there is no WebSocket API for chargers")
        self.rest_api.add_property_override(f"DefinitionBody.{OPENAPI_EXTENSION}", gateway_responses())
        self.roles: dict[str, iam.Role] = {}
        self._role_of: dict[str, iam.Role] = {}
        for group, logical_ids in (role_groups or {}).items():
            if logical_ids:
                self._own_role(group, frozenset(logical_ids))
        for logical_id, function in self.functions.items():
            self._log_to_own_group(logical_id, function, log_retention)

    def _own_role(self, group: str, logical_ids: frozenset[str]) -> None:
        unknown = logical_ids - self.functions.keys()
        if unknown:
            raise ValueError(f"role {group}: the app has no functions {sorted(unknown)}")
        taken = logical_ids & self._role_of.keys()
        if taken:
            raise ValueError(f"role {group}: functions {sorted(taken)} already have a role")
        role = iam.Role(
            self, f"{group}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"The platform's {group} functions: only the grants the stack adds",
        )
        self.roles[group] = role
        for logical_id in logical_ids:
            self.functions[logical_id].add_property_override("Role", role.role_arn)
            self._role_of[logical_id] = role

    def role_of(self, logical_id: str) -> iam.Role:
        """The role the function runs with."""
        return self._role_of.get(logical_id, self.role)

    @property
    def all_roles(self) -> list[iam.Role]:
        return [self.role, *self.roles.values()]

    def _of_type(self, resource_type: str) -> dict[str, CfnResource]:
        return {name: r for name, r in self._resources.items() if r.cfn_resource_type == resource_type}

    @property
    def functions(self) -> dict[str, CfnResource]:
        """Every Lambda function of the app, by the logical id `chalice package` gave it."""
        return self._of_type(FUNCTION_TYPE)

    @property
    def rest_api(self) -> CfnResource:
        return self._resources[REST_API_ID]

    @property
    def websocket_api(self) -> CfnResource:
        return self._resources[WEBSOCKET_API_ID]

    def function_arn(self, logical_id: str) -> str:
        return self.functions[logical_id].get_att("Arn").to_string()

    def rest_url(self) -> str:
        return Fn.join("", ["https://", _execute_api_domain(REST_API_ID, self.rest_api), f"/{API_STAGE}"])

    def websocket_origin_domain(self) -> str:
        return _execute_api_domain(WEBSOCKET_API_ID, self.websocket_api)

    def websocket_management_url(self) -> str:
        """The `@connections` endpoint. Only the WebSocket API's id is referenced, not its routes or integrations,
        so functions can carry it in their environment without a dependency cycle."""
        return Fn.join("", ["https://", self.websocket_origin_domain(), f"/{API_STAGE}"])

    def connections_arn(self) -> str:
        """Every connection of the WebSocket API's stage, for every management method (POST, GET, DELETE)."""
        return Fn.sub(
            f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{WEBSOCKET_API_ID}}}"
            f"/{API_STAGE}/*/@connections/*",
            {WEBSOCKET_API_ID: self.websocket_api.ref},
        )

    def set_environment(self, key: str, value: str, *, except_functions: Collection[str] = frozenset(),
                        only: Collection[str] | None = None) -> None:
        """One environment variable on every function (or on those in `only`) but those in `except_functions`
        (whose value would be a dependency cycle)."""
        for logical_id in self.functions:
            if logical_id not in except_functions and (only is None or logical_id in only):
                self.app.add_environment_variable(key, value, logical_id)

    def _log_to_own_group(self, logical_id: str, function: CfnResource, retention: logs.RetentionDays) -> None:
        """A log group per function, with retention, created before the function (so Lambda never creates one
        without retention first), and the only place the role may write logs to."""
        group = logs.LogGroup(self, f"{logical_id}Logs", retention=retention, removal_policy=RemovalPolicy.DESTROY)
        function.add_property_override("LoggingConfig", {"LogGroup": group.log_group_name, "LogFormat": "Text"})
        group.grant_write(self.role_of(logical_id))
