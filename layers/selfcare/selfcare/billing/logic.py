"""Bills and payments: summary (last invoice, amount due), paying the amount due through the payment
provider's hosted page and settling it from the provider's signed webhook, billing settings (banking
information needs Permission.BANKING), payment history (6 months), invoices (12 months) and their
PDFs (presigned URLs), usage detail (6 months) with signed cursors and a CSV export.

Reads cost one DynamoDB call (the summary item; one Query bounded by the age limit). Staff reads are
audited (SPEC.md: every staff access is logged); every change is audited in its own transaction.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from selfcare import csv_cells
from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.billing.models import (
    USAGE_MONTHS,
    BillingAddress,
    BillingSettings,
    BillingSummary,
    Invoice,
    InvoiceType,
    Payment,
    PaymentMethod,
    PaymentStatus,
    UsageRecord,
    UsageType,
)
from selfcare.billing.signing import open_cursor, sign_cursor, verify_webhook
from selfcare.clock import Clock, add_months, epoch, iso
from selfcare.dal.billing import BillingRepository, ConditionFailed, decode_key, encode_key, payment_sk
from selfcare.dal.crm_outbox import outbox_put_op
from selfcare.dal.invoice_documents import InvoiceDocuments
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.errors import (
    Conflict,
    FieldProblem,
    InvalidInput,
    NotFound,
    NothingToPay,
    PaymentDeclined,
    PaymentProviderUnavailable,
    WebhookReplayed,
)
from selfcare.ports.crm_events import CrmEvent
from selfcare.ports.hash_key import HashKeySource
from selfcare.ports.payments import (
    PaymentDeclinedError,
    PaymentProvider,
    PaymentProviderError,
    PaymentRequest,
)

EXPORT_MAX_ROWS = 20_000
WEBHOOK_MEMORY_SECONDS = 7 * 86400  # processed webhook ids kept (far past the signature's tolerance)
CSV_COLUMNS = (
    "line_number",
    "started_at",
    "type",
    "origin_country",
    "destination_country",
    "called_number",
    "duration_seconds",
    "quantity",
    "volume_bytes",
    "amount_excl_tax_cents",
)


@dataclass(frozen=True)
class UsageQuery:
    line_id: str
    usage_type: UsageType | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class UsagePage:
    line_id: str
    records: list[UsageRecord]
    next_cursor: str | None
    window_start: str  # the effective bounds (the age limit applied)
    window_end: str


@dataclass(frozen=True)
class InvoiceDownload:
    invoice_id: str
    url: str
    expires_in_seconds: int


@dataclass(frozen=True)
class WebhookOutcome:
    payment_id: str
    status: PaymentStatus


@dataclass(frozen=True)
class PaymentConfig:
    return_url: str
    webhook_tolerance_seconds: int = 300
    invoice_url_ttl_seconds: int = 300


def mask_iban(iban: str) -> str:
    """`FR7630006000011234567890189` -> `FR76 **** 0189`: country, check digits, last 4."""
    return f"{iban[:4]} **** {iban[-4:]}"


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check."""
    if len(iban) < 15 or len(iban) > 34 or not iban[:2].isalpha() or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


