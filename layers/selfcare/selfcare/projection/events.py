"""Schemas of the events the operator's CRM and billing systems send (EventBridge, source "operator.crm").

Every event is an EventBridge envelope whose `detail-type` is the event's name and whose `detail` holds
`event_id` (unique, the idempotency key), `entity_version` (the version of the entity the event is about,
increasing: the customer for customer events, the invoice, payment or usage batch otherwise),
`occurred_at` (timezone-aware) and the typed record. Unknown fields are refused (a changed schema must be
noticed, not half-projected). The CRM sends payment methods masked: a detail that carries more than the
last four digits of an IBAN or card number is refused, so a full number never reaches the read model.

Sample events, one per type: events/*.json (tests/unit/test_projection_events.py validates them all).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from selfcare.types import E164, AccountNumber, CustomerId

CRM_SOURCE = "operator.crm"

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
EntityId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{8,128}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$", max_length=254)]
SecretCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]
Cents = Annotated[int, Field(ge=-10_000_000_000, le=10_000_000_000)]

_DIGIT = re.compile(r"[0-9]")


def _masked(value: str) -> str:
    """At most 4 digits in clear after the country code and check digits of an IBAN ("FR76 **** **** 0189")
    or of a card ("**** **** **** 4242"), and at least one mask character."""
    body = value[4:] if re.match(r"^[A-Z]{2}[0-9]{2}", value) else value
    if "*" not in value or len(_DIGIT.findall(body)) > 4:
        raise ValueError("the payment method must be masked (at most the last 4 digits in clear)")
    return value


MaskedNumber = Annotated[str, StringConstraints(min_length=4, max_length=40), AfterValidator(_masked)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CustomerType(StrEnum):
    CONSUMER = "consumer"
    BUSINESS = "business"


class Address(_Model):
    line1: ShortText
    line2: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(min_length=2, max_length=12)]
    city: ShortText
    country: Country


class SalesRepresentative(_Model):
    name: ShortText
    email: Email | None = None
    phone: E164 | None = None


class InvoiceType(StrEnum):
    PAPER = "paper"
    ELECTRONIC = "electronic"


class PaymentMethodKind(StrEnum):
    DIRECT_DEBIT = "direct_debit"
    CARD = "card"
    TRANSFER = "transfer"


class PaymentMethod(_Model):
    kind: PaymentMethodKind
    masked: MaskedNumber | None = None
    holder: ShortText | None = None


class BillingSettings(_Model):
    address: Address | None = None
    invoice_type: InvoiceType = InvoiceType.ELECTRONIC
    payment_method: PaymentMethod | None = None


class CustomerRecord(_Model):
    """The customer record of SPEC.md (Account and assistance), as the CRM holds it."""

    customer_id: CustomerId
    account_number: AccountNumber
    customer_type: CustomerType
    last_name: ShortText | None = None
    first_name: ShortText | None = None
    company_name: ShortText | None = None
    trade_name: ShortText | None = None
    address: Address
    sales_representative: SalesRepresentative | None = None
    contact_email: Email | None = None
    contact_mobile: E164 | None = None
    contact_landline: E164 | None = None
    service_secret_code: SecretCode
    digital_identity_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    billing: BillingSettings = BillingSettings()


class EventDetail(_Model):
    event_id: EventId
    entity_version: Annotated[int, Field(ge=1)]
    occurred_at: AwareDatetime


class CustomerCreated(EventDetail):
    customer: CustomerRecord

    @property
    def customer_id(self) -> str:
        return self.customer.customer_id


class CustomerUpdated(CustomerCreated):
    pass


class CustomerTerminated(EventDetail):
    customer_id: CustomerId
    terminated_at: AwareDatetime


class CustomerReinstated(EventDetail):
    """The termination is withdrawn (retention: the pending hide and anonymise steps are cancelled, a hidden space
    reopens). After the anonymisation it is refused (out_of_order): identification data does not come back."""

    customer_id: CustomerId
    reinstated_at: AwareDatetime


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    PAID = "paid"
    CANCELLED = "cancelled"


class Invoice(_Model):
    invoice_id: EntityId
    issued_at: AwareDatetime
    due_date: date
    amount_cents: Cents
    currency: Currency
    status: InvoiceStatus = InvoiceStatus.ISSUED
    pdf_reference: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9/_.-]{1,512}$")] | None = None


class InvoiceIssued(EventDetail):
    customer_id: CustomerId
    invoice: Invoice


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(_Model):
    payment_id: EntityId
    received_at: AwareDatetime
    amount_cents: Annotated[int, Field(gt=0, le=10_000_000_000)]
    currency: Currency
    status: PaymentStatus = PaymentStatus.SUCCEEDED
    method: PaymentMethod
    invoice_id: EntityId | None = None


class PaymentReceived(EventDetail):
    customer_id: CustomerId
    payment: Payment


class UsageType(StrEnum):
    CALL = "CALL"
    SMS = "SMS"
    MMS = "MMS"
    DATA = "DATA"


class UsageRecord(_Model):
    """One usage record with every field of SPEC.md (Bills and payments, usage detail)."""

    record_id: EntityId
    line_id: EntityId  # the line's id in the read model (the CRM's subscription id)
    line_number: E164
    started_at: AwareDatetime
    type: UsageType
    origin_country: Country
    destination_country: Country | None = None
    called_number: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{2,20}$")] | None = None
    duration_seconds: Annotated[int, Field(ge=0)] | None = None
    quantity: Annotated[int, Field(ge=0)] | None = None
    volume_bytes: Annotated[int, Field(ge=0)] | None = None
    amount_excl_tax_cents: Cents
    currency: Currency = "EUR"


class UsageRecordsBatch(EventDetail):
    customer_id: CustomerId
    batch_id: EntityId
    records: Annotated[list[UsageRecord], Field(min_length=1, max_length=1000)]


# Data-subject rights (issue 10): the CRM's answer to a rectification it received (RectificationRequested, sent
# through the outbox with the request id). `entity_version`: the request's version at the CRM (a request is
# answered once: a second answer is refused as `request_not_awaiting_crm`).
RequestId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class RectificationCompleted(EventDetail):
    """The CRM applied the rectification: the request is `completed`."""

    customer_id: CustomerId
    request_id: RequestId
    completed_at: AwareDatetime


class RectificationRefused(EventDetail):
    """The CRM refused the rectification (a reason code, never free text: e.g. `supporting_document_missing`)."""

    customer_id: CustomerId
    request_id: RequestId
    refused_at: AwareDatetime
    reason: ReasonCode


DETAIL_MODELS: dict[str, type[EventDetail]] = {
    "CustomerCreated": CustomerCreated,
    "CustomerUpdated": CustomerUpdated,
    "CustomerTerminated": CustomerTerminated,
    "InvoiceIssued": InvoiceIssued,
    "PaymentReceived": PaymentReceived,
    "UsageRecordsBatch": UsageRecordsBatch,
    # Retention (issue 9)
    "CustomerReinstated": CustomerReinstated,
    # Data-subject rights (issue 10): the CRM's answer to a rectification
    "RectificationCompleted": RectificationCompleted,
    "RectificationRefused": RectificationRefused,
}
EVENT_TYPES: tuple[str, ...] = tuple(DETAIL_MODELS)


class Envelope(BaseModel):
    """The EventBridge envelope (the detail is validated afterwards, by its detail-type)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, defer_build=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    source: Literal["operator.crm"]
    detail_type: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(alias="detail-type")
    time: str | None = None
    detail: dict[str, Any]
