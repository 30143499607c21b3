"""Alarms a small CPO needs to hear about, all sent to one SNS topic (optionally to an email address)."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

PERIOD = Duration.minutes(5)


def _sum_filled(metric_ids: list[str]) -> str:
    """The sum of metrics that each publish only when something happens: a period where one has no data point
    would otherwise leave the sum empty, and the alarm blind to the others."""
    return " + ".join(f"FILL({metric_id}, 0)" for metric_id in metric_ids)


class PlatformAlarms(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, alarm_email: str | None) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", display_name="evcharge alarms")
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self._action = actions.SnsAction(self.topic)

    def _alarm(self, alarm_id: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self, alarm_id, metric=metric, threshold=1, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        return alarm

    def lambda_errors(self, logical_id: str, function_name: str) -> cloudwatch.Alarm:
        """Any invocation that raised (an unhandled error, a timeout, running out of memory)."""
        metric = cloudwatch.Metric(
            namespace="AWS/Lambda", metric_name="Errors", dimensions_map={"FunctionName": function_name},
            statistic="Sum", period=PERIOD,
        )
        return self._alarm(f"{logical_id}Errors", metric, f"Lambda function {logical_id} raised errors")

    def dynamodb_throttling(self, alarm_id: str, table: dynamodb.ITable) -> cloudwatch.Alarm:
        """Requests DynamoDB refused for capacity (on demand still throttles past a partition's limits)."""
        throttled = cloudwatch.MathExpression(
            expression=_sum_filled(["reads", "writes"]),
            using_metrics={
                "reads": table.metric("ReadThrottleEvents", statistic="Sum", period=PERIOD),
                "writes": table.metric("WriteThrottleEvents", statistic="Sum", period=PERIOD),
            },
            period=PERIOD,
            label="throttled requests",
        )
        return self._alarm(alarm_id, throttled, "DynamoDB throttled requests")

    def failed_executions(self, workflow: str, machine: sfn.StateMachine) -> cloudwatch.Alarm:
        """Executions that failed, timed out or were aborted: for billing, a session nobody was charged for."""
        failed = cloudwatch.MathExpression(
            expression=_sum_filled(["failed", "timedout", "aborted"]),
            using_metrics={
                "failed": machine.metric_failed(statistic="Sum", period=PERIOD),
                "timedout": machine.metric_timed_out(statistic="Sum", period=PERIOD),
                "aborted": machine.metric_aborted(statistic="Sum", period=PERIOD),
            },
            period=PERIOD,
            label="failed executions",
        )
        return self._alarm(f"{workflow}FailedExecutions", failed, f"Workflow {workflow}: failed executions")

    def custom_metrics(self, alarm_id: str, *, namespace: str, service: str, metric_names: list[str],
                       description: str) -> cloudwatch.Alarm:
        """Any data point of the app's own counters (chalicelib.observability.count). Powertools gives each the
        dimension `service` (POWERTOOLS_SERVICE_NAME), and an alarm sees only the dimensions it names."""
        ids = [f"m{i}" for i in range(len(metric_names))]
        summed = cloudwatch.MathExpression(
            expression=_sum_filled(ids),
            using_metrics={
                metric_id: cloudwatch.Metric(namespace=namespace, metric_name=name, dimensions_map={"service": service},
                                             statistic="Sum", period=PERIOD)
                for metric_id, name in zip(ids, metric_names, strict=True)
            },
            period=PERIOD,
            label=" + ".join(metric_names),
        )
        return self._alarm(alarm_id, summed, description)
