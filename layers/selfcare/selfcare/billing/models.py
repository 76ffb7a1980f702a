"""Bills and payments: domain entities (invoices, payments, the billing summary, usage records).

Amounts are integer cents. Times are ISO 8601 UTC strings (`selfcare.clock.iso`), which sort as
they compare. The stored items are built from these in selfcare.dal.billing, never served as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

INVOICE_MONTHS = 12  # SPEC.md, Retention: invoices shown 12 months
PAYMENT_MONTHS = 6  # payments shown 6 months
USAGE_MONTHS = 6  # usage shown 6 months

COUNTRY = re.compile(r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2 format (pycountry is not in the layer)


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    PAID = "paid"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    PENDING = "pending"  # created in the space, not settled by the provider yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined by the provider (or abandoned)


class InvoiceType(StrEnum):
    PAPER = "paper"
    ELECTRONIC = "electronic"


class UsageType(StrEnum):
    CALL = "CALL"
    SMS = "SMS"
    MMS = "MMS"
    DATA = "DATA"


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    customer_id: str
    issued_at: str
    amount_cents: int
    currency: str
    due_date: str  # YYYY-MM-DD
    status: InvoiceStatus = InvoiceStatus.ISSUED
    pdf_key: str | None = None  # S3 key of the PDF in the invoices bucket


@dataclass(frozen=True)
class Payment:
    payment_id: str
    customer_id: str
    at: str  # when it was made (created, for a payment made in the space)
    amount_cents: int
    currency: str
    status: PaymentStatus
    method: str  # masked: "card **** 4242", "direct debit FR76 **** 0189"
    source: str = "crm"  # "crm" (reported by the billing system) or "space" (made here)
    invoice_id: str | None = None
    redirect_url: str | None = None  # the provider's hosted page, while pending
    reason: str | None = None  # why it failed (a code, never the provider's free text)


@dataclass(frozen=True)
class BillingAddress:
    line1: str
    postal_code: str
    city: str
    country: str
    line2: str | None = None


@dataclass(frozen=True)
class PaymentMethod:
    """How the customer pays. Only the masked form is stored in the read model (never the full IBAN or
    card number): `kind` "direct_debit" with `masked` "FR76 **** **** 0189", or "card" with
    "**** **** **** 4242"; "transfer" has no detail."""

    kind: str
    masked: str | None = None
    holder: str | None = None


@dataclass(frozen=True)
class BillingSettings:
    address: BillingAddress | None = None
    invoice_type: InvoiceType = InvoiceType.ELECTRONIC
    payment_method: PaymentMethod | None = None


@dataclass(frozen=True)
class LastInvoice:
    invoice_id: str
    issued_at: str
    amount_cents: int
    currency: str
    due_date: str


@dataclass(frozen=True)
class PendingPayment:
    payment_id: str
    payment_sk: str
    amount_cents: int
    created_at: str
    redirect_url: str | None = None


@dataclass(frozen=True)
class BillingSummary:
    """The one item a summary read costs: last invoice, amount due, settings, a pending payment."""

    customer_id: str
    amount_due_cents: int = 0
    currency: str = "EUR"
    last_invoice: LastInvoice | None = None
    settings: BillingSettings = field(default_factory=BillingSettings)
    pending_payment: PendingPayment | None = None
    version: int = 0


@dataclass(frozen=True)
class UsageRecord:
    """One usage record (SPEC.md: line number, start date and time, type, origin and destination
    country, called number, duration / quantity / volume, amount excluding tax)."""

    record_id: str
    customer_id: str
    line_id: str
    line_number: str
    started_at: str
    usage_type: UsageType
    origin_country: str
    destination_country: str | None
    called_number: str | None
    duration_seconds: int | None = None  # calls
    quantity: int | None = None  # SMS, MMS
    volume_bytes: int | None = None  # DATA
    amount_excl_tax_cents: int = 0
