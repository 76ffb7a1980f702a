"""EventBridge Scheduler: the one-time schedule that anonymises a terminated customer's identification data.

One schedule per customer, named after the customer id (a technical id, no personal data), in the
anonymisation schedule group; it invokes the projection function with `{"command": "Anonymise",
"customer_id": ...}` at the due time, then deletes itself. Creating it again (a retried or repeated
termination) moves it to the new time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from selfcare import aws
from selfcare.projection.models import ANONYMISE_COMMAND


def schedule_name(customer_id: str) -> str:
    return f"anonymise-{customer_id}"


class SchedulerAnonymisationSchedules:
    def __init__(self, group_name: str, role_arn: str) -> None:
        self.group_name = group_name
        self.role_arn = role_arn

    def schedule(self, customer_id: str, at: datetime, target_arn: str) -> None:
        request = {
            "Name": schedule_name(customer_id),
            "GroupName": self.group_name,
            "ScheduleExpression": f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Description": "Anonymise the identification data 5 years after the end of the contract",
            "Target": {
                "Arn": target_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps({"command": ANONYMISE_COMMAND, "customer_id": customer_id}),
                "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
            },
        }
        scheduler = aws.client("scheduler")
        try:
            scheduler.create_schedule(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConflictException":
                raise
            scheduler.update_schedule(**request)
