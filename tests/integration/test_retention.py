"""Retention after termination (SPEC.md, Retention; issue 9 section 1), on moto behind the emulated API Gateway:
the first month of full access, the hide step closing the space for everyone in one place (the authorizer), the
reinstatement cancelling the steps, and the daily reconciliation catching a deleted schedule and a failed run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from selfcare.clock import add_months, iso
from selfcare.config import ProjectionSettings
from selfcare.ports.schedules import schedule_name
from selfcare.projection.models import Outcome
from selfcare.projection.service import ProjectionService
from selfcare.projection.wiring import build_projection
from selfcare.retention import service as retention_service
from selfcare.retention.rules import Step

from infra import definitions as d
from infra.local import emulation
from infra.local.resources import LocalResources
from infra.local.seed import deliver_crm_events
from tests.factories import DemoWorld
from tests.fakes import FixedClock
from tests.integration.conftest import Api, body

GRANT_HEADER = "X-Assisted-Access"


def crm(detail_type: str, **detail: Any) -> None:
    """One CRM event on the inbound bus, delivered to the real projection handler (the local rule's stand-in)."""
    entry = {
        "Source": d.CRM_EVENT_SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps({"occurred_at": iso(datetime.now(UTC))} | detail),
        "EventBusName": d.CRM_INBOUND_BUS_NAME,
    }
    assert boto3.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    deliver_crm_events()


def terminate(customer_id: str, at: datetime, version: int = 2) -> None:
    crm(
        "CustomerTerminated",
        event_id=f"term-{customer_id}-{version}",
        entity_version=version,
        customer_id=customer_id,
        terminated_at=iso(at),
    )


def reinstate(customer_id: str, version: int = 3) -> None:
    crm(
        "CustomerReinstated",
        event_id=f"back-{customer_id}-{version}",
        entity_version=version,
        customer_id=customer_id,
        reinstated_at=iso(datetime.now(UTC)),
    )


def projection_at(now: datetime, **settings: str) -> ProjectionService:
    base = ProjectionSettings.from_env()
    return build_projection(base.model_copy(update=settings) if settings else base, FixedClock(now))


def schedules() -> list[str]:
    listed = boto3.client("scheduler").list_schedules(GroupName=d.ANONYMISATION_SCHEDULE_GROUP)["Schedules"]
    return sorted(s["Name"] for s in listed)


def pending_steps(aws: LocalResources, customer_id: str) -> list[str]:
    items = boto3.client("dynamodb").query(
        TableName=aws.table_names[d.CUSTOMERS.logical_id],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
        ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{customer_id}"}, ":r": {"S": "RETENTION#"}},
    )["Items"]
    return sorted(i["sk"]["S"] for i in items)


def grant(api: Api, token: str, customer_id: str = "C0001") -> Any:
    return api.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": customer_id, "reason": "Customer called about the last bill", "duration_minutes": 60},
        token=token,
    )


def audited_actions(aws: LocalResources, customer_id: str) -> list[str]:
    """The actions of the customer's audit trail, oldest first (the system's own included)."""
    items = boto3.client("dynamodb").query(
        TableName=aws.table_names[d.AUDIT_LOG.logical_id],
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": f"customer#{customer_id}"}},
    )["Items"]
    return [item["action"]["S"] for item in items if item.get("actor", {}).get("S") == "system#projection"]


def assert_closed(response: Any) -> None:
    assert response.status == 410, response.body
    error = body(response)["error"]
    assert error["code"] == "account_closed"
    assert error["request_id"]
    assert "details" not in error


def test_the_space_stays_open_a_month_then_closes_for_everyone_in_one_place(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given Jeanne logged in, an advisor under a live grant, and her contract ended 10 days ago
    jeanne = world.customers[0]
    tokens = api.login(jeanne.login_id, jeanne.password)
    advisor = world.staff[next(iter(world.staff))]
    staff_token = api.staff_login(advisor.email, advisor.password)["access_token"]
    grant_id = body(grant(api, staff_token))["grant_id"]
    terminated_at = datetime.now(UTC) - timedelta(days=10)
    terminate(jeanne.customer_id, terminated_at)
    assert schedules() == [schedule_name("C0001", Step.ANONYMISE), schedule_name("C0001", Step.HIDE)]
    # During the first month: full access (to pay the last bill), staff included
    assert api.call("GET", "/account", token=tokens["access_token"]).status == 200
    assert api.call("GET", "/billing", token=tokens["access_token"]).status == 200
    assert api.call("GET", "/account", token=staff_token, headers={GRANT_HEADER: grant_id}).status == 200

    # When the hide step runs (its schedule fires one calendar month after the termination)
    due = add_months(terminated_at, 1)
    scheduler = boto3.client("scheduler")
    service = projection_at(due)
    fired = emulation.fire_due_schedules(
        scheduler,
        d.ANONYMISATION_SCHEDULE_GROUP,
        lambda event, context: service.handle(event, context.invoked_function_arn),
        due,
    )

    # Then every route of that account answers the one documented error, staff reads included
    assert fired == [Outcome.APPLIED]
    assert schedules() == [schedule_name("C0001", Step.ANONYMISE)]
    assert pending_steps(aws, "C0001") == ["RETENTION#Anonymise"]
    for path in ("/account", "/billing", "/mobile/lines", "/account/consents", "/account/tickets", "/auth/sessions"):
        assert_closed(api.call("GET", path, token=tokens["access_token"]))
    assert_closed(api.call("GET", "/account", token=staff_token, headers={GRANT_HEADER: grant_id}))
    assert_closed(api.call("GET", "/mobile/lines", token=staff_token, headers={GRANT_HEADER: grant_id}))
    # its sessions are revoked: the refresh token no longer works
    refreshed = api.call("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status == 401
    # the right password says the space is closed; a wrong one answers like any wrong password
    assert_closed(api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password}))
    wrong = api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": "Not-her-password-42"})
    unknown = api.call("POST", "/auth/login", {"identifier": "nobody-here", "password": "Not-her-password-42"})
    assert (wrong.status, body(wrong)["error"]["code"]) == (401, "invalid_credentials")
    assert body(wrong)["error"]["message"] == body(unknown)["error"]["message"]
    # no new assisted-access grant
    assert_closed(grant(api, staff_token))
    # the other customer is untouched
    other = world.customers[1]
    other_token = api.login(other.login_id, other.password)["access_token"]
    assert api.call("GET", "/account", token=other_token).status == 200
    # the termination and the hide step are in her audit trail, as the system's actions
    assert audited_actions(aws, "C0001") == ["customer.terminated", "customer.hidden"]
    # And the step can run again: nothing changes
    assert projection_at(due + timedelta(hours=1)).step(Step.HIDE, "C0001") is Outcome.APPLIED
    assert_closed(api.call("GET", "/account", token=tokens["access_token"]))


