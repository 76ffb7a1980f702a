"""The CRM projection's plumbing: the CRM buses, the rule that feeds the projection function, the
dead-letter queue, and the anonymisation schedules' group and role.

- Inbound bus (the operator's CRM and billing systems put their events on it) and a rule matching
  `definitions.CRM_EVENT_PATTERN` whose target is the projection function; EventBridge retries a failed
  delivery for up to 24 hours, then sends the event to the dead-letter queue.
- The function's asynchronous invocations: 2 retries, then the on-failure destination is the same queue.
  The projection itself sends the events it refuses there, with the reason (selfcare.ports.dead_letters).
- Dead-letter queue: SQS-managed encryption (EventBridge delivers to it without a key policy), TLS only,
  14 days' retention.
- Outbound bus: changes made in the customer space, for the CRM (selfcare.ports.crm_events).
- Scheduler: the group holding the one-time schedules of the terminated customers' retention steps (hide,
  anonymise), and the role the schedules assume to invoke the projection function (and nothing else); the
  daily reconciliation's recurring schedule (default group, `definitions.RECONCILIATION_*`).
The functions' own permissions (PutEvents on the outbound bus, SendMessage to the queue, CreateSchedule in
the group, PassRole of the scheduler role) are their grants (infra/stacks/constructs/functions.py).
"""

from __future__ import annotations

import json

from aws_cdk import (
    Duration,
    Stack,
    aws_events,
    aws_events_targets,
    aws_iam,
    aws_lambda,
    aws_lambda_destinations,
    aws_scheduler,
    aws_sqs,
)
from constructs import Construct

from infra import definitions
from infra.stacks.acknowledge import acknowledge

ASYNC_RETRIES = 2
ASYNC_MAX_EVENT_AGE_HOURS = 6


class Projection(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, function: aws_lambda.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.inbound_bus = aws_events.EventBus(self, "CrmInboundBus", event_bus_name=definitions.CRM_INBOUND_BUS_NAME)
        self.outbound_bus = aws_events.EventBus(
            self, "CrmOutboundBus", event_bus_name=definitions.CRM_OUTBOUND_BUS_NAME
        )
        self.dead_letters = aws_sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=definitions.PROJECTION_DEAD_LETTER_QUEUE_NAME,
            encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(definitions.DEAD_LETTER_RETENTION_DAYS),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the CRM projection (refused events with their reason, and "
            "undeliverable ones); a dead-letter queue has no dead-letter queue of its own.",
        )
        self.rule = aws_events.Rule(
            self,
            "ProjectionRule",
            rule_name=definitions.PROJECTION_RULE_NAME,
            description="CRM and inventory events (customers, bills, lines and services) to the projection",
            event_bus=self.inbound_bus,
            event_pattern=aws_events.EventPattern(
                source=list(definitions.CRM_EVENT_PATTERN["source"]),
                detail_type=list(definitions.CRM_EVENT_PATTERN["detail-type"]),
            ),
            targets=[
                aws_events_targets.LambdaFunction(
                    function,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=definitions.PROJECTION_DELIVERY_RETRIES,
                    max_event_age=Duration.seconds(definitions.PROJECTION_DELIVERY_MAX_AGE_SECONDS),
                )
            ],
        )
        self.async_invoke = aws_lambda.EventInvokeConfig(
            self,
            "AsyncInvoke",
            function=function,
            retry_attempts=ASYNC_RETRIES,
            max_event_age=Duration.hours(ASYNC_MAX_EVENT_AGE_HOURS),
            on_failure=aws_lambda_destinations.SqsDestination(self.dead_letters),
        )
        self.schedule_group = aws_scheduler.CfnScheduleGroup(
            self, "AnonymisationScheduleGroup", name=definitions.ANONYMISATION_SCHEDULE_GROUP
        )
        self.scheduler_role = aws_iam.Role(
            self,
            "AnonymisationSchedulerRole",
            role_name=definitions.ANONYMISATION_SCHEDULER_ROLE_NAME,
            assumed_by=aws_iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="EventBridge Scheduler: invoke the projection function with the anonymisation commands",
            inline_policies={
                "least-privilege": aws_iam.PolicyDocument(
                    statements=[
                        aws_iam.PolicyStatement(
                            sid="InvokeProjection",
                            actions=["lambda:InvokeFunction"],
                            resources=[function.function_arn],
                        )
                    ]
                )
            },
        )
        # Retention (issue 9): the daily reconciliation of the post-termination steps (selfcare.retention.service).
        self.reconciliation_schedule = aws_scheduler.CfnSchedule(
            self,
            "RetentionReconciliationSchedule",
            name=definitions.RECONCILIATION_SCHEDULE_NAME,
            description="Run the retention steps whose schedule was lost or whose runs failed past their retries",
            schedule_expression=definitions.RECONCILIATION_SCHEDULE_EXPRESSION,
            schedule_expression_timezone="UTC",
            flexible_time_window=aws_scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=aws_scheduler.CfnSchedule.TargetProperty(
                arn=function.function_arn,
                role_arn=self.scheduler_role.role_arn,
                input=json.dumps(definitions.RECONCILIATION_COMMAND),
                retry_policy=aws_scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=6 * 3600, maximum_retry_attempts=10
                ),
            ),
        )
