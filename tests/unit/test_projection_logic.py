"""The projection's decisions (validation, duplicates, ordering, termination, anonymisation), on in-memory
stores with the network blocked. The DynamoDB conditions themselves are tested on moto
(tests/integration/test_projection.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from selfcare.account.models import CustomerProfile
from selfcare.billing import models as billing
from selfcare.dal.retention import PendingStep
from selfcare.projection import events
from selfcare.projection.models import DeadLetter, Outcome, RejectReason, WriteResult
from selfcare.projection.service import ProjectionService
from selfcare.retention.rules import Step
from selfcare.retention.service import RetentionService

from infra.definitions import ROOT
from tests.fakes import FixedClock

TARGET = "arn:aws:lambda:eu-west-3:123456789012:function:selfcare-projection"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "events" / f"{name}.json").read_text()))


class MemoryCustomers:
    def __init__(self) -> None:
        self.profiles: dict[str, CustomerProfile] = {}
        self.versions: dict[str, int] = {}
        self.receipts: set[str] = set()
        self.anonymised: set[str] = set()

    def _write(self, customer_id: str, version: int, event_id: str, must_exist: bool) -> WriteResult:
        if event_id in self.receipts:
            return WriteResult.DUPLICATE
        if must_exist and customer_id not in self.profiles:
            return WriteResult.MISSING
        if self.versions.get(customer_id, 0) >= version or customer_id in self.anonymised:
            return WriteResult.STALE
        self.receipts.add(event_id)
        self.versions[customer_id] = version
        return WriteResult.APPLIED

    def project_profile(
        self,
        profile: CustomerProfile,
        digital_identity_id: str | None,
        version: int,
        event_id: str,
        also: Sequence[dict[str, Any]] = (),
    ) -> WriteResult:
        result = self._write(profile.customer_id, version, event_id, must_exist=False)
        if result is WriteResult.APPLIED:
            for write in also:  # the same transaction: applied with the record, never without it
                write["apply"]()
            previous = self.profiles.get(profile.customer_id)
            self.profiles[profile.customer_id] = replace(
                profile, terminated_at=previous.terminated_at if previous else None
            )
        return result

    def terminate(
        self, customer_id: str, terminated_at: str, version: int, event_id: str, also: Sequence[dict[str, Any]] = ()
    ) -> WriteResult:
        result = self._write(customer_id, version, event_id, must_exist=True)
        if result is WriteResult.APPLIED:
            for write in also:
                write["apply"]()
            self.profiles[customer_id] = replace(self.profiles[customer_id], terminated_at=terminated_at)
        return result

    def reinstate(
        self, customer_id: str, version: int, event_id: str, also: Sequence[dict[str, Any]] = ()
    ) -> WriteResult:
        result = self._write(customer_id, version, event_id, must_exist=True)
        if result is WriteResult.APPLIED:
            for write in also:
                write["apply"]()
            self.profiles[customer_id] = replace(self.profiles[customer_id], terminated_at=None, hidden_at=None)
        return result

    def get_profile(self, customer_id: str) -> CustomerProfile | None:
        return self.profiles.get(customer_id)

    def anonymise(self, customer_id: str, terminated_at: str, at: str) -> WriteResult:
        self.anonymised.add(customer_id)
        self.profiles[customer_id] = replace(self.profiles[customer_id], last_name="ANONYMISED", contact_email=None)
        return WriteResult.APPLIED

    def is_anonymised(self, customer_id: str) -> bool:
        return customer_id in self.anonymised


class MemoryDeadLetters:
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    def send(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


class MemorySchedules:
    def __init__(self) -> None:
        self.scheduled: dict[tuple[str, Step], tuple[datetime, str]] = {}

    def schedule(self, customer_id: str, step: Step, at: datetime, target_arn: str) -> None:
        self.scheduled[(customer_id, step)] = (at, target_arn)

    def cancel(self, customer_id: str, step: Step) -> None:
        self.scheduled.pop((customer_id, step), None)


class MemorySteps:
    """The pending steps and the hide step's marks (selfcare.dal.retention), in memory."""

    def __init__(self, customers: MemoryCustomers) -> None:
        self.customers = customers
        self.items: dict[tuple[str, Step], PendingStep] = {}
        self.closed: set[str] = set()

    def pending_ops(self, customer_id: str, terminated_at: str, due: dict[Step, str]) -> list[dict[str, Any]]:
        def apply() -> None:
            for step, at in due.items():
                self.items[(customer_id, step)] = PendingStep(customer_id, step, at, terminated_at)

        return [{"apply": apply}]

    def cancel_ops(self, customer_id: str) -> list[dict[str, Any]]:
        return [{"apply": lambda: [self.items.pop((customer_id, step), None) for step in Step]}]

    def pending(self, customer_id: str, step: Step) -> PendingStep | None:
        return self.items.get((customer_id, step))

    def complete(self, customer_id: str, step: Step) -> None:
        self.items.pop((customer_id, step), None)

    def overdue(self, before: str) -> list[PendingStep]:
        return sorted((p for p in self.items.values() if p.due_at <= before), key=lambda p: p.due_at)

    def hide_profile(self, customer_id: str, terminated_at: str, at: str) -> bool:
        profile = self.customers.profiles[customer_id]
        if profile.terminated_at != terminated_at:
            return False
        self.customers.profiles[customer_id] = replace(profile, hidden_at=profile.hidden_at or at)
        return True

    def close_credential(self, customer_id: str, closed: bool) -> None:
        (self.closed.add if closed else self.closed.discard)(customer_id)

    def close_sessions(self, customer_id: str, at: str) -> int:
        return 0