def test_a_reinstatement_before_a_step_cancels_it(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    # Given a termination 10 days ago
    jeanne = world.customers[0]
    terminated_at = datetime.now(UTC) - timedelta(days=10)
    terminate(jeanne.customer_id, terminated_at)
    assert pending_steps(aws, "C0001") == ["RETENTION#Anonymise", "RETENTION#Hide"]
    # When the CRM reinstates the customer
    reinstate(jeanne.customer_id)
    # Then no step is left: neither schedule nor pending item, and a step that fires anyway does nothing
    assert schedules() == []
    assert pending_steps(aws, "C0001") == []
    assert projection_at(add_months(terminated_at, 1)).step(Step.HIDE, "C0001") is Outcome.NOT_DUE
    assert projection_at(add_months(terminated_at, 61)).step(Step.ANONYMISE, "C0001") is Outcome.NOT_DUE
    assert api.call("GET", "/account", token=api.login(jeanne.login_id, jeanne.password)["access_token"]).status == 200


def test_the_daily_reconciliation_catches_a_deleted_schedule_and_a_failed_run(
    api: Api, world: DemoWorld, aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics: list[tuple[str, int]] = []
    monkeypatch.setattr(retention_service, "count", lambda name, value=1: metrics.append((name, value)))
    scheduler = boto3.client("scheduler")
    terminated_at = datetime(2020, 1, 10, tzinfo=UTC)
    terminate("C0001", terminated_at)
    # Given the hide step's schedule deleted (by hand, by mistake)
    scheduler.delete_schedule(GroupName=d.ANONYMISATION_SCHEDULE_GROUP, Name=schedule_name("C0001", Step.HIDE))
    hide_due = add_months(terminated_at, 1)
    # When the reconciliation runs within the schedules' retry window: not its turn yet
    assert projection_at(hide_due + timedelta(hours=23)).retention.reconcile().total == 0
    # Then, a day later, it catches the hide step and runs it
    report = projection_at(hide_due + timedelta(hours=25)).retention.reconcile()
    assert report.caught == {Step.HIDE: 1, Step.ANONYMISE: 0} and report.failed == 0
    assert ("RetentionStepsCaught", 1) in metrics and ("RetentionStepsCaught_Hide", 1) in metrics
    assert pending_steps(aws, "C0001") == ["RETENTION#Anonymise"]
    jeanne = world.customers[0]
    assert api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password}).status == 410

    # Given the anonymisation's run failing past its retries (here: the bucket it must empty is unreachable)
    anonymise_due = add_months(terminated_at, 60)
    failing = projection_at(anonymise_due, invoices_bucket="no-such-bucket")
    with pytest.raises(Exception):  # noqa: B017 - any infrastructure failure: S3's NoSuchBucket here
        emulation.fire_due_schedules(
            scheduler,
            d.ANONYMISATION_SCHEDULE_GROUP,
            lambda event, context: failing.handle(event, context.invoked_function_arn),
            anonymise_due,
        )
    # EventBridge Scheduler gives up after its retries and deletes the one-time schedule (ActionAfterCompletion)
    scheduler.delete_schedule(GroupName=d.ANONYMISATION_SCHEDULE_GROUP, Name=schedule_name("C0001", Step.ANONYMISE))
    assert pending_steps(aws, "C0001") == ["RETENTION#Anonymise"]
    # When the reconciliation runs the next day
    metrics.clear()
    report = projection_at(anonymise_due + timedelta(days=1, hours=3)).retention.reconcile()
    # Then it caught and completed the anonymisation; nothing is left pending, and a new run finds nothing
    assert report.caught == {Step.HIDE: 0, Step.ANONYMISE: 1} and report.failed == 0
    assert ("RetentionStepsCaught_Anonymise", 1) in metrics
    assert pending_steps(aws, "C0001") == []
    profile = boto3.client("dynamodb").get_item(
        TableName=aws.table_names[d.CUSTOMERS.logical_id],
        Key={"pk": {"S": "CUSTOMER#C0001"}, "sk": {"S": "PROFILE"}},
    )["Item"]
    assert "anonymised_at" in profile and "first_name" not in profile
    assert projection_at(anonymise_due + timedelta(days=2)).retention.reconcile().total == 0
    # Through the projection function's command too (the daily schedule's input)
    assert projection_at(anonymise_due + timedelta(days=3)).handle(d.RECONCILIATION_COMMAND, "arn") is Outcome.APPLIED
