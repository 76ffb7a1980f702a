"""Try the retention steps on a running local stack (`make run`): moto's Scheduler never fires, so this does.

    python -m infra.local.retention terminate C0001 --days-ago 40   # the CRM's CustomerTerminated
    python -m infra.local.retention fire --at 2026-12-26T00:00:00Z  # the schedules due then (hide, anonymise)
    python -m infra.local.retention reconcile --at 2031-12-01T00:00:00Z  # the daily reconciliation, then
    python -m infra.local.retention reinstate C0001                 # the CRM's CustomerReinstated

It talks to the local stack's moto server (`--moto-port`, default the stack's) and runs the projection with a clock
set to `--at` (default now), as the deployed schedules would run the projection function at that time. The
termination and reinstatement go on the CRM bus, and the running stack projects them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from infra import definitions as d
from infra.local.moto_server import DEFAULT_MOTO_PORT


def _environment(port: int) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": "eu-west-3",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )


def _projection(at: datetime) -> Any:
    import boto3
    from selfcare.config import ProjectionSettings
    from selfcare.projection.wiring import build_projection

    from infra.local.resources import table_name

    queue = boto3.client("sqs").get_queue_url(QueueName=d.PROJECTION_DEAD_LETTER_QUEUE_NAME)["QueueUrl"]
    role = boto3.client("iam").get_role(RoleName=d.ANONYMISATION_SCHEDULER_ROLE_NAME)["Role"]["Arn"]
    settings = ProjectionSettings.model_validate(
        {table.env: table_name(table) for table in d.TABLES}
        | {
            "PROJECTION_DEAD_LETTER_QUEUE_URL": queue,
            "ANONYMISATION_SCHEDULE_GROUP": d.ANONYMISATION_SCHEDULE_GROUP,
            "ANONYMISATION_SCHEDULER_ROLE_ARN": role,
            "INVOICES_BUCKET_NAME": "selfcare-local-invoices",
        }
    )
    return build_projection(settings, _At(at))


class _At:
    """The clock of the run: the time the schedule would fire."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def _crm_event(detail_type: str, detail: dict[str, Any]) -> None:
    import boto3

    entry = {
        "Source": d.CRM_EVENT_SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "EventBusName": d.CRM_INBOUND_BUS_NAME,
    }
    assert boto3.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def _version(customer_id: str) -> int:
    import boto3

    from infra.local.resources import table_name

    item = boto3.client("dynamodb").get_item(
        TableName=table_name(d.CUSTOMERS), Key={"pk": {"S": f"CUSTOMER#{customer_id}"}, "sk": {"S": "PROFILE"}}
    )["Item"]
    return int(item["version"]["N"]) + 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.retention", description=__doc__.split("\n\n")[0])
    parser.add_argument("--moto-port", type=int, default=DEFAULT_MOTO_PORT)
    commands = parser.add_subparsers(dest="command", required=True)
    terminate = commands.add_parser("terminate")
    terminate.add_argument("customer_id")
    terminate.add_argument("--days-ago", type=int, default=0)
    commands.add_parser("reinstate").add_argument("customer_id")
    for name in ("fire", "reconcile"):
        commands.add_parser(name).add_argument("--at", type=datetime.fromisoformat, default=None)
    args = parser.parse_args(argv)
    _environment(args.moto_port)
    from selfcare.clock import iso

    now = datetime.now(UTC)
    if args.command in ("terminate", "reinstate"):
        version = _version(args.customer_id)
        detail: dict[str, Any] = {
            "event_id": f"local-{args.command}-{args.customer_id}-{version}",
            "entity_version": version,
            "occurred_at": iso(now),
            "customer_id": args.customer_id,
        }
        if args.command == "terminate":
            _crm_event("CustomerTerminated", detail | {"terminated_at": iso(now - timedelta(days=args.days_ago))})
        else:
            _crm_event("CustomerReinstated", detail | {"reinstated_at": iso(now)})
        print(f"{args.command}: event put on {d.CRM_INBOUND_BUS_NAME}; the local stack projects it")
        return 0
    at = (args.at or now).astimezone(UTC)
    projection = _projection(at)
    if args.command == "fire":
        import boto3

        from infra.local import emulation

        fired = emulation.fire_due_schedules(
            boto3.client("scheduler"),
            d.ANONYMISATION_SCHEDULE_GROUP,
            lambda event, context: projection.handle(event, context.invoked_function_arn),
            at,
        )
        print(f"fired {len(fired)} schedule(s) due at {iso(at)}: {[o.value for o in fired]}")
    else:
        report = projection.retention.reconcile()
        caught = {step.value: n for step, n in report.caught.items()}
        print(f"reconciliation at {iso(at)}: caught {caught}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