class MemoryBilling:
    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.receipts: set[str] = set()
        self.invoices: dict[str, billing.Invoice] = {}
        self.payments: dict[str, billing.Payment] = {}
        self.usage: dict[str, billing.UsageRecord] = {}
        self.settings: dict[str, billing.BillingSettings] = {}

    def _versioned(self, entity: str, version: int, event_id: str) -> WriteResult:
        if event_id in self.receipts:
            return WriteResult.DUPLICATE
        if self.versions.get(entity, 0) >= version:
            return WriteResult.STALE
        self.versions[entity] = version
        self.receipts.add(event_id)
        return WriteResult.APPLIED

    def settings_op(self, customer_id: str, settings: billing.BillingSettings) -> dict[str, Any]:
        return {"apply": lambda: self.settings.__setitem__(customer_id, settings)}

    def project_invoice(self, invoice: billing.Invoice, version: int, event_id: str) -> WriteResult:
        result = self._versioned(f"invoice#{invoice.invoice_id}", version, event_id)
        if result is WriteResult.APPLIED:
            self.invoices[invoice.invoice_id] = invoice
        return result

    def project_payment(self, payment: billing.Payment, version: int, event_id: str) -> WriteResult:
        result = self._versioned(f"payment#{payment.payment_id}", version, event_id)
        if result is WriteResult.APPLIED:
            self.payments[payment.payment_id] = payment
        return result

    def project_usage(self, records: list[billing.UsageRecord], event_id: str) -> WriteResult:
        if event_id in self.receipts:
            return WriteResult.DUPLICATE
        self.receipts.add(event_id)
        self.usage |= {record.record_id: record for record in records}
        return WriteResult.APPLIED


class MemoryErasure:
    """Records which customers were erased, and can fail once (a DynamoDB outage midway)."""

    def __init__(self) -> None:
        self.erased: list[str] = []
        self.fail_next = False

    def erase(self, customer_id: str) -> int:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("throttled")
        self.erased.append(customer_id)
        return 1


class World:
    def __init__(self) -> None:
        self.erasure = MemoryErasure()
        self.customers = MemoryCustomers()
        self.billing = MemoryBilling()
        self.dead_letters = MemoryDeadLetters()
        self.schedules = MemorySchedules()
        self.steps = MemorySteps(self.customers)
        self.clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
        self.retention = RetentionService(
            customers=self.customers,
            steps=self.steps,
            erasure=self.erasure,
            schedules=self.schedules,
            clock=self.clock,
        )
        self.service = ProjectionService(
            customers=self.customers,
            billing=self.billing,
            dead_letters=self.dead_letters,
            retention=self.retention,
            clock=self.clock,
        )

    def send(self, event: Any) -> Outcome:
        return self.service.handle(event, target_arn=TARGET)

    @property
    def reasons(self) -> list[RejectReason]:
        return [letter.reason for letter in self.dead_letters.letters]


@pytest.fixture
def world() -> World:
    return World()


def test_created_then_updated_are_applied(world: World) -> None:
    assert world.send(sample("CustomerCreated")) is Outcome.APPLIED
    assert world.send(sample("CustomerUpdated")) is Outcome.APPLIED
    profile = world.customers.profiles["C0042"]
    assert profile.contact_email == "l.martin@example.mc"
    assert profile.company_name == "Martin Conseil SARL"
    assert world.dead_letters.letters == []


def test_a_replayed_event_is_a_harmless_duplicate(world: World) -> None:
    world.send(sample("CustomerCreated"))
    world.send(sample("CustomerUpdated"))
    assert world.send(sample("CustomerUpdated")) is Outcome.DUPLICATE
    assert world.send(sample("CustomerCreated")) is Outcome.DUPLICATE
    assert world.dead_letters.letters == []


