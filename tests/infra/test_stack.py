"""What the synthesized stack promises: the shape the code and the local runtime assume, least privilege, alarms."""
from __future__ import annotations

import graphlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from chalicelib.store.idempotency import idempotency_table_schema
from chalicelib.store.table import table_schema
from infra.aws.edge import REWRITE_FUNCTION_FILE
from infra.aws.gateway_responses import ROUTE_NOT_FOUND_MESSAGE
from infra.aws.options import DeploymentOptions
from infra.aws.stack import IDEMPOTENCY_ACTIONS, TABLE_ACTIONS
from tests.infra.conftest import Synthesized

# Managed CloudFront policies (ids are fixed by AWS).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
WEBSOCKET_HANDLERS = {"$connect": "WebsocketConnect", "$default": "WebsocketMessage",
                      "$disconnect": "WebsocketDisconnect"}


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> Template:
    return Template.from_json(synthesized.template)


def functions(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return synthesized.resources("AWS::Serverless::Function")


def the_table(synthesized: Synthesized, key_name: str) -> tuple[str, dict[str, Any]]:
    """The table whose partition key is `key_name`."""
    for name, table in synthesized.resources("AWS::DynamoDB::Table").items():
        if table["Properties"]["KeySchema"][0]["AttributeName"] == key_name:
            return name, table
    raise AssertionError(f"no table keyed by {key_name}")


def references(node: Any) -> set[str]:
    """Logical ids a template fragment depends on: Ref, Fn::GetAtt and the variables of Fn::Sub (not the
    pseudo parameters, AWS::Region and the like)."""
    return {name for name in _names_used(node) if not name.startswith("AWS::")}


def _names_used(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= _names_used(variables)
            else:
                found |= _names_used(value)
    elif isinstance(node, list):
        for item in node:
            found |= _names_used(item)
    return found


def iam_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every identity policy in the template (managed, inline on roles, or SAM's)."""
    statements = []
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        documents = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(props["PolicyDocument"])
        documents += [p["PolicyDocument"] for p in props.get("Policies", []) if isinstance(p, dict)
                      and "PolicyDocument" in p]
        for document in documents:
            statements += document["Statement"]
    return statements


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


# -- the WebSocket API --------------------------------------------------------------------------------

def test_websocket_api_routes_connect_default_and_disconnect_to_their_handlers(synthesized: Synthesized) -> None:
    routes = synthesized.resources("AWS::ApiGatewayV2::Route")
    integrations = synthesized.resources("AWS::ApiGatewayV2::Integration")
    targets = {}
    for route in routes.values():
        (integration_id,) = references(route["Properties"]["Target"])
        targets[route["Properties"]["RouteKey"]] = references(integrations[integration_id]["Properties"])
    assert set(targets) == set(WEBSOCKET_HANDLERS)
    for route_key, handler in WEBSOCKET_HANDLERS.items():
        assert handler in targets[route_key], route_key


def test_websocket_api_is_a_websocket_api_on_the_api_stage(template: Template) -> None:
    template.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "WEBSOCKET"})
    template.has_resource_properties("AWS::ApiGatewayV2::Stage", {"StageName": "api"})


# -- tables ---------------------------------------------------------------------------------------------

def test_table_keys_and_index_are_the_codes_own_definition(synthesized: Synthesized) -> None:
    schema = table_schema()
    _, table = the_table(synthesized, schema["key_schema"][0]["AttributeName"])
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]}
                                  for k in schema["key_schema"]]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(schema["attribute_definitions"], key=str)
    assert [
        (gsi["IndexName"], gsi["KeySchema"], gsi["Projection"]) for gsi in props["GlobalSecondaryIndexes"]
    ] == [
        (gsi["index_name"], [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in gsi["key_schema"]],
         gsi["projection"])
        for gsi in schema["global_secondary_indexes"]
    ]


def test_table_is_on_demand_with_point_in_time_recovery_and_ttl_and_outlives_the_stack(
        synthesized: Synthesized) -> None:
    _, table = the_table(synthesized, table_schema()["key_schema"][0]["AttributeName"])
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": table_schema()["ttl_attribute"], "Enabled": True}
    assert table["DeletionPolicy"] == "Retain"


def test_idempotency_table_is_the_codes_own_definition(synthesized: Synthesized) -> None:
    schema = idempotency_table_schema()
    _, table = the_table(synthesized, "id")
    props = table["Properties"]
    assert props["KeySchema"] == schema["key_schema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == schema["attribute_definitions"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": schema["ttl_attribute"], "Enabled": True}


# -- functions --------------------------------------------------------------------------------------------

