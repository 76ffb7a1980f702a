"""Data-subject rights (capability `rights`, issue 10): the export queue -> the export worker.

- Export queue (definitions.RIGHTS_EXPORT_QUEUE_NAME): one message per request of access to build, SQS-managed
  encryption, TLS only, a visibility timeout of six times the worker's timeout; after RIGHTS_EXPORT_MAX_RECEIVES
  receives the message goes to the dead-letter queue (14 days; the request says `failed`; replaying is safe: the
  build starts over and a ready request is never built twice). The worker reads it one message at a time with
  ReportBatchItemFailures. The dead-letter queue is alarmed by the monitoring construct.
- Due-soon schedule (definitions.RIGHTS_DUE_SOON_*): daily, EventBridge Scheduler invokes the worker with the
  command; it publishes AccessRequestsDueSoon, which the monitoring construct alarms on (above 0).
The rights bucket is in the data stack (infra/stacks/constructs/data.py). The functions' own permissions are
their grants (infra/stacks/constructs/functions.py).
"""

from __future__ import annotations

import json

from aws_cdk import aws_iam, aws_lambda, aws_scheduler
from constructs import Construct

from infra import definitions
from infra.stacks.constructs.worker_queue import worker_queue


class Rights(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, worker: aws_lambda.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.queue, self.dead_letters = worker_queue(
            self,
            "Export",
            queue_name=definitions.RIGHTS_EXPORT_QUEUE_NAME,
            dead_letter_queue_name=definitions.RIGHTS_EXPORT_DEAD_LETTER_QUEUE_NAME,
            visibility_seconds=definitions.RIGHTS_EXPORT_VISIBILITY_SECONDS,
            max_receives=definitions.RIGHTS_EXPORT_MAX_RECEIVES,
            batch_size=1,
            worker=worker,
            what="the access-request exports",
        )
        self.scheduler_role = aws_iam.Role(
            self,
            "DueSoonSchedulerRole",
            assumed_by=aws_iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": worker.stack.account}},
            ),
            description="EventBridge Scheduler: invoke the rights export worker with the due-soon command",
            inline_policies={
                "invoke": aws_iam.PolicyDocument(
                    statements=[
                        aws_iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[worker.function_arn])
                    ]
                )
            },
        )
        self.due_soon_schedule = aws_scheduler.CfnSchedule(
            self,
            "DueSoonSchedule",
            name=definitions.RIGHTS_DUE_SOON_SCHEDULE_NAME,
            description="Data-subject rights: count the open requests due within 5 days (metric, alarmed)",
            schedule_expression=definitions.RIGHTS_DUE_SOON_SCHEDULE_EXPRESSION,
            flexible_time_window=aws_scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=aws_scheduler.CfnSchedule.TargetProperty(
                arn=worker.function_arn,
                role_arn=self.scheduler_role.role_arn,
                input=json.dumps(definitions.RIGHTS_DUE_SOON_COMMAND),
                retry_policy=aws_scheduler.CfnSchedule.RetryPolicyProperty(maximum_retry_attempts=3),
            ),
        )
