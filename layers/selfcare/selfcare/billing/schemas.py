"""Request and response models of the billing capability (the HTTP boundary)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from selfcare.api.schema import Schema
from selfcare.billing.logic import InvoiceDownload, UsagePage, WebhookOutcome
from selfcare.billing.models import (
    BillingAddress,
    BillingSettings,
    BillingSummary,
    Invoice,
    InvoiceStatus,
    InvoiceType,
    Payment,
    PaymentStatus,
    UsageRecord,
    UsageType,
)
from selfcare.lines.schemas import Command

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2 (format)
Text = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{2,12}$")]


class LastInvoiceView(Schema):
    invoice_id: str
    issued_at: str
    amount_cents: int
    currency: str
    due_date: str


class PendingPaymentView(Schema):
    payment_id: str
    amount_cents: int
    created_at: str
    redirect_url: str | None = Field(description="The provider's hosted page, where to complete it")


class BillingSummaryView(Schema):
    amount_due_cents: int = Field(description="What remains to pay (negative: a credit)")
    currency: str
    last_invoice: LastInvoiceView | None
    pending_payment: PendingPaymentView | None

    @staticmethod
    def of(summary: BillingSummary) -> BillingSummaryView:
        last = summary.last_invoice
        pending = summary.pending_payment
        return BillingSummaryView(
            amount_due_cents=summary.amount_due_cents,
            currency=summary.currency,
            last_invoice=LastInvoiceView(**vars(last)) if last else None,
            pending_payment=PendingPaymentView(
                payment_id=pending.payment_id,
                amount_cents=pending.amount_cents,
                created_at=pending.created_at,
                redirect_url=pending.redirect_url,
            )
            if pending
            else None,
        )


class AddressBody(Command):
    line1: Text
    line2: Text | None = None
    postal_code: PostalCode
    city: Text
    country: Country

    def model(self) -> BillingAddress:
        return BillingAddress(self.line1, self.postal_code, self.city, self.country, self.line2)


class BillingAddressView(Schema):
    line1: str
    line2: str | None
    postal_code: str
    city: str
    country: str


class PaymentMethodView(Schema):
    kind: str = Field(description="direct_debit, card or transfer")
    masked: str | None = Field(description="Masked IBAN or card number: never the full one")
    holder: str | None


class SettingsView(Schema):
    address: BillingAddressView | None
    invoice_type: InvoiceType
    payment_method: PaymentMethodView | None

    @staticmethod
    def of(settings: BillingSettings) -> SettingsView:
        a, m = settings.address, settings.payment_method
        return SettingsView(
            address=BillingAddressView(
                line1=a.line1, line2=a.line2, postal_code=a.postal_code, city=a.city, country=a.country
            )
            if a
            else None,
            invoice_type=settings.invoice_type,
            payment_method=PaymentMethodView(kind=m.kind, masked=m.masked, holder=m.holder) if m else None,
        )


class InvoiceTypeBody(Command):
    invoice_type: InvoiceType


class PaymentMethodBody(Command):
    kind: Literal["direct_debit", "transfer"] = Field(
        description="Cards are registered on the payment provider's page, never sent here"
    )
    iban: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 ]{15,42}$")] | None = Field(
        None, description="Required for direct_debit; stored masked only"
    )
    holder: Text | None = None


class InvoiceView(Schema):
    invoice_id: str
    issued_at: str
    amount_cents: int
    currency: str
    due_date: str
    status: InvoiceStatus
    downloadable: bool

    @staticmethod
    def of(invoice: Invoice) -> InvoiceView:
        return InvoiceView(
            invoice_id=invoice.invoice_id,
            issued_at=invoice.issued_at,
            amount_cents=invoice.amount_cents,
            currency=invoice.currency,
            due_date=invoice.due_date,
            status=invoice.status,
            downloadable=invoice.pdf_key is not None,
        )


class Invoices(Schema):
    invoices: list[InvoiceView] = Field(description="The last 12 months, newest first")


class InvoiceDownloadView(Schema):
    invoice_id: str
    url: str = Field(description="Presigned URL of the PDF (GET it without credentials)")
    expires_in_seconds: int

    @staticmethod
    def of(download: InvoiceDownload) -> InvoiceDownloadView:
        return InvoiceDownloadView(
            invoice_id=download.invoice_id, url=download.url, expires_in_seconds=download.expires_in_seconds
        )


class PaymentView(Schema):
    payment_id: str
    at: str
    amount_cents: int
    currency: str
    status: PaymentStatus
    method: str = Field(description="Masked")
    source: str = Field(description="crm (billing system) or space (made here)")
    invoice_id: str | None
    redirect_url: str | None = Field(description="While pending: the provider's hosted page")
    reason: str | None

    @staticmethod
    def of(payment: Payment) -> PaymentView:
        return PaymentView(
            payment_id=payment.payment_id,
            at=payment.at,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            status=payment.status,
            method=payment.method,
            source=payment.source,
            invoice_id=payment.invoice_id,
            redirect_url=payment.redirect_url,
            reason=payment.reason,
        )


class Payments(Schema):
    payments: list[PaymentView] = Field(description="The last 6 months, newest first")


class WebhookAnswer(Schema):
    payment_id: str
    status: PaymentStatus

    @staticmethod
    def of(outcome: WebhookOutcome) -> WebhookAnswer:
        return WebhookAnswer(payment_id=outcome.payment_id, status=outcome.status)


class BillingUsageRecordView(Schema):
    record_id: str
    line_number: str
    started_at: str
    type: UsageType
    origin_country: str
    destination_country: str | None
    called_number: str | None
    duration_seconds: int | None
    quantity: int | None
    volume_bytes: int | None
    amount_excl_tax_cents: int

    @staticmethod
    def of(record: UsageRecord) -> BillingUsageRecordView:
        return BillingUsageRecordView(
            record_id=record.record_id,
            line_number=record.line_number,
            started_at=record.started_at,
            type=record.usage_type,
            origin_country=record.origin_country,
            destination_country=record.destination_country,
            called_number=record.called_number,
            duration_seconds=record.duration_seconds,
            quantity=record.quantity,
            volume_bytes=record.volume_bytes,
            amount_excl_tax_cents=record.amount_excl_tax_cents,
        )


class UsagePageView(Schema):
    line_id: str
    records: list[BillingUsageRecordView]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; absent on the last")
    window_start: str = Field(description="Oldest time covered (never before now - 6 months)")
    window_end: str

    @staticmethod
    def of(page: UsagePage) -> UsagePageView:
        return UsagePageView(
            line_id=page.line_id,
            records=[BillingUsageRecordView.of(r) for r in page.records],
            next_cursor=page.next_cursor,
            window_start=page.window_start,
            window_end=page.window_end,
        )