def test_an_older_version_is_rejected_and_the_newer_stays(world: World) -> None:
    world.send(sample("CustomerUpdated"))  # version 2 arrives first
    older = sample("CustomerCreated")  # version 1, another event id
    assert world.send(older) is Outcome.REJECTED
    assert world.reasons == [RejectReason.OUT_OF_ORDER]
    letter = world.dead_letters.letters[0]
    assert letter.event == older
    assert letter.event_id == "crm-evt-0001"
    assert letter.detail_type == "CustomerCreated"
    assert world.customers.profiles["C0042"].contact_email == "l.martin@example.mc"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.update(source="someone.else"), RejectReason.MALFORMED_ENVELOPE),
        (lambda e: e.pop("detail"), RejectReason.MALFORMED_ENVELOPE),
        (lambda e: e.update({"detail-type": "CustomerMerged"}), RejectReason.UNKNOWN_EVENT_TYPE),
        (lambda e: e["detail"].pop("entity_version"), RejectReason.MALFORMED_DETAIL),
        (lambda e: e["detail"]["customer"].update(contact_email="not an email"), RejectReason.MALFORMED_DETAIL),
        (lambda e: e["detail"].update(occurred_at="yesterday"), RejectReason.MALFORMED_DETAIL),
    ],
)
def test_malformed_events_go_to_the_dead_letters_with_their_reason(
    world: World, mutate: Any, reason: RejectReason
) -> None:
    event = copy.deepcopy(sample("CustomerCreated"))
    mutate(event)
    assert world.send(event) is Outcome.REJECTED
    assert world.reasons == [reason]
    assert world.customers.profiles == {}


def test_the_explanation_names_fields_never_values(world: World) -> None:
    event = sample("CustomerCreated")
    event["detail"]["customer"]["contact_email"] = "secret-value-not-an-email"
    world.send(event)
    explanation = world.dead_letters.letters[0].explanation
    assert "customer.contact_email" in explanation
    assert "secret-value" not in explanation


def test_not_a_mapping_is_a_malformed_envelope(world: World) -> None:
    assert world.send(["not", "an", "event"]) is Outcome.REJECTED
    assert world.reasons == [RejectReason.MALFORMED_ENVELOPE]


def test_termination_of_an_unknown_customer_is_rejected(world: World) -> None:
    assert world.send(sample("CustomerTerminated")) is Outcome.REJECTED
    assert world.reasons == [RejectReason.UNKNOWN_CUSTOMER]
    assert world.schedules.scheduled == {}


def test_termination_keeps_the_record_and_schedules_anonymisation_five_years_later(world: World) -> None:
    world.send(sample("CustomerCreated"))
    assert world.send(sample("CustomerTerminated")) is Outcome.APPLIED
    profile = world.customers.profiles["C0042"]
    assert profile.terminated_at == "2026-11-20T00:00:00.000Z"
    assert profile.last_name == "Martin"
    assert world.schedules.scheduled[("C0042", Step.ANONYMISE)] == (datetime(2031, 11, 20, tzinfo=UTC), TARGET)
    assert world.schedules.scheduled[("C0042", Step.HIDE)] == (datetime(2026, 12, 20, tzinfo=UTC), TARGET)
    assert set(world.steps.items) == {("C0042", Step.HIDE), ("C0042", Step.ANONYMISE)}


def test_a_replayed_termination_ensures_the_schedule(world: World) -> None:
    world.send(sample("CustomerCreated"))
    world.send(sample("CustomerTerminated"))
    world.schedules.scheduled.clear()  # as if creating the schedule had failed the first time
    assert world.send(sample("CustomerTerminated")) is Outcome.DUPLICATE
    assert set(world.schedules.scheduled) == {("C0042", Step.HIDE), ("C0042", Step.ANONYMISE)}


def test_anonymisation_waits_for_five_years(world: World) -> None:
    world.send(sample("CustomerCreated"))
    world.send(sample("CustomerTerminated"))
    command = {"command": "Anonymise", "customer_id": "C0042"}
    world.clock.moment = datetime(2031, 11, 19, 23, 59, tzinfo=UTC)
    assert world.send(command) is Outcome.NOT_DUE
    assert world.erasure.erased == []
    world.clock.moment = datetime(2031, 11, 20, 0, 0, tzinfo=UTC)
    assert world.send(command) is Outcome.APPLIED
    assert world.customers.profiles["C0042"].last_name == "ANONYMISED"
    assert world.erasure.erased == ["C0042"]
    assert world.send(command) is Outcome.ALREADY_DONE
    assert world.erasure.erased == ["C0042"]


