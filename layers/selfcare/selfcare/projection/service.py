"""The projection: validates each CRM event, writes the read model, rejects what it cannot apply.

Decisions, in order, for an EventBridge event:
1. Not an event from "operator.crm" -> dead letter `malformed_envelope`; an unknown detail-type ->
   `unknown_event_type`; a detail that fails its schema -> `malformed_detail` (the explanation names the
   fields and the rules, never the values).
2. The write is conditional, with the event's receipt (its id) in the same transaction: an event already
   applied is a duplicate (nothing written, no dead letter: replays are harmless); an entity the read model
   holds in this version or a newer one is `out_of_order` (nothing written; the newer state stays); a
   change to a customer the read model does not hold is `unknown_customer`.
3. A termination keeps the record (terminated_at set) and, in its transaction, the pending retention steps;
   then the one-time schedules of the steps (selfcare.retention.service: hide 1 month later, anonymise 5 years
   later). Schedules are (re)created on a duplicate termination too, so a retry after a failed schedule
   creation completes the work. A reinstatement (CustomerReinstated) cancels the steps not yet run.
4. Rights (issue 10): `RectificationCompleted` / `RectificationRefused` close a rectification request
   (selfcare.rights.crm: the status, its audit entry and the event's receipt in one transaction); a request the
   customer does not have (unknown, another customer's, an access request) -> `unknown_request`; one already
   answered -> `request_not_awaiting_crm`.
5. Commands (no EventBridge envelope): the steps' schedules send `Hide` / `Anonymise` with a customer id, the
   daily schedule `Reconcile`; all run by selfcare.retention.service.
Infrastructure failures (DynamoDB, SQS) raise: Lambda retries the event, then the function's
on-failure destination keeps it. Nothing here logs personal data: event ids, types, customer ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from selfcare.account.models import Address, CustomerProfile, CustomerType, SalesRepresentative
from selfcare.billing import models as billing
from selfcare.clock import Clock, iso
from selfcare.dal.login_keys import CustomerLoginKeys, KeyMove
from selfcare.identifiers import IdentifierKind, normalize_email, normalize_phone
from selfcare.observability import count, logger
from selfcare.projection import events
from selfcare.projection.inventory import InventoryProjector
from selfcare.projection.inventory_events import INVENTORY_SOURCE
from selfcare.projection.models import DeadLetter, Outcome, RejectReason, WriteResult
from selfcare.retention.rules import RECONCILE_COMMAND, Step


class CustomerStore(Protocol):
    def project_profile(
        self,
        profile: CustomerProfile,
        digital_identity_id: str | None,
        version: int,
        event_id: str,
        also: Sequence[dict[str, Any]] = (),
    ) -> WriteResult: ...

    def terminate(
        self, customer_id: str, terminated_at: str, version: int, event_id: str, also: Sequence[dict[str, Any]] = ()
    ) -> WriteResult: ...

    def reinstate(
        self, customer_id: str, version: int, event_id: str, also: Sequence[dict[str, Any]] = ()
    ) -> WriteResult: ...

    def get_profile(self, customer_id: str) -> CustomerProfile | None: ...

    def anonymise(self, customer_id: str, terminated_at: str, at: str) -> WriteResult: ...

    def is_anonymised(self, customer_id: str) -> bool: ...


class BillingStore(Protocol):
    """The billing read model's writes (selfcare.dal.billing, owned by the billing capability), each with the
    event's receipt (selfcare.dal.billing_projection)."""

    def settings_op(self, customer_id: str, settings: billing.BillingSettings) -> dict[str, Any]:
        """The settings' write, made in the transaction of the customer's record."""
        ...

    def project_invoice(self, invoice: billing.Invoice, version: int, event_id: str) -> WriteResult: ...

    def project_payment(self, payment: billing.Payment, version: int, event_id: str) -> WriteResult: ...

    def project_usage(self, records: list[billing.UsageRecord], event_id: str) -> WriteResult: ...


class Rectifications(Protocol):
    """Rights (issue 10): the CRM's answer closes a rectification (selfcare.rights.crm.RectificationAnswers)."""

    def close(
        self,
        customer_id: str,
        request_id: str,
        *,
        completed: bool,
        at: datetime,
        event_id: str,
        reason: str | None = None,
    ) -> WriteResult: ...


class DeadLetters(Protocol):
    def send(self, letter: DeadLetter) -> None: ...


class Retention(Protocol):
    """The post-termination steps (selfcare.retention.service.RetentionService)."""

    def termination_ops(self, customer_id: str, terminated_at: datetime, cause: str = "") -> list[dict[str, Any]]: ...

    def schedule_steps(self, customer_id: str, terminated_at: datetime, target_arn: str) -> None: ...

    def cancel_ops(self, customer_id: str, cause: str = "") -> list[dict[str, Any]]: ...

    def after_reinstatement(self, customer_id: str) -> None: ...

    def run(self, step: Step, customer_id: str) -> Outcome | None: ...

    def reconcile(self) -> Any: ...


