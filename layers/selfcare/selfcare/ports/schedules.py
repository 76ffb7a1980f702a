"""EventBridge Scheduler: the one-time schedules of a terminated customer's steps (hide, anonymise).

One schedule per customer and step, named after the step and the customer id (a technical id, no personal
data: `hide-C0042`, `anonymise-C0042`), in the retention schedule group (definitions.ANONYMISATION_SCHEDULE_GROUP);
it invokes the projection function with `{"command": "Hide"|"Anonymise", "customer_id": ...}` at the due time,
then deletes itself. Creating it again (a retried or repeated termination) moves it to the new time; a
reinstatement deletes it. A schedule lost anyway (deleted by hand, its run failed past its retries) is caught by
the daily reconciliation (selfcare.retention.service), which reads the pending steps, not the schedules.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from selfcare import aws
from selfcare.retention.rules import STEP_RETRY_WINDOW, Step

_DESCRIPTIONS = {
    Step.HIDE: "Hide the customer's space 1 month after the end of the contract",
    Step.ANONYMISE: "Anonymise the identification data 5 years after the end of the contract",
}


def schedule_name(customer_id: str, step: Step = Step.ANONYMISE) -> str:
    return f"{step.value.lower()}-{customer_id}"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class SchedulerRetentionSchedules:
    def __init__(self, group_name: str, role_arn: str) -> None:
        self.group_name = group_name
        self.role_arn = role_arn

    def schedule(self, customer_id: str, step: Step, at: datetime, target_arn: str) -> None:
        request = {
            "Name": schedule_name(customer_id, step),
            "GroupName": self.group_name,
            "ScheduleExpression": f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Description": _DESCRIPTIONS[step],
            "Target": {
                "Arn": target_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps({"command": step.value, "customer_id": customer_id}),
                "RetryPolicy": {
                    "MaximumEventAgeInSeconds": int(STEP_RETRY_WINDOW.total_seconds()),
                    "MaximumRetryAttempts": 185,
                },
            },
        }
        scheduler = aws.client("scheduler")
        try:
            scheduler.create_schedule(**request)
        except ClientError as error:
            if _code(error) != "ConflictException":
                raise
            scheduler.update_schedule(**request)

    def cancel(self, customer_id: str, step: Step) -> None:
        """Delete the step's schedule; one already gone (fired, or never made) is fine."""
        try:
            aws.client("scheduler").delete_schedule(Name=schedule_name(customer_id, step), GroupName=self.group_name)
        except ClientError as error:
            if _code(error) != "ResourceNotFoundException":
                raise


# The name before the hide step existed (kept for callers outside this change).
SchedulerAnonymisationSchedules = SchedulerRetentionSchedules