def test_an_erasure_failing_midway_leaves_the_profile_unmarked_so_the_retry_does_it_all(world: World) -> None:
    world.send(sample("CustomerCreated"))
    world.send(sample("CustomerTerminated"))
    world.clock.moment = datetime(2031, 11, 20, 0, 0, tzinfo=UTC)
    world.erasure.fail_next = True
    command = {"command": "Anonymise", "customer_id": "C0042"}
    with pytest.raises(RuntimeError):
        world.send(command)
    assert world.customers.anonymised == set()  # not marked: the retried command erases again
    assert world.send(command) is Outcome.APPLIED
    assert world.erasure.erased == ["C0042"] and world.customers.anonymised == {"C0042"}


def test_anonymisation_of_a_customer_not_terminated_does_nothing(world: World) -> None:
    world.send(sample("CustomerCreated"))
    world.clock.moment = datetime(2040, 1, 1, tzinfo=UTC)
    assert world.send({"command": "Anonymise", "customer_id": "C0042"}) is Outcome.NOT_DUE
    assert world.customers.anonymised == set() and world.erasure.erased == []


def test_unknown_commands_are_rejected(world: World) -> None:
    assert world.send({"command": "Delete", "customer_id": "C0042"}) is Outcome.REJECTED
    assert world.reasons == [RejectReason.UNKNOWN_COMMAND]


def test_every_event_type_has_a_model() -> None:
    assert set(events.EVENT_TYPES) == {
        "CustomerCreated",
        "CustomerUpdated",
        "CustomerTerminated",
        "InvoiceIssued",
        "PaymentReceived",
        "UsageRecordsBatch",
        "CustomerReinstated",
        "RectificationCompleted",
        "RectificationRefused",
    }


def test_billing_settings_come_with_the_customer_record_masked(world: World) -> None:
    world.send(sample("CustomerCreated"))
    settings = world.billing.settings["C0042"]
    assert settings.invoice_type is billing.InvoiceType.ELECTRONIC
    assert settings.payment_method == billing.PaymentMethod(
        kind="direct_debit", masked="MC58 **** **** **** 0189", holder="Lucie Martin"
    )


def test_billing_settings_of_an_older_record_are_not_applied(world: World) -> None:
    world.send(sample("CustomerUpdated"))
    world.send(sample("CustomerCreated"))
    method = world.billing.settings["C0042"].payment_method
    assert method is not None
    assert method.kind == "card"


def test_billing_events_are_projected(world: World) -> None:
    world.send(sample("CustomerCreated"))
    assert world.send(sample("InvoiceIssued")) is Outcome.APPLIED
    assert world.send(sample("PaymentReceived")) is Outcome.APPLIED
    assert world.send(sample("UsageRecordsBatch")) is Outcome.APPLIED
    invoice = world.billing.invoices["INV-2026-11-0042"]
    assert (invoice.amount_cents, invoice.due_date, invoice.issued_at) == (
        5990,
        "2026-11-20",
        "2026-11-01T02:00:00.000Z",
    )
    assert invoice.pdf_key == "invoices/C0042/INV-2026-11-0042.pdf"
    payment = world.billing.payments["PAY-2026-11-0042"]
    assert (payment.method, payment.source, payment.status) == (
        "direct debit MC58 **** **** **** 0189",
        "crm",
        billing.PaymentStatus.SUCCEEDED,
    )
    data = world.billing.usage["U-0004"]
    assert (data.usage_type, data.volume_bytes, data.line_id) == (billing.UsageType.DATA, 209715200, "M-37761234500")
    assert world.dead_letters.letters == []


def test_billing_events_replayed_are_duplicates(world: World) -> None:
    world.send(sample("CustomerCreated"))
    for name in ("InvoiceIssued", "PaymentReceived", "UsageRecordsBatch"):
        world.send(sample(name))
        assert world.send(sample(name)) is Outcome.DUPLICATE
    assert world.dead_letters.letters == []


def test_an_older_invoice_version_is_rejected(world: World) -> None:
    world.send(sample("CustomerCreated"))
    newer = sample("InvoiceIssued")
    newer["detail"] |= {"event_id": "bill-evt-0009", "entity_version": 2}
    newer["detail"]["invoice"]["status"] = "paid"
    world.send(newer)
    assert world.send(sample("InvoiceIssued")) is Outcome.REJECTED
    assert world.reasons == [RejectReason.OUT_OF_ORDER]
    assert world.billing.invoices["INV-2026-11-0042"].status is billing.InvoiceStatus.PAID