def test_every_function_and_the_layer_are_arm64(synthesized: Synthesized) -> None:
    assert set(WEBSOCKET_HANDLERS.values()) | {"APIHandler"} <= set(functions(synthesized))
    for name, function in functions(synthesized).items():
        assert function["Properties"]["Architectures"] == ["arm64"], name
    _, layer = synthesized.one("AWS::Serverless::LayerVersion")
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,140}", layer["Properties"]["LayerName"])


def test_layer_holds_only_arm64_extension_modules(synthesized: Synthesized) -> None:
    _, layer = synthesized.one("AWS::Serverless::LayerVersion")
    asset = synthesized.path.parent / f"asset.{layer['Properties']['ContentUri']['Key']}"
    with zipfile.ZipFile(asset) as archive:
        extensions = [name for name in archive.namelist() if name.endswith(".so")]
    assert extensions, "the runtime requirements have compiled modules (pydantic-core), so the layer should too"
    assert all("aarch64" in name for name in extensions), extensions


def test_functions_find_the_stacks_resources_in_their_environment(synthesized: Synthesized) -> None:
    table_id, _ = the_table(synthesized, table_schema()["key_schema"][0]["AttributeName"])
    idempotency_id, _ = the_table(synthesized, "id")
    secret_id, _ = synthesized.one("AWS::SecretsManager::Secret")
    distribution_id, _ = synthesized.one("AWS::CloudFront::Distribution")
    for name, function in functions(synthesized).items():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["TABLE_NAME"] == {"Ref": table_id}, name
        assert env["IDEMPOTENCY_TABLE_NAME"] == {"Ref": idempotency_id}, name
        assert env["STRIPE_SECRET_ARN"] == {"Ref": secret_id}, name
        assert env["POWERTOOLS_SERVICE_NAME"] == "evcharge"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "evcharge"
        assert env["OCPP_BASE_URL"] == {"Fn::Join": ["", ["wss://", {"Fn::GetAtt": [distribution_id, "DomainName"]},
                                                          "/ocpp"]]}, name
        assert references(env["WS_MANAGEMENT_URL"]) == {"WebsocketAPI"}, name
        if name == "APIHandler":  # its own API's URL would be a dependency cycle (README)
            assert "PUBLIC_BASE_URL" not in env
        else:
            assert references(env["PUBLIC_BASE_URL"]) == {"RestAPI"}, name


def test_every_function_logs_to_its_own_group_with_retention(synthesized: Synthesized) -> None:
    groups = synthesized.resources("AWS::Logs::LogGroup")
    used = []
    for name, function in functions(synthesized).items():
        (group_id,) = references(function["Properties"]["LoggingConfig"]["LogGroup"])
        assert groups[group_id]["Properties"]["RetentionInDays"] == 30, name
        used.append(group_id)
    assert len(set(used)) == len(used)


def test_the_template_has_no_dependency_cycle(synthesized: Synthesized) -> None:
    """cfn-lint does not look inside SAM resources' properties (the REST API's definition references its
    handler), so cycles through them are checked here."""
    resources = synthesized.template["Resources"]
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        graph[name] = (references(resource.get("Properties", {})) | set(depends_on)) & resources.keys()
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as cycle:
        pytest.fail(f"dependency cycle: {cycle.args[1]}")


# -- least privilege ----------------------------------------------------------------------------------------

def test_no_iam_statement_grants_a_wildcard_action(synthesized: Synthesized) -> None:
    statements = iam_statements(synthesized.template)
    assert statements
    for statement in statements:
        for action in actions_of(statement):
            assert "*" not in action, statement


def test_table_statements_grant_only_item_actions_on_the_tables_and_their_indexes(synthesized: Synthesized) -> None:
    table_ids = set(synthesized.resources("AWS::DynamoDB::Table"))
    granted: dict[str, set[str]] = {}
    for statement in iam_statements(synthesized.template):
        if any(action.startswith("dynamodb:") for action in actions_of(statement)):
            (table_id,) = references(statement["Resource"])
            assert table_id in table_ids
            granted.setdefault(table_id, set()).update(actions_of(statement))
    main_id, _ = the_table(synthesized, table_schema()["key_schema"][0]["AttributeName"])
    idempotency_id, _ = the_table(synthesized, "id")
    assert granted == {main_id: set(TABLE_ACTIONS), idempotency_id: set(IDEMPOTENCY_ACTIONS)}
    assert "dynamodb:Scan" not in granted[main_id]


