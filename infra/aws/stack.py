"""The platform in one stack: tables, the Chalice app, workflows, the public edge, the Stripe secret, alarms."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.aws.alarms import PlatformAlarms
from infra.aws.api import API_STAGE, REST_HANDLER_ID, WEBSOCKET_HANDLER_IDS, PlatformApi
from infra.aws.edge import ChargerEdge
from infra.aws.options import DeploymentOptions
from infra.aws.tables import idempotency_table, platform_table
from infra.aws.workflows import (
    Workflows,
    execution_arns,
    state_machine_arn,
    state_machine_arn_variable,
    workflow_files,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
SERVICE_NAME = "evcharge"

# What the functions do with the tables (transactions need the item actions; PynamoDB never describes tables).
TABLE_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
)
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# The Stripe keys' shape; the CPO puts the real values in after the first deploy (README).
STRIPE_SECRET_TEMPLATE = {"secret_key": "", "webhook_secret": ""}
# Which functions start each workflow (chalicelib.workflows.starter): only they get its ARN in their environment
# and may start and describe its executions. The billing workflow starts when a charger ends a session
# (chalicelib/billing/hooks.py, from the OCPP frame handlers), and an operator may run a failed billing again
# (POST /v1/sessions/{id}/billing, the REST handler).
WORKFLOW_STARTERS: dict[str, frozenset[str]] = {"billing": WEBSOCKET_HANDLER_IDS | {REST_HANDLER_ID}}
# The app's own counters that mean a session may go unbilled (chalicelib/billing: steps.py, hooks.py).
BILLING_ALARM_METRICS = ["BillingFailed", "BillingNotStarted"]
RECEIPT_FUNCTION_ID = "BillReceipt"  # app.py's bill_receipt: the step that emails the driver's receipt
# Role groups: functions that are not in one run with the REST handler's role.
CHARGER_ROLE = "Charger"
WORKFLOW_TASK_ROLE = "WorkflowTask"


class PlatformStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, options: DeploymentOptions,
                 project_dir: Path = PROJECT_DIR, workflows_dir: Path | None = None, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, stack_name=options.stack_name,
                         description="evcharge: multi-tenant EV-charging platform (OCPP, REST, billing)", **kwargs)
        table = platform_table(self)
        idempotency = idempotency_table(self)
        stripe = secretsmanager.Secret(
            self, "StripeKeys",
            description="Stripe API keys of the platform: secret_key and webhook_secret",
            secret_string_value=SecretValue.unsafe_plain_text(json.dumps(STRIPE_SECRET_TEMPLATE)),
        )
        workflows = workflow_files(workflows_dir or project_dir / "chalicelib" / "workflows")
        unstarted = sorted({w.name for w in workflows} - WORKFLOW_STARTERS.keys())
        if unstarted:
            raise ValueError(f"workflows {unstarted}: name the functions that start them in WORKFLOW_STARTERS")
        # The workflows' task functions: they get a role of their own, without the charger-facing grants.
        task_ids = frozenset().union(*(w.function_ids() for w in workflows))
        both = task_ids & (WEBSOCKET_HANDLER_IDS | {REST_HANDLER_ID})
        if both:
            raise ValueError(f"functions {sorted(both)} are both entrypoints and workflow tasks")

        retention = options.log_retention
        api = PlatformApi(
            self, "App", project_dir=project_dir, log_retention=retention,
            environment={
                "TABLE_NAME": table.table_name,
                "IDEMPOTENCY_TABLE_NAME": idempotency.table_name,
                "STRIPE_SECRET_ARN": stripe.secret_arn,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": SERVICE_NAME,
                "PLATFORM_FEE_BPS": str(options.platform_fee_bps),
            },
            role_groups={CHARGER_ROLE: WEBSOCKET_HANDLER_IDS, WORKFLOW_TASK_ROLE: task_ids},
        )
        for w in workflows:
            api.set_environment(state_machine_arn_variable(w.name), state_machine_arn(options.stack_name, w.name),
                                only=WORKFLOW_STARTERS[w.name])
        edge = ChargerEdge(self, "ChargerEdge", websocket_origin_domain=api.websocket_origin_domain(),
                           stage=API_STAGE, domain=options.domain)
        api.set_environment("OCPP_BASE_URL", edge.ocpp_base_url)
        api.set_environment("WS_MANAGEMENT_URL", api.websocket_management_url())
        # Not on the REST handler: the REST API's definition references the handler, so the handler's
        # environment cannot reference the API (a dependency cycle). REST code takes its base URL from the
        # request it answers (README: Deploying to AWS, known limits).
        api.set_environment("PUBLIC_BASE_URL", api.rest_url(), except_functions=frozenset({REST_HANDLER_ID}))

        # REST handler (api.role) and charger-facing handlers: the table, the Stripe keys, commands to chargers;
        # the frame handlers also answer replayed frames once (the idempotency table). Workflow tasks: the
        # table and the Stripe keys only.
        charger_role = api.roles[CHARGER_ROLE]
        for role in api.all_roles:
            table.grant(role, *TABLE_ACTIONS)
            role.add_to_policy(iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[stripe.secret_arn],
            ))
        idempotency.grant(charger_role, *IDEMPOTENCY_ACTIONS)
        for role in (api.role, charger_role):
            role.add_to_policy(iam.PolicyStatement(
                actions=["execute-api:ManageConnections"], resources=[api.connections_arn()],
            ))

        if options.receipt_sender is not None:
            # Receipts: only the receipt step sends email, only from the sender's address or domain identity.
            sender = options.receipt_sender
            receipt_ids = frozenset(i for i in api.functions if i == RECEIPT_FUNCTION_ID)
            api.set_environment("RECEIPT_SENDER", sender, only=receipt_ids)
            api.roles[WORKFLOW_TASK_ROLE].add_to_policy(iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[self.format_arn(service="ses", resource="identity", resource_name=name)
                           for name in (sender, sender.split("@")[1])],
                conditions={"StringEquals": {"ses:FromAddress": sender}},
            ))

        self.workflows = Workflows(
            self, "Workflows", files=workflows, stack_name=options.stack_name,
            function_arns={logical_id: api.function_arn(logical_id) for logical_id in api.functions},
            log_retention=retention,
        )
        for name, machine in self.workflows.state_machines.items():
            for role in dict.fromkeys(api.role_of(logical_id) for logical_id in sorted(WORKFLOW_STARTERS[name])):
                role.add_to_policy(iam.PolicyStatement(
                    actions=["states:StartExecution"], resources=[machine.state_machine_arn],
                ))
                # WorkflowStarter asks whether an execution of a name exists before it starts one.
                role.add_to_policy(iam.PolicyStatement(
                    actions=["states:DescribeExecution"], resources=[execution_arns(options.stack_name, name)],
                ))

        alarms = PlatformAlarms(self, "Alarms", alarm_email=options.alarm_email)
        for logical_id, function in api.functions.items():
            alarms.lambda_errors(logical_id, function.ref)
        alarms.dynamodb_throttling("TableThrottling", table)
        alarms.dynamodb_throttling("IdempotencyTableThrottling", idempotency)
        for name, machine in self.workflows.state_machines.items():
            alarms.failed_executions(name, machine)
        if "billing" in self.workflows.state_machines:
            alarms.custom_metrics(
                "BillingProblems", namespace=SERVICE_NAME, service=SERVICE_NAME, metric_names=BILLING_ALARM_METRICS,
                description="A session's billing failed for good, or its billing workflow could not be started",
            )

        CfnOutput(self, "RestApiUrl", value=api.rest_url(), description="The REST API (/v1/...)")
        CfnOutput(self, "ChargerWebSocketUrl", value=edge.ocpp_base_url,
                  description="Chargers connect to {this}/{tenant_slug}/{charge_point_id}")
        CfnOutput(self, "StripeSecretName", value=stripe.secret_name,
                  description="Put the Stripe keys here (README: Setting the Stripe keys)")
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn, description="Subscribe to get alarms")
        if options.domain:
            CfnOutput(self, "DistributionDomainName", value=edge.distribution.distribution_domain_name,
                      description="Point the custom domain here (CNAME or alias) if Route 53 does not hold it")