def _explain(error: ValidationError) -> str:
    """Field locations and error types only: the input values may be personal data."""
    problems = [f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['type']}" for e in error.errors()]
    return "; ".join(problems[:20])


def profile_of(record: events.CustomerRecord) -> CustomerProfile:
    def address(a: events.Address) -> Address:
        return Address(line1=a.line1, line2=a.line2, postal_code=a.postal_code, city=a.city, country=a.country)

    rep = record.sales_representative
    return CustomerProfile(
        customer_id=record.customer_id,
        account_number=record.account_number,
        customer_type=CustomerType(record.customer_type.value),
        last_name=record.last_name,
        first_name=record.first_name,
        company_name=record.company_name,
        trade_name=record.trade_name,
        address=address(record.address),
        sales_representative=SalesRepresentative(name=rep.name, email=rep.email, phone=rep.phone) if rep else None,
        contact_email=record.contact_email,
        contact_mobile=record.contact_mobile,
        contact_landline=record.contact_landline,
        service_secret_code=record.service_secret_code,
    )


def settings_of(settings: events.BillingSettings) -> billing.BillingSettings:
    a, method = settings.address, settings.payment_method
    return billing.BillingSettings(
        address=billing.BillingAddress(
            line1=a.line1, line2=a.line2, postal_code=a.postal_code, city=a.city, country=a.country
        )
        if a
        else None,
        invoice_type=billing.InvoiceType(settings.invoice_type.value),
        payment_method=billing.PaymentMethod(kind=method.kind.value, masked=method.masked, holder=method.holder)
        if method
        else None,
    )


def invoice_of(customer_id: str, invoice: events.Invoice) -> billing.Invoice:
    return billing.Invoice(
        invoice_id=invoice.invoice_id,
        customer_id=customer_id,
        issued_at=iso(invoice.issued_at),
        amount_cents=invoice.amount_cents,
        currency=invoice.currency,
        due_date=invoice.due_date.isoformat(),
        status=billing.InvoiceStatus(invoice.status.value),
        pdf_key=invoice.pdf_reference,
    )


_METHOD_LABELS = {"direct_debit": "direct debit", "card": "card", "transfer": "transfer"}


def payment_of(customer_id: str, payment: events.Payment) -> billing.Payment:
    method = payment.method
    label = " ".join(part for part in (_METHOD_LABELS[method.kind.value], method.masked) if part)
    return billing.Payment(
        payment_id=payment.payment_id,
        customer_id=customer_id,
        at=iso(payment.received_at),
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        status=billing.PaymentStatus(payment.status.value),
        method=label,
        source="crm",
        invoice_id=payment.invoice_id,
    )


def usage_of(customer_id: str, record: events.UsageRecord) -> billing.UsageRecord:
    return billing.UsageRecord(
        record_id=record.record_id,
        customer_id=customer_id,
        line_id=record.line_id,
        line_number=record.line_number,
        started_at=iso(record.started_at),
        usage_type=billing.UsageType(record.type.value),
        origin_country=record.origin_country,
        destination_country=record.destination_country,
        called_number=record.called_number,
        duration_seconds=record.duration_seconds,
        quantity=record.quantity,
        volume_bytes=record.volume_bytes,
        amount_excl_tax_cents=record.amount_excl_tax_cents,
    )


def _rejection(result: WriteResult, detail: events.EventDetail, customer_id: str) -> tuple[RejectReason, str]:
    """Why a write that did not apply is a dead letter: its reason code and explanation (ids, never values)."""
    if result is WriteResult.LOGIN_KEY_TAKEN:  # identity (issue 8)
        return (
            RejectReason.LOGIN_KEY_TAKEN,
            "the record's new contact email or mobile is another customer's login key",
        )
    if result is WriteResult.UNKNOWN_REQUEST:  # rights (issue 10)
        return RejectReason.UNKNOWN_REQUEST, f"customer {customer_id} has no rectification request with this request_id"
    if result is WriteResult.REQUEST_CLOSED:  # rights (issue 10)
        return (
            RejectReason.REQUEST_NOT_AWAITING_CRM,
            "the rectification request is not awaiting the CRM's answer (already answered)",
        )
    if result is WriteResult.STALE:
        return (
            RejectReason.OUT_OF_ORDER,
            f"the read model holds version {detail.entity_version} or a newer one of this entity",
        )
    return RejectReason.UNKNOWN_CUSTOMER, f"customer {customer_id} is not in the read model"