def test_function_role_may_manage_only_the_websocket_apis_connections_and_read_only_the_stripe_secret(
        synthesized: Synthesized) -> None:
    by_action: dict[str, list[dict[str, Any]]] = {}
    for statement in iam_statements(synthesized.template):
        for action in actions_of(statement):
            by_action.setdefault(action, []).append(statement)
    assert len(by_action["execute-api:ManageConnections"]) == 2  # the REST handler's and the chargers' roles
    for manage in by_action["execute-api:ManageConnections"]:
        assert references(manage["Resource"]) == {"WebsocketAPI"}
        assert manage["Resource"]["Fn::Sub"][0].endswith(":${WebsocketAPI}/api/*/@connections/*")
    assert len(by_action["secretsmanager:GetSecretValue"]) == 3  # every role: each may take payments
    for secret in by_action["secretsmanager:GetSecretValue"]:
        assert actions_of(secret) == ["secretsmanager:GetSecretValue"]
        assert secret["Resource"] == {"Ref": synthesized.one("AWS::SecretsManager::Secret")[0]}


def test_functions_run_with_the_stacks_roles_not_generated_ones(synthesized: Synthesized) -> None:
    """Three roles: the REST handler's (shared by the payment sweep, which needs the same grants: the table,
    the Stripe keys, a stop sent to a charger), the charger handlers' and the workflow tasks'; only the
    stack's grants."""
    roles = synthesized.resources("AWS::IAM::Role")
    role_of = {name: references(f["Properties"]["Role"]).pop() for name, f in functions(synthesized).items()}
    groups: dict[str, set[str]] = {}
    for name, role_id in role_of.items():
        groups.setdefault(role_id, set()).add(name)
    assert sorted(groups.values(), key=sorted) == sorted([
        {"APIHandler", "SweepPayments"}, set(WEBSOCKET_HANDLERS.values()),
        {"BillPrice", "BillCollect", "BillSplit", "BillLedger", "BillReceipt", "BillFail"},
    ], key=sorted)
    for role_id in groups:
        assert "Policies" not in roles[role_id]["Properties"]
        assert "ManagedPolicyArns" not in roles[role_id]["Properties"]
        assert roles[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [{
            "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]


def test_the_rest_handler_does_not_use_the_idempotency_table(synthesized: Synthesized) -> None:
    role_id = references(functions(synthesized)["APIHandler"]["Properties"]["Role"]).pop()
    idempotency_id, _ = the_table(synthesized, "id")
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        if policy["Properties"]["Roles"] == [{"Ref": role_id}]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert idempotency_id not in references(statement["Resource"]), statement


# -- CloudFront ---------------------------------------------------------------------------------------------

def test_cloudfront_function_is_the_rewrite_file_on_viewer_requests(synthesized: Synthesized) -> None:
    function_id, function = synthesized.one("AWS::CloudFront::Function")
    assert function["Properties"]["FunctionCode"] == REWRITE_FUNCTION_FILE.read_text()
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    _, distribution = synthesized.one("AWS::CloudFront::Distribution")
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}},
    ]
    assert "CacheBehaviors" not in distribution["Properties"]["DistributionConfig"]


def test_cloudfront_forwards_every_viewer_header_but_host_and_caches_nothing(synthesized: Synthesized) -> None:
    _, distribution = synthesized.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    (origin,) = config["Origins"]
    assert origin["OriginPath"] == "/api"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["DomainName"] == {"Fn::Sub": ["${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
                                                {"WebsocketAPI": {"Ref": "WebsocketAPI"}}]}


# -- REST API gateway responses ----------------------------------------------------------------------------

def gateway_responses_of(synthesized: Synthesized) -> dict[str, Any]:
    """The gateway responses in the REST API's OpenAPI definition, where API Gateway reads them."""
    definition = synthesized.template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses: dict[str, Any] = definition["x-amazon-apigateway-gateway-responses"]
    return responses


def test_unknown_rest_routes_answer_404_route_not_found_without_echoing_the_request(
        synthesized: Synthesized) -> None:
    responses = gateway_responses_of(synthesized)
    for response_type in ("MISSING_AUTHENTICATION_TOKEN", "INCOMPLETE_SIGNATURE"):
        response = responses[response_type]
        assert response["statusCode"] == "404"
        assert json.loads(response["responseTemplates"]["application/json"]) == {
            "error": {"code": "route_not_found", "message": ROUTE_NOT_FOUND_MESSAGE},
        }
    assert "$" not in json.dumps(responses), "a $context value could echo the request"


def test_gateway_defaults_answer_in_the_contracts_error_shape(synthesized: Synthesized) -> None:
    responses = gateway_responses_of(synthesized)
    for response_type in ("DEFAULT_4XX", "DEFAULT_5XX"):
        body = json.loads(responses[response_type]["responseTemplates"]["application/json"])
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message"}
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", body["error"]["code"])
        assert "statusCode" not in responses[response_type]  # keeps the status API Gateway chose


# -- Stripe, alarms, outputs ---------------------------------------------------------------------------------

def test_stripe_secret_starts_with_empty_keys(synthesized: Synthesized) -> None:
    _, secret = synthesized.one("AWS::SecretsManager::Secret")
    assert json.loads(secret["Properties"]["SecretString"]) == {"secret_key": "", "webhook_secret": ""}


