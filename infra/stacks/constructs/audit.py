"""The audit trail's hourly digest: an EventBridge schedule invoking the audit_digest function (issue 9)."""

from __future__ import annotations

from aws_cdk import aws_events, aws_events_targets, aws_lambda
from constructs import Construct

from infra import definitions


class AuditDigests(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, function: aws_lambda.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.rule = aws_events.Rule(
            self,
            "Hourly",
            description="Sign the audit trail's chain heads (selfcare.audit.digest)",
            schedule=aws_events.Schedule.expression(definitions.AUDIT_DIGEST_SCHEDULE),
            targets=[aws_events_targets.LambdaFunction(function, retry_attempts=2)],
        )