def test_billing_events_of_an_unknown_customer_are_rejected(world: World) -> None:
    for name in ("InvoiceIssued", "PaymentReceived", "UsageRecordsBatch"):
        assert world.send(sample(name)) is Outcome.REJECTED
    assert world.reasons == [RejectReason.UNKNOWN_CUSTOMER] * 3
    assert world.billing.invoices == {}


# Retention steps (selfcare.retention.service) ----------------------------------------------------------------
def terminated(world: World) -> None:
    world.send(sample("CustomerCreated"))
    world.send(sample("CustomerTerminated"))  # terminated_at 2026-11-20T00:00:00Z


def test_hide_falls_due_one_calendar_month_after_termination_and_closes_the_space(world: World) -> None:
    terminated(world)
    command = {"command": "Hide", "customer_id": "C0042"}
    world.clock.moment = datetime(2026, 12, 19, 23, 59, tzinfo=UTC)
    assert world.send(command) is Outcome.NOT_DUE
    assert world.customers.profiles["C0042"].hidden_at is None
    world.clock.moment = datetime(2026, 12, 20, 0, 0, tzinfo=UTC)
    assert world.send(command) is Outcome.APPLIED
    assert world.customers.profiles["C0042"].hidden_at == "2026-12-20T00:00:00.000Z"
    assert world.steps.closed == {"C0042"}
    assert ("C0042", Step.HIDE) not in world.steps.items
    # Idempotent: a second run changes nothing (the first time stays).
    world.clock.moment = datetime(2026, 12, 21, tzinfo=UTC)
    assert world.send(command) is Outcome.APPLIED
    assert world.customers.profiles["C0042"].hidden_at == "2026-12-20T00:00:00.000Z"


def test_a_reinstatement_before_a_step_cancels_it(world: World) -> None:
    terminated(world)
    assert world.send(sample("CustomerReinstated")) is Outcome.APPLIED
    assert world.schedules.scheduled == {} and world.steps.items == {}
    assert world.customers.profiles["C0042"].terminated_at is None
    world.clock.moment = datetime(2032, 1, 1, tzinfo=UTC)
    assert world.send({"command": "Hide", "customer_id": "C0042"}) is Outcome.NOT_DUE
    assert world.send({"command": "Anonymise", "customer_id": "C0042"}) is Outcome.NOT_DUE
    assert world.customers.anonymised == set() and world.erasure.erased == []


def test_a_reinstatement_after_the_hide_step_reopens_the_space_and_cancels_the_anonymisation(world: World) -> None:
    terminated(world)
    world.clock.moment = datetime(2026, 12, 20, tzinfo=UTC)
    world.send({"command": "Hide", "customer_id": "C0042"})
    assert world.send(sample("CustomerReinstated")) is Outcome.APPLIED
    assert world.customers.profiles["C0042"].hidden_at is None and world.steps.closed == set()
    assert ("C0042", Step.ANONYMISE) not in world.schedules.scheduled


def test_the_reconciliation_runs_only_the_steps_overdue_past_the_schedules_retry_window(world: World) -> None:
    terminated(world)
    world.clock.moment = datetime(2026, 12, 20, 23, 0, tzinfo=UTC)  # hide due 23 hours ago: the schedule's turn
    assert world.send({"command": "Reconcile"}) is Outcome.APPLIED
    assert world.customers.profiles["C0042"].hidden_at is None
    world.clock.moment = datetime(2026, 12, 21, 0, 1, tzinfo=UTC)  # 24 hours and a minute: caught
    assert world.send({"command": "Reconcile"}) is Outcome.APPLIED
    assert world.customers.profiles["C0042"].hidden_at is not None
    assert ("C0042", Step.HIDE) not in world.steps.items


def test_a_failed_anonymisation_stays_pending_and_the_reconciliation_completes_it(world: World) -> None:
    terminated(world)
    world.clock.moment = datetime(2031, 11, 20, 0, 0, tzinfo=UTC)
    world.erasure.fail_next = True
    with pytest.raises(RuntimeError):
        world.send({"command": "Anonymise", "customer_id": "C0042"})
    assert ("C0042", Step.ANONYMISE) in world.steps.items  # not completed
    world.clock.moment = datetime(2031, 11, 21, 3, 30, tzinfo=UTC)
    report = world.retention.reconcile()
    assert report.caught == {Step.HIDE: 0, Step.ANONYMISE: 1} and report.failed == 0  # hidden by the first try
    assert world.customers.anonymised == {"C0042"} and world.steps.items == {}