class BillingService:
    def __init__(
        self,
        repository: BillingRepository,
        lines: LineItemsRepository,
        logs: LogsRepository,
        documents: InvoiceDocuments,
        provider: PaymentProvider,
        webhook_secret: HashKeySource,
        cursor_key: HashKeySource,
        clock: Clock,
        config: PaymentConfig,
    ) -> None:
        self.repository = repository
        self.lines = lines
        self.logs = logs
        self.documents = documents
        self.provider = provider
        self.webhook_secret = webhook_secret
        self.cursor_key = cursor_key
        self.clock = clock
        self.config = config

    # Reads (one DynamoDB call each) ------------------------------------------------------------
    def summary(self, caller: Caller, request: RequestInfo) -> BillingSummary:
        customer_id = authorize(caller, Permission.READ)
        summary = self.repository.summary(customer_id)
        self._log_staff_read(caller, request, customer_id, "billing.summary.viewed", "billing")
        return summary

    def invoices(self, caller: Caller, request: RequestInfo) -> list[Invoice]:
        customer_id = authorize(caller, Permission.READ)
        found = self.repository.invoices(customer_id, self.clock.now())
        self._log_staff_read(caller, request, customer_id, "billing.invoices.viewed", "invoices")
        return found

    def payments(self, caller: Caller, request: RequestInfo) -> list[Payment]:
        customer_id = authorize(caller, Permission.READ)
        found = self.repository.payments(customer_id, self.clock.now())
        self._log_staff_read(caller, request, customer_id, "billing.payments.viewed", "payments")
        return found

    def invoice_download(self, caller: Caller, request: RequestInfo, invoice_id: str) -> InvoiceDownload:
        """A short-lived presigned URL of an invoice's PDF, for an invoice of the last 12 months."""
        customer_id = authorize(caller, Permission.READ)
        now = self.clock.now()
        invoice = self.repository.invoice(customer_id, invoice_id, epoch(now))
        if invoice is None or invoice.pdf_key is None or invoice.issued_at < iso(add_months(now, -12)):
            raise NotFound("No such invoice.")
        ttl = self.config.invoice_url_ttl_seconds
        url = self.documents.download_url(invoice.pdf_key, ttl, f"invoice-{invoice.invoice_id}.pdf")
        self._log_staff_read(caller, request, customer_id, "billing.invoice.downloaded", f"invoice#{invoice_id}")
        return InvoiceDownload(invoice.invoice_id, url, ttl)

    # Usage -------------------------------------------------------------------------------------
    def usage(self, caller: Caller, request: RequestInfo, query: UsageQuery) -> UsagePage:
        """One page of a line's usage, newest first. The window is bounded by now - 6 months in the
        key condition itself; the cursor is bound to the customer and to the query."""
        customer_id = authorize(caller, Permission.READ)
        low, high = self._window(query)
        signature = self._query_signature(query, low, high)
        start_key = None
        if query.cursor:
            position = open_cursor(self.cursor_key.key(), customer_id, signature, query.cursor)
            start_key = decode_key(position)
        records, last = self.repository.usage_page(
            customer_id, query.line_id, query.usage_type, low, high, query.limit, start_key
        )
        # Nothing in the window: tell an unknown (or another customer's) line from a quiet one.
        if not records and start_key is None and self.lines.line(customer_id, query.line_id) is None:
            raise NotFound("No such line.")
        next_cursor = sign_cursor(self.cursor_key.key(), customer_id, signature, encode_key(last)) if last else None
        self._log_staff_read(caller, request, customer_id, "billing.usage.viewed", f"line#{query.line_id}")
        return UsagePage(query.line_id, records, next_cursor, low, high)

    def usage_csv(self, caller: Caller, request: RequestInfo, query: UsageQuery) -> str:
        """Every record of the window as CSV (one row per record, SPEC.md's fields)."""
        customer_id = authorize(caller, Permission.READ)
        low, high = self._window(query)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        count = 0
        for record in self._all_usage(customer_id, query, low, high):
            writer.writerow(
                [
                    record.line_number,
                    record.started_at,
                    record.usage_type.value,
                    record.origin_country,
                    record.destination_country or "",
                    csv_cells.cell(record.called_number or ""),
                    "" if record.duration_seconds is None else record.duration_seconds,
                    "" if record.quantity is None else record.quantity,
                    "" if record.volume_bytes is None else record.volume_bytes,
                    record.amount_excl_tax_cents,
                ]
            )
            count += 1
        if count == 0 and self.lines.line(customer_id, query.line_id) is None:
            raise NotFound("No such line.")
        self._log_staff_read(caller, request, customer_id, "billing.usage.exported", f"line#{query.line_id}")
        return out.getvalue()

    def _all_usage(self, customer_id: str, query: UsageQuery, low: str, high: str) -> Iterator[UsageRecord]:
        start = None
        produced = 0
        while produced < EXPORT_MAX_ROWS:
            records, start = self.repository.usage_page(
                customer_id, query.line_id, query.usage_type, low, high, 1000, start
            )
            yield from records[: EXPORT_MAX_ROWS - produced]
            produced += len(records)
            if start is None:
                return

    def _window(self, query: UsageQuery) -> tuple[str, str]:
        now = self.clock.now()
        oldest = add_months(now, -USAGE_MONTHS)
        since = max(query.since, oldest) if query.since else oldest
        until = min(query.until, now) if query.until else now
        if since > until:
            raise InvalidInput([FieldProblem(("query", "from"), "`from` must be before `to`.", "date_range")])
        return iso(since), iso(until)

    @staticmethod
    def _query_signature(query: UsageQuery, low: str, high: str) -> str:
        # The window's explicit bounds only (not the moving "now"): a cursor stays valid while paging.
        kind = query.usage_type.value if query.usage_type else "*"
        since = iso(query.since) if query.since else "-"
        until = iso(query.until) if query.until else "-"
        del low, high
        return f"{query.line_id}|{kind}|{since}|{until}|{query.limit}"

    # Settings ----------------------------------------------------------------------------------
    def set_address(self, caller: Caller, request: RequestInfo, address: BillingAddress) -> BillingSettings:
        customer_id = authorize(caller, Permission.MODIFY)
        return self._change_settings(
            caller,
            request,
            customer_id,
            lambda s: replace(s, address=address),
            "BillingAddressChanged",
            {"billing_address": {k: v for k, v in vars(address).items() if v is not None}},
        )

    def set_invoice_type(self, caller: Caller, request: RequestInfo, invoice_type: InvoiceType) -> BillingSettings:
        customer_id = authorize(caller, Permission.MODIFY)
        return self._change_settings(
            caller,
            request,
            customer_id,
            lambda s: replace(s, invoice_type=invoice_type),
            "InvoiceTypeChanged",
            {"invoice_type": invoice_type.value},
        )

    def set_payment_method(
        self, caller: Caller, request: RequestInfo, kind: str, iban: str | None, holder: str | None
    ) -> BillingSettings:
        """Banking information: Permission.BANKING (customer-service advisors may not). The read model
        keeps the masked IBAN only; the CRM (which sets up the mandate) gets the full one."""
        customer_id = authorize(caller, Permission.BANKING)
        if kind == "direct_debit":
            normalised = (iban or "").replace(" ", "").upper()
            if not iban_valid(normalised):
                raise InvalidInput([FieldProblem(("body", "iban"), "Not a valid IBAN.", "iban")])
            method = PaymentMethod(kind=kind, masked=mask_iban(normalised), holder=holder)
            payload = {"payment_method": {"kind": kind, "iban": normalised, "holder": holder}}
        else:
            method = PaymentMethod(kind=kind)
            payload = {"payment_method": {"kind": kind}}
        return self._change_settings(
            caller, request, customer_id, lambda s: replace(s, payment_method=method), "PaymentMethodChanged", payload
        )

    def _change_settings(
        self,
        caller: Caller,
        request: RequestInfo,
        customer_id: str,
        change: object,
        event_type: str,
        payload: Mapping[str, object],
    ) -> BillingSettings:
        """The read model, the audit entry and the event for the CRM (the outbox: the CRM is the record, and
        hears of every change that was made, and only of those) in one transaction."""
        assert callable(change)
        summary = self.repository.summary(customer_id)
        settings: BillingSettings = change(summary.settings)
        now = self.clock.now()
        event = CrmEvent(
            event_type=event_type,
            customer_id=customer_id,
            occurred_at=iso(now),
            event_id=str(uuid.uuid4()),
            payload={**payload, "by": caller.actor},
        )
        entry = self._entry(caller, request, customer_id, f"billing.{_snake(event_type)}", "billing.settings", now)
        try:
            self.repository.apply(
                [
                    self.repository.settings_op(summary, settings),
                    self.logs.audit_op(entry, now),
                    outbox_put_op(self.repository.table, event, now),
                ]
            )
        except ConditionFailed as error:
            raise Conflict("The billing settings changed meanwhile: read them again.") from error
        return settings

    # Payments ----------------------------------------------------------------------------------
    def pay(self, caller: Caller, request: RequestInfo, client_key: str | None = None) -> Payment:
        """Pay the amount due on the provider's hosted page: answers the pending payment (with the
        page's URL). Never two charges: while a payment is pending, a new request (with any key)
        answers that same payment; its id is the provider's idempotency key."""
        customer_id = authorize(caller, Permission.MODIFY)
        for _ in range(3):
            summary = self.repository.summary(customer_id)
            pending = summary.pending_payment
            if pending is not None:
                payment = self.repository.payment(customer_id, pending.payment_sk)
                if payment is None:  # pragma: no cover - written in the same transaction
                    raise Conflict()
                if payment.redirect_url:
                    return payment
                return self._create_at_provider(payment)  # the provider had not answered: ask again
            if summary.amount_due_cents <= 0:
                raise NothingToPay()
            now = self.clock.now()
            basis = f"{customer_id}|{summary.version}|{summary.amount_due_cents}|{client_key or ''}"
            payment_id = "pay_" + hashlib.sha256(basis.encode()).hexdigest()[:24]
            payment = Payment(
                payment_id=payment_id,
                customer_id=customer_id,
                at=iso(now),
                amount_cents=summary.amount_due_cents,
                currency=summary.currency,
                status=PaymentStatus.PENDING,
                method="hosted payment page",
                source="space",
            )
            entry = self._entry(caller, request, customer_id, "billing.payment.started", f"payment#{payment_id}", now)
            try:
                # The intent first: whatever happens at the provider afterwards is never lost.
                self.repository.apply(
                    [*self.repository.start_payment_ops(summary, payment), self.logs.audit_op(entry, now)]
                )
            except ConditionFailed:
                continue  # another request started one meanwhile: answer that one
            return self._create_at_provider(payment)
        raise Conflict("Payments are being started concurrently: try again.")

    def _create_at_provider(self, payment: Payment) -> Payment:
        sk = payment_sk(payment.at, payment.payment_id)
        try:
            hosted = self.provider.create_payment(
                PaymentRequest(
                    payment_id=payment.payment_id,
                    idempotency_key=payment.payment_id,
                    amount_cents=payment.amount_cents,
                    currency=payment.currency,
                    return_url=self.config.return_url,
                )
            )
        except PaymentDeclinedError as error:
            with contextlib.suppress(ConditionFailed):  # settled meanwhile: nothing to record
                self.repository.apply(self.repository.fail_pending_ops(payment, sk, "declined"))
            raise PaymentDeclined() from error
        except PaymentProviderError as error:
            # Timeout: it stays pending (perhaps created at the provider); asking again reuses the key.
            raise PaymentProviderUnavailable() from error
        with contextlib.suppress(ConditionFailed):  # settled meanwhile (the webhook was faster than us)
            self.repository.apply(self.repository.set_redirect_op(payment.customer_id, sk, hosted.redirect_url))
        return replace(payment, redirect_url=hosted.redirect_url)

    def webhook(self, headers_signature: str | None, body: str, request: RequestInfo) -> WebhookOutcome:
        """Settle a payment from the provider's webhook: signature (HMAC-SHA256 over timestamp and
        body) and freshness checked, each webhook id processed once (replays refused)."""
        now = self.clock.now()
        verify_webhook(
            self.webhook_secret.key(), headers_signature, body, epoch(now), self.config.webhook_tolerance_seconds
        )
        try:
            event = json.loads(body)
            webhook_id = str(event["webhook_id"])
            payment_id = str(event["payment_id"])
            status = {"succeeded": PaymentStatus.SUCCEEDED, "declined": PaymentStatus.FAILED}[event["status"]]
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput([FieldProblem(("body",), "Not a payment webhook.", "webhook")]) from error
        ref = self.repository.payment_ref(payment_id)
        payment = self.repository.payment(*ref) if ref else None
        if ref is None or payment is None:
            raise NotFound("No such payment.")
        reason = None if status is PaymentStatus.SUCCEEDED else "declined"
        entry = AuditEntry(
            actor="system#payment-provider",
            on_behalf_of=f"customer#{payment.customer_id}",
            action=f"billing.payment.{status.value}",
            target=f"payment#{payment_id}",
            at=iso(now),
            request_id=request.request_id,
            grant_id=None,
        )
        ops = self.repository.settle_ops(
            payment, ref[1], status, reason, webhook_id, epoch(now) + WEBHOOK_MEMORY_SECONDS
        )
        try:
            self.repository.apply([*ops, self.logs.audit_op(entry, now)])
        except ConditionFailed as error:
            # 0: this webhook id was processed; 1 or 2: the payment is settled already.
            raise WebhookReplayed() from error
        return WebhookOutcome(payment_id, status)

    # Helpers -------------------------------------------------------------------------------------
    def _log_staff_read(self, caller: Caller, request: RequestInfo, customer_id: str, action: str, target: str) -> None:
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(self._entry(caller, request, customer_id, action, target, now), now)

    def _entry(
        self, caller: Caller, request: RequestInfo, customer_id: str, action: str, target: str, now: datetime
    ) -> AuditEntry:
        return AuditEntry(
            actor=caller.actor,
            on_behalf_of=f"customer#{customer_id}",
            action=action,
            target=target,
            at=iso(now),
            request_id=request.request_id,
            grant_id=caller.grant_id,
        )


def _snake(event_type: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in event_type).lstrip("_")


__all__ = ["BillingService", "PaymentConfig", "UsagePage", "UsageQuery"]
