"""The CRM projection on moto: events put on the CRM inbound bus, delivered by the local stack's stand-in
for the rule's Lambda target (infra/local/emulation.py), projected by the real handler; the read model,
the receipts, the dead-letter queue and the anonymisation schedules read back from moto."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from selfcare.auth.models import Credential
from selfcare.auth.policy import PrincipalType
from selfcare.clock import SystemClock
from selfcare.config import ProjectionSettings
from selfcare.dal.billing import BillingRepository
from selfcare.dal.credentials import CredentialsRepository
from selfcare.dal.customers import CustomersRepository
from selfcare.ports.schedules import schedule_name
from selfcare.projection.models import Outcome
from selfcare.projection.service import ProjectionService
from selfcare.projection.wiring import build_projection

from infra import definitions as d
from infra.local import emulation
from infra.local.resources import LocalResources
from infra.local.seed import deliver_crm_events, seed_demo
from tests.fakes import FixedClock

EVENTS_DIR = d.ROOT / "events"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS_DIR / f"{name}.json").read_text()))


def put(*events: dict[str, Any]) -> int:
    """Put events on the inbound bus as the CRM does, then let the local delivery run the projection."""
    entries = [
        {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "EventBusName": d.CRM_INBOUND_BUS_NAME,
        }
        for event in events
    ]
    response = boto3.client("events").put_events(Entries=entries)
    assert response["FailedEntryCount"] == 0
    return deliver_crm_events()


def dead_letters(aws: LocalResources) -> list[tuple[str, dict[str, Any]]]:
    """(reason attribute, body) of every message of the dead-letter queue."""
    sqs = boto3.client("sqs")
    found = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=aws.dead_letter_queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append((message["MessageAttributes"]["reason"]["StringValue"], json.loads(message["Body"])))
            sqs.delete_message(QueueUrl=aws.dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])


def profile_item(aws: LocalResources, customer_id: str) -> dict[str, Any] | None:
    raw = boto3.client("dynamodb").get_item(
        TableName=aws.table_names[d.CUSTOMERS.logical_id],
        Key={"pk": {"S": f"CUSTOMER#{customer_id}"}, "sk": {"S": "PROFILE"}},
    )
    return raw.get("Item")


def repository(aws: LocalResources) -> CustomersRepository:
    return CustomersRepository(aws.table_names[d.CUSTOMERS.logical_id])


def test_customer_events_are_projected(aws: LocalResources) -> None:
    assert put(sample("CustomerCreated")) == 1
    profile = repository(aws).get_profile("C0042")
    assert profile is not None
    assert (profile.last_name, profile.contact_email, profile.terminated_at) == (
        "Martin",
        "lucie.martin@example.mc",
        None,
    )
    put(sample("CustomerUpdated"))
    profile = repository(aws).get_profile("C0042")
    assert profile is not None
    assert (profile.company_name, profile.contact_email) == ("Martin Conseil SARL", "l.martin@example.mc")
    assert profile.sales_representative is not None
    put(sample("CustomerTerminated"))
    profile = repository(aws).get_profile("C0042")
    assert profile is not None
    assert profile.terminated_at == "2026-11-20T00:00:00.000Z"
    assert profile.last_name == "Martin"  # the record stays
    item = profile_item(aws, "C0042")
    assert item is not None
    assert item["version"] == {"N": "3"}
    assert item["last_event_id"] == {"S": "crm-evt-0003"}
    assert item["digital_identity_id"] == {"S": "MCID-0A1B2C3D"}
    assert dead_letters(aws) == []


def test_a_duplicate_event_changes_nothing_and_raises_nothing(aws: LocalResources) -> None:
    put(sample("CustomerCreated"), sample("CustomerUpdated"))
    before = profile_item(aws, "C0042")
    assert put(sample("CustomerUpdated"), sample("CustomerCreated")) == 2
    assert profile_item(aws, "C0042") == before
    assert dead_letters(aws) == []


def test_an_older_version_goes_to_the_dead_letters_and_the_newer_stays(aws: LocalResources) -> None:
    put(sample("CustomerUpdated"))
    put(sample("CustomerCreated"))
    letters = dead_letters(aws)
    assert [reason for reason, _ in letters] == ["out_of_order"]
    body = letters[0][1]
    assert (body["reason"], body["event_id"], body["detail_type"]) == (
        "out_of_order",
        "crm-evt-0001",
        "CustomerCreated",
    )
    assert body["event"]["detail"] == sample("CustomerCreated")["detail"]
    profile = repository(aws).get_profile("C0042")
    assert profile is not None
    assert profile.contact_email == "l.martin@example.mc"


def test_a_malformed_event_goes_to_the_dead_letters_and_the_read_model_is_untouched(aws: LocalResources) -> None:
    put(sample("CustomerCreated"))
    before = profile_item(aws, "C0042")
    broken = copy.deepcopy(sample("CustomerUpdated"))
    broken["detail"]["customer"]["contact_email"] = "not an email"
    del broken["detail"]["entity_version"]
    put(broken)
    letters = dead_letters(aws)
    assert [reason for reason, _ in letters] == ["malformed_detail"]
    explanation = letters[0][1]["explanation"]
    assert "entity_version" in explanation
    assert "customer.contact_email" in explanation
    assert "not an email" not in explanation
    assert profile_item(aws, "C0042") == before


def test_a_terminated_unknown_customer_goes_to_the_dead_letters(aws: LocalResources) -> None:
    put(sample("CustomerTerminated"))
    assert [reason for reason, _ in dead_letters(aws)] == ["unknown_customer"]
    assert profile_item(aws, "C0042") is None


def test_events_the_rule_does_not_match_never_reach_the_projection(aws: LocalResources) -> None:
    other = sample("CustomerCreated") | {"detail-type": "CustomerMerged"}
    assert put(other) == 0
    assert profile_item(aws, "C0042") is None


def projection_at(aws: LocalResources, now: datetime) -> ProjectionService:
    """The projection as the function builds it (selfcare.projection.wiring), with a fixed clock."""
    return build_projection(ProjectionSettings.from_env(), FixedClock(now))


def test_termination_schedules_the_anonymisation_which_overwrites_the_identification_data(
    aws: LocalResources,
) -> None:
    put(sample("CustomerCreated"), sample("CustomerTerminated"))
    scheduler = boto3.client("scheduler")
    schedule = scheduler.get_schedule(GroupName=d.ANONYMISATION_SCHEDULE_GROUP, Name=schedule_name("C0042"))
    assert schedule["ScheduleExpression"] == "at(2031-11-20T00:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["Target"]["RoleArn"] == aws.anonymisation_scheduler_role_arn
    assert schedule["Target"]["Arn"] == emulation.local_projection_arn()
    assert json.loads(schedule["Target"]["Input"]) == {"command": "Anonymise", "customer_id": "C0042"}

    def handler_at(now: datetime) -> Any:
        service = projection_at(aws, now)
        return lambda event, context: service.handle(event, context.invoked_function_arn)

    # Not yet due: only the hide step (due a month after the termination) runs; the anonymisation's schedule stays.
    early = datetime(2031, 11, 19, 23, 59, tzinfo=UTC)
    fired_early = emulation.fire_due_schedules(scheduler, d.ANONYMISATION_SCHEDULE_GROUP, handler_at(early), early)
    assert fired_early == [Outcome.APPLIED]
    assert [s["Name"] for s in scheduler.list_schedules(GroupName=d.ANONYMISATION_SCHEDULE_GROUP)["Schedules"]] == [
        schedule_name("C0042")
    ]
    # Due: the projection anonymises, the schedule is deleted.
    due = datetime(2031, 11, 20, 0, 0, 1, tzinfo=UTC)
    fired = emulation.fire_due_schedules(scheduler, d.ANONYMISATION_SCHEDULE_GROUP, handler_at(due), due)
    assert fired == [Outcome.APPLIED]
    assert scheduler.list_schedules(GroupName=d.ANONYMISATION_SCHEDULE_GROUP)["Schedules"] == []
    item = profile_item(aws, "C0042")
    assert item is not None
    for field in ("first_name", "contact_email", "contact_mobile", "contact_landline", "digital_identity_id"):
        assert field not in item, field
    assert item["last_name"] == {"S": "ANONYMISED"}
    assert item["address"]["M"]["line1"] == {"S": "ANONYMISED"}
    assert item["address"]["M"]["country"] == {"S": "MC"}  # accounting keeps the country
    assert item["account_number"] == {"S": "100200500"}
    assert item["service_secret_code"] == {"S": ""}
    assert "anonymised_at" in item
    # Run again (a retried invocation): nothing more to do; and no CRM update may bring the data back.
    assert projection_at(aws, due).anonymise_command("C0042") is Outcome.ALREADY_DONE
    later = copy.deepcopy(sample("CustomerUpdated"))
    later["detail"] |= {"event_id": "crm-evt-0099", "entity_version": 9}
    put(later)
    assert [reason for reason, _ in dead_letters(aws)] == ["out_of_order"]
    assert profile_item(aws, "C0042") == item


def test_the_real_clock_does_not_anonymise_early(aws: LocalResources) -> None:
    put(sample("CustomerCreated"), sample("CustomerTerminated"))
    service = projection_at(aws, SystemClock().now())
    assert service.anonymise_command("C0042") is Outcome.NOT_DUE


@pytest.mark.parametrize("customer_id", ["C0001", "C0002"])
def test_the_demo_customers_come_through_the_projection(aws: LocalResources, world: Any, customer_id: str) -> None:
    item = profile_item(aws, customer_id)
    assert item is not None
    assert item["version"] == {"N": "1"}
    assert item["last_event_id"]["S"].startswith("demo-")


# Billing events (the billing read model through selfcare.dal.billing's write methods) -------------------
def billing_repository(aws: LocalResources) -> BillingRepository:
    return BillingRepository(aws.table_names[d.CUSTOMERS.logical_id])


AT_SAMPLES = datetime(2026, 11, 20, tzinfo=UTC)  # the samples' invoice and payment are within their limits


def test_billing_events_are_projected(aws: LocalResources) -> None:
    put(sample("CustomerCreated"), sample("InvoiceIssued"), sample("PaymentReceived"), sample("UsageRecordsBatch"))
    assert dead_letters(aws) == []
    repo = billing_repository(aws)
    summary = repo.summary("C0042")
    assert summary.amount_due_cents == 0  # 59.90 invoiced, 59.90 paid
    assert summary.last_invoice is not None
    assert summary.last_invoice.invoice_id == "INV-2026-11-0042"
    assert summary.settings.payment_method is not None
    assert summary.settings.payment_method.masked == "MC58 **** **** **** 0189"
    (invoice,) = repo.invoices("C0042", AT_SAMPLES)
    assert (invoice.amount_cents, invoice.due_date) == (5990, "2026-11-20")
    (payment,) = repo.payments("C0042", AT_SAMPLES)
    assert (payment.amount_cents, payment.method) == (5990, "direct debit MC58 **** **** **** 0189")
    records, _ = repo.usage_page("C0042", "M-37761234500", None, "2026-11-01", "2026-11-02", 10)
    assert sorted(r.record_id for r in records) == ["U-0001", "U-0002", "U-0003", "U-0004"]


def test_billing_events_replayed_change_nothing(aws: LocalResources) -> None:
    put(sample("CustomerCreated"), sample("InvoiceIssued"), sample("PaymentReceived"), sample("UsageRecordsBatch"))
    before = billing_repository(aws).summary("C0042")
    put(sample("InvoiceIssued"), sample("PaymentReceived"), sample("UsageRecordsBatch"))
    assert dead_letters(aws) == []
    assert billing_repository(aws).summary("C0042") == before


def test_an_older_invoice_version_goes_to_the_dead_letters(aws: LocalResources) -> None:
    cancelled = copy.deepcopy(sample("InvoiceIssued"))
    cancelled["detail"] |= {"event_id": "bill-evt-0010", "entity_version": 2}
    cancelled["detail"]["invoice"]["status"] = "cancelled"
    put(sample("CustomerCreated"), cancelled)
    put(sample("InvoiceIssued"))
    assert [reason for reason, _ in dead_letters(aws)] == ["out_of_order"]
    assert billing_repository(aws).summary("C0042").amount_due_cents == 0  # the cancelled version stays


def test_an_invoice_of_an_unknown_customer_goes_to_the_dead_letters(aws: LocalResources) -> None:
    put(sample("InvoiceIssued"))
    assert [reason for reason, _ in dead_letters(aws)] == ["unknown_customer"]
    assert billing_repository(aws).summary("C0042").last_invoice is None


def test_the_demo_bills_and_usage_come_through_the_projection(aws: LocalResources) -> None:
    seed_demo()  # as the local stack seeds it: with the demo bills
    repo = billing_repository(aws)
    now = datetime.now(UTC)
    for customer_id in ("C0001", "C0002"):
        summary = repo.summary(customer_id)
        assert summary.last_invoice is not None
        assert summary.amount_due_cents == summary.last_invoice.amount_cents  # every older invoice is paid
        assert 1 <= len(repo.invoices(customer_id, now)) <= 12
        assert 1 <= len(repo.payments(customer_id, now)) <= 6
    assert dead_letters(aws) == []


def test_anonymisation_erases_everything_beyond_the_profile_and_keeps_consents(aws: LocalResources) -> None:
    """Credentials and login keys, billing address and holder, ticket texts, links (both sides), lines:
    gone or overwritten; consents kept; another customer's data untouched; a second run changes nothing."""
    put(sample("CustomerCreated"), sample("CustomerTerminated"))  # the real handler: BILLING settings too
    customers, credentials = aws.table_names[d.CUSTOMERS.logical_id], aws.table_names[d.CREDENTIALS.logical_id]
    CredentialsRepository(credentials, customers).create(
        Credential(
            principal_type=PrincipalType.CUSTOMER,
            principal_id="C0042",
            password_hash="$argon2id$placeholder",
            password_changed_at=0,
            login_id="lmartin",
            email="lucie.martin@example.mc",
            phone="+37761000042",
            account_number="100200500",
        )
    )
    client = boto3.client("dynamodb")

    def put_raw(pk: str, sk: str, **attributes: Any) -> None:
        item = {"pk": {"S": pk}, "sk": {"S": sk}} | {k: {"S": v} for k, v in attributes.items()}
        client.put_item(TableName=customers, Item=item)

    put_raw("CUSTOMER#C0042", "LINE#L9001", msisdn="+37761000042", offer="Mobile 100")
    put_raw("CUSTOMER#C0042", "LINE#L9001#MAILBOX#1", address="lucie@monaco.example")
    put_raw("CUSTOMER#C0042", "TICKET#T1", subject="Lucie Martin's bill", description="Call me on +37761000042")
    put_raw("CUSTOMER#C0042", "CONSENT#newsletter#2026-01-01T00:00:00.000Z#a", purpose="newsletter", at="2026")
    put_raw("CUSTOMER#C0042", "LINK#100200300", linked_customer_id="C0001", account_number="100200500")
    put_raw("CUSTOMER#C0001", "LINK#100200500", linked_customer_id="C0042", account_number="100200300")
    put_raw("CUSTOMER#C0001", "LINE#L0001", msisdn="+377612345678")

    due = datetime(2031, 11, 20, 0, 0, 1, tzinfo=UTC)
    assert projection_at(aws, due).anonymise_command("C0042") is Outcome.APPLIED

    def partition(pk: str) -> dict[str, dict[str, Any]]:
        items = client.query(
            TableName=customers, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
        )["Items"]
        return {item["sk"]["S"]: item for item in items}

    mine = partition("CUSTOMER#C0042")
    assert sorted(mine) == ["BILLING", "CONSENT#newsletter#2026-01-01T00:00:00.000Z#a", "PROFILE", "TICKET#T1"]
    settings = mine["BILLING"]["settings"]["M"]
    assert "address" not in settings
    assert settings["payment_method"]["M"] == {
        "kind": {"S": "direct_debit"},
        "masked": {"S": "MC58 **** **** **** 0189"},
    }
    assert mine["TICKET#T1"]["subject"] == {"S": "ANONYMISED"} and "+377" not in json.dumps(mine["TICKET#T1"])
    assert "lucie" not in json.dumps(mine).lower() and "martin" not in json.dumps(mine).lower()
    # The other customer keeps everything but the side of the link to the anonymised account.
    assert sorted(partition("CUSTOMER#C0001")) == ["LINE#L0001"]
    # Nobody logs in to an anonymised account; its identifiers are free again.
    left = client.scan(TableName=credentials)["Items"]
    assert not [i for i in left if "C0042" in json.dumps(i) or "lmartin" in json.dumps(i)]
    # Done: a retried command finds the marker and does nothing more.
    assert projection_at(aws, due).anonymise_command("C0042") is Outcome.ALREADY_DONE
