"""Operators see failures (issue 9, section 5): one encrypted SNS topic, one alarm per failure signal, one dashboard.

Plain CloudWatch alarms rather than cdk-monitoring-constructs: every alarm here is one metric and one
threshold, which the infra tests assert metric by metric, and the library's facade adds its own topics and
naming (docs/decisions.md, 2026-11-25). The signals:
- every dead-letter queue (projection, CRM outbox, and any other passed in): a message visible;
- each state machine: a failed or a timed-out execution;
- the API: the 5xx rate and the p99 latency of the stage; the authorizer's errors;
- each table: throttled reads or writes;
- the reconciliation of terminated customers: `RetentionStepsCaught` (namespace Selfcare, emitted by
  selfcare.retention.service) above zero, i.e. a termination step the schedules missed and the daily
  reconciliation had to run;
- the audit digest function's errors (a digest not written leaves the trail unsigned);
- data-subject rights: `AccessRequestsDueSoon` above zero (a request due within 5 days; issue 10).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import (
    Duration,
    aws_apigateway,
    aws_cloudwatch,
    aws_cloudwatch_actions,
    aws_dynamodb,
    aws_iam,
    aws_kms,
    aws_lambda,
    aws_sns,
    aws_sqs,
    aws_stepfunctions,
)
from constructs import Construct

from infra import definitions

# Namespace and name of the metric the daily reconciliation emits for each step it had to run itself.
RECONCILIATION_NAMESPACE = "Selfcare"
RECONCILIATION_METRIC = "RetentionStepsCaught"  # selfcare.retention.service
# Powertools adds the service dimension to every metric it emits (POWERTOOLS_SERVICE_NAME).
RECONCILIATION_DIMENSIONS = {"service": definitions.SERVICE}
API_5XX_RATE_THRESHOLD = 0.01  # 1 % of the requests in 5 minutes
API_P99_LATENCY_MS = 3000
PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dead_letter_queues: Mapping[str, aws_sqs.IQueue],
        state_machines: Mapping[str, aws_stepfunctions.IStateMachine],
        api: aws_apigateway.RestApi,
        authorizer: aws_lambda.IFunction,
        tables: Mapping[str, aws_dynamodb.ITable],
        audit_digest: aws_lambda.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch publishes to an encrypted topic only with a customer-managed key that lets it.
        self.key = aws_kms.Key(self, "AlarmTopicKey", description="Selfcare alarm topic", enable_key_rotation=True)
        self.key.add_to_resource_policy(
            aws_iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[aws_iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = aws_sns.Topic(
            self, "AlarmTopic", display_name="Selfcare alarms", master_key=self.key, enforce_ssl=True
        )
        self.alarms: dict[str, aws_cloudwatch.Alarm] = {}
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"DeadLetters{name}",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                0,
                f"{name}: a message sits in the dead-letter queue (read it, fix, replay)",
            )
        for name, machine in state_machines.items():
            self._alarm(f"{name}Failed", machine.metric_failed(period=PERIOD, statistic="Sum"), 0, f"{name}: failed")
            self._alarm(
                f"{name}TimedOut", machine.metric_timed_out(period=PERIOD, statistic="Sum"), 0, f"{name}: timed out"
            )
        requests = api.metric_count(period=PERIOD, statistic="Sum")
        errors = api.metric_server_error(period=PERIOD, statistic="Sum")
        self._alarm(
            "Api5xxRate",
            aws_cloudwatch.MathExpression(
                expression="IF(requests > 0, errors / requests, 0)",
                using_metrics={"errors": errors, "requests": requests},
                period=PERIOD,
                label="5xx rate",
            ),
            API_5XX_RATE_THRESHOLD,
            f"API: more than {API_5XX_RATE_THRESHOLD:.0%} of the requests answered 5xx",
        )
        self._alarm(
            "ApiLatencyP99",
            api.metric_latency(period=PERIOD, statistic="p99"),
            API_P99_LATENCY_MS,
            f"API: p99 latency above {API_P99_LATENCY_MS} ms",
            evaluation_periods=3,
        )
        self._alarm(
            "AuthorizerErrors",
            authorizer.metric_errors(period=PERIOD, statistic="Sum"),
            0,
            "Authorizer: errors (every request of the API goes through it)",
        )
        for logical_id, table in tables.items():
            self._alarm(
                f"{logical_id}Throttles",
                aws_cloudwatch.MathExpression(
                    expression="reads + writes",
                    using_metrics={
                        "reads": table.metric("ReadThrottleEvents", period=PERIOD, statistic="Sum"),
                        "writes": table.metric("WriteThrottleEvents", period=PERIOD, statistic="Sum"),
                    },
                    period=PERIOD,
                    label="throttled reads and writes",
                ),
                0,
                f"{logical_id}: DynamoDB throttled requests",
            )
        self._alarm(
            "ReconciliationCaught",
            aws_cloudwatch.Metric(
                namespace=RECONCILIATION_NAMESPACE,
                metric_name=RECONCILIATION_METRIC,
                dimensions_map=RECONCILIATION_DIMENSIONS,
                period=Duration.hours(1),
                statistic="Sum",
            ),
            0,
            "Termination: the daily reconciliation ran a step its schedule missed (a schedule lost or a run failed)",
        )
        self._alarm(
            "AuditDigestErrors",
            audit_digest.metric_errors(period=Duration.hours(1), statistic="Sum"),
            0,
            "Audit trail: the hourly digest was not written (entries since the last digest are unsigned)",
        )
        # Data-subject rights (issue 10): an open request due within 5 days (the daily count of the export worker).
        self._alarm(
            "AccessRequestsDueSoon",
            aws_cloudwatch.Metric(
                namespace=RECONCILIATION_NAMESPACE,
                metric_name=definitions.RIGHTS_DUE_SOON_METRIC,
                dimensions_map=RECONCILIATION_DIMENSIONS,
                period=Duration.days(1),
                statistic="Maximum",
            ),
            0,
            "Data-subject rights: a request is due within 5 days (or overdue): answer it (staff queue)",
        )
        self.dashboard = aws_cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"{definitions.SERVICE}-operations")
        self.dashboard.add_widgets(
            aws_cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=24)
        )
        self.dashboard.add_widgets(
            aws_cloudwatch.GraphWidget(title="API requests and 5xx", left=[requests, errors], width=12),
            aws_cloudwatch.GraphWidget(
                title="API latency p99", left=[api.metric_latency(period=PERIOD, statistic="p99")], width=12
            ),
        )

    def _alarm(
        self,
        name: str,
        metric: aws_cloudwatch.IMetric,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> aws_cloudwatch.Alarm:
        alarm = aws_cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(aws_cloudwatch_actions.SnsAction(self.topic))
        self.alarms[name] = alarm
        return alarm