class ProjectionService:
    def __init__(
        self,
        *,
        customers: CustomerStore,
        billing: BillingStore | None,
        dead_letters: DeadLetters,
        retention: Retention,
        clock: Clock,
        inventory: InventoryProjector | None = None,
        login_keys: CustomerLoginKeys | None = None,
        rectifications: Rectifications | None = None,
    ) -> None:
        self.rectifications = rectifications  # rights (issue 10): the CRM's answers to rectifications
        self.inventory = inventory  # the product inventory's events (lines and services)
        self.login_keys = login_keys  # identity (issue 8): a customer's login keys follow its contacts
        self.customers = customers
        self.billing = billing
        self.dead_letters = dead_letters
        self.retention = retention
        self.clock = clock

    # Entry point -------------------------------------------------------------------------------------
    def handle(self, raw: Any, target_arn: str) -> Outcome:
        """One invocation: an EventBridge event from the CRM, or a command from a schedule.

        `target_arn`: the ARN the anonymisation schedules invoke (the projection function itself)."""
        if isinstance(raw, Mapping) and "command" in raw:
            return self.command(raw)
        return self.project(raw, target_arn)

    def project(self, raw: Any, target_arn: str) -> Outcome:
        if self.inventory is not None and isinstance(raw, Mapping) and raw.get("source") == INVENTORY_SOURCE:
            return self.inventory.project(raw, self._reject)
        try:
            envelope = events.Envelope.model_validate(raw)
        except ValidationError as error:
            return self._reject(RejectReason.MALFORMED_ENVELOPE, _explain(error), raw)
        model = events.DETAIL_MODELS.get(envelope.detail_type)
        if model is None:
            return self._reject(
                RejectReason.UNKNOWN_EVENT_TYPE,
                f"detail-type {envelope.detail_type!r} is not a CRM event",
                raw,
                detail_type=None,
            )
        try:
            detail = model.model_validate(envelope.detail)
        except ValidationError as error:
            event_id = envelope.detail.get("event_id")
            return self._reject(
                RejectReason.MALFORMED_DETAIL,
                _explain(error),
                raw,
                event_id=event_id if isinstance(event_id, str) else None,
                detail_type=envelope.detail_type,
            )
        result, customer_id = self._apply(detail, target_arn)
        outcome = self._settle(result, raw, detail, envelope.detail_type, customer_id)
        if outcome is not Outcome.REJECTED:
            logger.info(
                "CRM event projected",
                extra={"outcome": outcome.value, "event_id": detail.event_id, "detail_type": envelope.detail_type},
            )
        return outcome

    # Writes --------------------------------------------------------------------------------------------
    def _apply(self, detail: events.EventDetail, target_arn: str) -> tuple[WriteResult, str]:
        if isinstance(detail, events.CustomerCreated):  # CustomerUpdated too: both carry the whole record
            record = detail.customer
            # The billing settings travel with the record: one transaction (a retry never finds half of it).
            also = [self.billing.settings_op(record.customer_id, settings_of(record.billing))] if self.billing else []
            moves = self._login_key_moves(profile_of(record))
            also += [operation for move in moves for operation in move.operations]
            result = self.customers.project_profile(
                profile_of(record), record.digital_identity_id, detail.entity_version, detail.event_id, also
            )
            claimed = [move.claimed for move in moves if move.claimed and move.operations]
            taken = (
                result is WriteResult.STALE
                and claimed
                and self.login_keys
                and self.login_keys.held_by_another(record.customer_id, claimed)
            )
            if taken:
                return WriteResult.LOGIN_KEY_TAKEN, record.customer_id
            return result, record.customer_id
        if isinstance(detail, events.CustomerTerminated):
            steps = self.retention.termination_ops(detail.customer_id, detail.terminated_at, detail.event_id)
            result = self.customers.terminate(
                detail.customer_id, iso(detail.terminated_at), detail.entity_version, detail.event_id, steps
            )
            if result in (WriteResult.APPLIED, WriteResult.DUPLICATE):
                self.retention.schedule_steps(detail.customer_id, detail.terminated_at, target_arn)
            return result, detail.customer_id
        if isinstance(detail, events.CustomerReinstated):
            cancel = self.retention.cancel_ops(detail.customer_id, detail.event_id)
            result = self.customers.reinstate(detail.customer_id, detail.entity_version, detail.event_id, cancel)
            if result in (WriteResult.APPLIED, WriteResult.DUPLICATE):
                self.retention.after_reinstatement(detail.customer_id)
            return result, detail.customer_id
        if isinstance(detail, events.RectificationCompleted | events.RectificationRefused):  # rights (issue 10)
            return self._apply_rectification(detail), detail.customer_id
        return self._apply_billing(detail)

    def _apply_rectification(self, detail: events.RectificationCompleted | events.RectificationRefused) -> WriteResult:
        if self.rectifications is None:
            raise RuntimeError("rectification answers need the rights requests (selfcare.rights.crm)")
        if isinstance(detail, events.RectificationCompleted):
            return self.rectifications.close(
                detail.customer_id, detail.request_id, completed=True, at=detail.completed_at, event_id=detail.event_id
            )
        return self.rectifications.close(
            detail.customer_id,
            detail.request_id,
            completed=False,
            at=detail.refused_at,
            event_id=detail.event_id,
            reason=detail.reason,
        )

    def _login_key_moves(self, profile: CustomerProfile) -> list[KeyMove]:
        """Identity (issue 8): the moves of the contact email's and mobile's login keys, if they change."""
        current = self.customers.get_profile(profile.customer_id) if self.login_keys else None
        if self.login_keys is None or current is None:
            return []
        email = normalize_email(profile.contact_email) if profile.contact_email else None
        mobile = (normalize_phone(profile.contact_mobile) or profile.contact_mobile) if profile.contact_mobile else None
        numbers = self.login_keys.line_numbers(profile.customer_id) if mobile != current.contact_mobile else ()
        account = current.account_number
        return [
            self.login_keys.contact_move(
                profile.customer_id, account, IdentifierKind.EMAIL, current.contact_email, email
            ),
            self.login_keys.contact_move(
                profile.customer_id, account, IdentifierKind.PHONE, current.contact_mobile, mobile, numbers
            ),
        ]

    def _apply_billing(self, detail: events.EventDetail) -> tuple[WriteResult, str]:
        customer_id: str = getattr(detail, "customer_id")  # noqa: B009 - every billing event has one
        if self.billing is None:
            raise RuntimeError("billing events need the billing read model (selfcare.dal.billing)")
        if self.customers.get_profile(customer_id) is None:
            return WriteResult.MISSING, customer_id
        if isinstance(detail, events.InvoiceIssued):
            invoice = invoice_of(customer_id, detail.invoice)
            return self.billing.project_invoice(invoice, detail.entity_version, detail.event_id), customer_id
        if isinstance(detail, events.PaymentReceived):
            payment = payment_of(customer_id, detail.payment)
            return self.billing.project_payment(payment, detail.entity_version, detail.event_id), customer_id
        if isinstance(detail, events.UsageRecordsBatch):
            records = [usage_of(customer_id, record) for record in detail.records]
            return self.billing.project_usage(records, detail.event_id), customer_id
        raise TypeError(f"no projection for {type(detail).__name__}")

    def _settle(
        self, result: WriteResult, raw: Any, detail: events.EventDetail, detail_type: str, customer_id: str
    ) -> Outcome:
        if result is WriteResult.APPLIED:
            return Outcome.APPLIED
        if result is WriteResult.DUPLICATE:
            return Outcome.DUPLICATE
        reason, explanation = _rejection(result, detail, customer_id)
        return self._reject(reason, explanation, raw, event_id=detail.event_id, detail_type=detail_type)

    def _reject(
        self,
        reason: RejectReason,
        explanation: str,
        raw: Any,
        *,
        event_id: str | None = None,
        detail_type: str | None = None,
    ) -> Outcome:
        if detail_type is None and isinstance(raw, Mapping):
            value = raw.get("detail-type")
            detail_type = value if isinstance(value, str) else None
        self.dead_letters.send(
            DeadLetter(reason=reason, explanation=explanation, event=raw, event_id=event_id, detail_type=detail_type)
        )
        # Identifiers and the reason code only: the explanation may name a customer id, the event holds personal data.
        logger.warning(
            "CRM event rejected", extra={"reason": reason.value, "event_id": event_id, "detail_type": detail_type}
        )
        count(f"CrmEventRejected_{reason.value}")
        return Outcome.REJECTED

    # Retention commands (selfcare.retention.service) -----------------------------------------------------------
    def command(self, raw: Mapping[str, Any]) -> Outcome:
        name, customer_id = raw.get("command"), raw.get("customer_id")
        if name == RECONCILE_COMMAND:
            self.retention.reconcile()
            return Outcome.APPLIED
        if name not in {step.value for step in Step} or not isinstance(customer_id, str):
            return self._reject(
                RejectReason.UNKNOWN_COMMAND, "expected {command: Hide|Anonymise, customer_id} or Reconcile", raw
            )
        return self.step(Step(name), customer_id)

    def step(self, step: Step, customer_id: str) -> Outcome:
        outcome = self.retention.run(step, customer_id)
        if outcome is None:
            raw = {"command": step.value, "customer_id": customer_id}
            return self._reject(RejectReason.UNKNOWN_CUSTOMER, f"customer {customer_id} is not in the read model", raw)
        return outcome

    def anonymise_command(self, customer_id: str) -> Outcome:
        return self.step(Step.ANONYMISE, customer_id)