def test_functions_know_the_platform_fee(synthesized: Synthesized) -> None:
    for name, function in functions(synthesized).items():
        assert function["Properties"]["Environment"]["Variables"]["PLATFORM_FEE_BPS"] == "500", name


def test_platform_fee_is_a_context_value_in_basis_points() -> None:
    assert DeploymentOptions.from_context(Context({})).platform_fee_bps == 500
    assert DeploymentOptions.from_context(Context({"platformFeeBps": "250"})).platform_fee_bps == 250
    assert DeploymentOptions.from_context(Context({"platformFeeBps": 0})).platform_fee_bps == 0
    for bad in ("5%", "-1", "10001", "2.5"):
        with pytest.raises(ValueError, match="platformFeeBps"):
            DeploymentOptions.from_context(Context({"platformFeeBps": bad}))


class Context:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def try_get_context(self, key: str) -> Any:
        return self.values.get(key)


def test_billing_problems_the_app_counts_raise_an_alarm(
        synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The alarm watches the very metrics chalicelib.observability.count emits for BillingFailed and
    BillingNotStarted with the functions' environment: same namespace, same dimensions (else it never fires)."""
    from chalicelib.observability import count

    env = functions(synthesized)["BillFail"]["Properties"]["Environment"]["Variables"]
    for key in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
        monkeypatch.setenv(key, env[key])
    emitted = []
    for metric in ("BillingFailed", "BillingNotStarted"):
        capsys.readouterr()
        count(metric)
        record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        (dimension_names,) = directive["Dimensions"]
        emitted.append({"Namespace": directive["Namespace"], "MetricName": metric,
                        "Dimensions": [{"Name": n, "Value": record[n]} for n in dimension_names]})
    watching = []
    for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values():
        stats = [m["MetricStat"] for m in alarm["Properties"].get("Metrics", []) if "MetricStat" in m]
        if {m["Metric"]["MetricName"] for m in stats} == {"BillingFailed", "BillingNotStarted"}:
            watching.append((alarm["Properties"], stats))
    ((alarm, stats),) = watching
    assert sorted((s["Metric"] for s in stats), key=str) == sorted(emitted, key=str)
    assert all(s["Stat"] == "Sum" for s in stats)
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert expression["Expression"] == "FILL(m0, 0) + FILL(m1, 0)"  # either one alone breaches
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"]


def test_every_function_has_an_errors_alarm(synthesized: Synthesized) -> None:
    alarmed = set()
    for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("MetricName") == "Errors" and props.get("Namespace") == "AWS/Lambda":
            (dimension,) = props["Dimensions"]
            alarmed |= references(dimension["Value"])
            assert props["AlarmActions"]
    assert alarmed == set(functions(synthesized))


def test_both_tables_have_a_throttling_alarm(synthesized: Synthesized) -> None:
    watched = set()
    for alarm in synthesized.resources("AWS::CloudWatch::Alarm").values():
        metrics = alarm["Properties"].get("Metrics", [])
        names = {m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}
        if names == {"ReadThrottleEvents", "WriteThrottleEvents"}:
            for metric in metrics:
                if "MetricStat" in metric:
                    watched |= references(metric["MetricStat"]["Metric"]["Dimensions"])
    assert watched == set(synthesized.resources("AWS::DynamoDB::Table"))


def test_outputs_tell_the_rest_url_the_chargers_url_and_the_stripe_secret(template: Template) -> None:
    template.has_output("RestApiUrl", {"Value": Match.any_value()})
    template.has_output("ChargerWebSocketUrl", {"Value": {"Fn::Join": ["", ["wss://", Match.any_value(), "/ocpp"]]}})
    template.has_output("StripeSecretName", {"Value": Match.any_value()})


# -- cfn-lint -----------------------------------------------------------------------------------------------

def test_cfn_lint_finds_no_errors(synthesized: Synthesized) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", str(synthesized.path)],
        capture_output=True, text=True, timeout=300,
    )
    findings = result.stdout.splitlines()
    errors = [line for line in findings if re.search(r":E\d+:", line)]
    assert errors == [], "\n".join(findings)
    assert result.returncode in (0, 4, 8), result.stderr  # 4: warnings, 8: informational; 2 would be errors


def test_the_receipt_sender_is_a_context_value_and_an_email_address() -> None:
    assert DeploymentOptions.from_context(Context({})).receipt_sender is None
    assert DeploymentOptions.from_context(Context({"receiptSender": "r@cpo.example"})).receipt_sender == "r@cpo.example"
    for bad in ("cpo.example", "@cpo.example", "r@"):
        with pytest.raises(ValueError, match="receiptSender"):
            DeploymentOptions.from_context(Context({"receiptSender": bad}))
