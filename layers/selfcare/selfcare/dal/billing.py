r"""Bills, payments and usage in the Customers table (the read model): the item layout and its access.

Owned by the `billing` capability; the CRM projection writes through the write methods below
(`put_invoice`, `apply_payment`, `put_usage_records`, `put_settings`), which are idempotent by
version or by record id (conditional writes): a replayed or out-of-order event changes nothing.

Items (pk / sk, all strings; times ISO 8601 UTC, which sort as they compare):
- `CUSTOMER#<cid>` / `BILLING`: the billing summary (amount due, last invoice, settings with the
  payment method MASKED, the pending payment made in the space, `version`). Kept up to date in the
  same transaction as every invoice and payment write: the summary read is one GetItem.
- `CUSTOMER#<cid>` / `INVOICE#<issued_at>#<invoice_id>`: an invoice (`version`, `expires_at` =
  issued + 12 months), and `CUSTOMER#<cid>` / `INVOICE_ID#<invoice_id>`: its alias, found by the
  invoice id alone (the PDF download: one GetItem), written in the same transaction.
- `CUSTOMER#<cid>` / `PAYMENT#<at>#<payment_id>`: a payment (`version`, `expires_at` = at + 6
  months). `at` must not change between versions of one payment (it is in the key).
- `PAYREF#<payment_id>` / `PAYREF#<payment_id>`: which customer and item a payment made in the space
  is (the provider's webhook names the payment only).
- `WEBHOOK#<webhook id>` / `WEBHOOK#<webhook id>`: a processed provider webhook (replays refused),
  with a TTL well past the signature's tolerance.
- `USAGE#<cid>#<line_id>` / `<started_at>#<record_id>`: a usage record; and the same record again
  under `USAGE#<cid>#<line_id>#<TYPE>` (type filter). One partition per line (and per line and type)
  so that a page is one Query with a key condition only (no filter expression): a page costs the
  same calls and items read wherever it is in 10,000 records. `expires_at` = start + 6 months.

Queries bound their key conditions by the age limits (now - 12 months, now - 6 months): what is older
is never read, whatever the TTL deletion's lag.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from selfcare.billing.models import (
    INVOICE_MONTHS,
    PAYMENT_MONTHS,
    USAGE_MONTHS,
    BillingAddress,
    BillingSettings,
    BillingSummary,
    Invoice,
    InvoiceStatus,
    InvoiceType,
    LastInvoice,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PendingPayment,
    UsageRecord,
    UsageType,
)
from selfcare.clock import add_months, epoch, iso
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import (
    ConditionFailed,
    Item,
    RawItem,
    client,
    from_raw,
    key,
    live,
    to_raw,
    transact,
    values,
)

__all__ = ["BillingRepository", "ConditionFailed", "invoice_sk", "payment_sk", "usage_pk"]

SUMMARY = "BILLING"
_TOP = "\uffff"
_ATTEMPTS = 5  # optimistic-lock retries on the summary


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def invoice_alias_sk(invoice_id: str) -> str:
    """The sort key of an invoice's alias item (found by its id)."""
    return f"INVOICE_ID#{invoice_id}"


def invoice_sk(issued_at: str, invoice_id: str) -> str:
    return f"INVOICE#{issued_at}#{invoice_id}"


def payment_sk(at: str, payment_id: str) -> str:
    return f"PAYMENT#{at}#{payment_id}"


def usage_pk(customer_id: str, line_id: str, usage_type: UsageType | None = None) -> str:
    base = f"USAGE#{customer_id}#{line_id}"
    return f"{base}#{usage_type.value}" if usage_type else base


def usage_sk(started_at: str, record_id: str) -> str:
    return f"{started_at}#{record_id}"


def _payref(payment_id: str) -> str:
    return f"PAYREF#{payment_id}"


def _webhook(webhook_id: str) -> str:
    return f"WEBHOOK#{webhook_id}"


# Item mapping ----------------------------------------------------------------------------------
def _invoice(item: Item) -> Invoice:
    return Invoice(
        invoice_id=item["invoice_id"],
        customer_id=item["customer_id"],
        issued_at=item["issued_at"],
        amount_cents=int(item["amount_cents"]),
        currency=item["currency"],
        due_date=item["due_date"],
        status=InvoiceStatus(item["status"]),
        pdf_key=item.get("pdf_key"),
    )


def _payment(item: Item) -> Payment:
    return Payment(
        payment_id=item["payment_id"],
        customer_id=item["customer_id"],
        at=item["at"],
        amount_cents=int(item["amount_cents"]),
        currency=item["currency"],
        status=PaymentStatus(item["status"]),
        method=item["method"],
        source=item.get("source", "crm"),
        invoice_id=item.get("invoice_id"),
        redirect_url=item.get("redirect_url"),
        reason=item.get("reason"),
    )


def _usage(item: Item) -> UsageRecord:
    return UsageRecord(
        record_id=item["record_id"],
        customer_id=item["customer_id"],
        line_id=item["line_id"],
        line_number=item["line_number"],
        started_at=item["started_at"],
        usage_type=UsageType(item["usage_type"]),
        origin_country=item["origin_country"],
        destination_country=item.get("destination_country"),
        called_number=item.get("called_number"),
        duration_seconds=item.get("duration_seconds"),
        quantity=item.get("quantity"),
        volume_bytes=item.get("volume_bytes"),
        amount_excl_tax_cents=int(item.get("amount_excl_tax_cents", 0)),
    )


def _settings(raw: dict[str, Any] | None) -> BillingSettings:
    if not raw:
        return BillingSettings()
    address = raw.get("address")
    method = raw.get("payment_method")
    return BillingSettings(
        address=BillingAddress(**address) if address else None,
        invoice_type=InvoiceType(raw.get("invoice_type", InvoiceType.ELECTRONIC.value)),
        payment_method=PaymentMethod(**method) if method else None,
    )


def _settings_item(settings: BillingSettings) -> dict[str, Any]:
    return {
        "address": {k: v for k, v in asdict(settings.address).items() if v is not None} if settings.address else None,
        "invoice_type": settings.invoice_type.value,
        "payment_method": {k: v for k, v in asdict(settings.payment_method).items() if v is not None}
        if settings.payment_method
        else None,
    }


def _summary(customer_id: str, item: Item | None) -> BillingSummary:
    if item is None:
        return BillingSummary(customer_id=customer_id)
    last = item.get("last_invoice")
    pending = item.get("pending_payment")
    return BillingSummary(
        customer_id=customer_id,
        amount_due_cents=int(item.get("amount_due_cents", 0)),
        currency=item.get("currency", "EUR"),
        last_invoice=LastInvoice(**last) if last else None,
        settings=_settings(item.get("settings")),
        pending_payment=PendingPayment(**pending) if pending else None,
        version=int(item.get("version", 0)),
    )


def _summary_item(summary: BillingSummary) -> Item:
    return {
        "pk": customer_pk(summary.customer_id),
        "sk": SUMMARY,
        "amount_due_cents": summary.amount_due_cents,
        "currency": summary.currency,
        "last_invoice": asdict(summary.last_invoice) if summary.last_invoice else None,
        "settings": _settings_item(summary.settings),
        "pending_payment": {k: v for k, v in asdict(summary.pending_payment).items() if v is not None}
        if summary.pending_payment
        else None,
        "version": summary.version,
    }


def _usage_item(pk: str, record: UsageRecord) -> Item:
    item = asdict(record)
    item["usage_type"] = record.usage_type.value
    item |= {
        "pk": pk,
        "sk": usage_sk(record.started_at, record.record_id),
        "expires_at": epoch(add_months(_parse(record.started_at), USAGE_MONTHS)),
    }
    return item


def encode_key(last_evaluated_key: RawItem) -> str:
    """A LastEvaluatedKey as compact text (the logic signs it into a cursor)."""
    plain = {k: v["S"] for k, v in last_evaluated_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_key(text: str) -> RawItem:
    padded = text + "=" * (-len(text) % 4)
    plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
    return {str(k): {"S": str(v)} for k, v in plain.items()}


class BillingRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # Reads (one call each) -------------------------------------------------------------------
    def summary(self, customer_id: str) -> BillingSummary:
        """The billing summary: one GetItem (an empty summary when nothing was billed yet)."""
        raw = client().get_item(TableName=self.table, Key=key(pk=customer_pk(customer_id), sk=SUMMARY))
        return _summary(customer_id, from_raw(raw["Item"]) if "Item" in raw else None)

    def invoices(self, customer_id: str, now: datetime) -> list[Invoice]:
        """Invoices issued in the last 12 months, newest first: one Query whose key condition starts
        at now - 12 months (an invoice issued exactly then is still shown)."""
        since = add_months(now, -INVOICE_MONTHS)
        return [_invoice(i) for i in self._between(customer_id, "INVOICE#", since, now)]

    def payments(self, customer_id: str, now: datetime) -> list[Payment]:
        """Payments of the last 6 months, newest first: one Query bounded by now - 6 months."""
        since = add_months(now, -PAYMENT_MONTHS)
        return [_payment(i) for i in self._between(customer_id, "PAYMENT#", since, now)]

    def _between(self, customer_id: str, prefix: str, since: datetime, now: datetime) -> list[Item]:
        items: list[Item] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": values(
                pk=customer_pk(customer_id), low=f"{prefix}{iso(since)}", high=f"{prefix}{iso(now)}#{_TOP}"
            ),
            "ScanIndexForward": False,
        }
        while True:  # 12 months of invoices fit in one page; the loop is for safety only
            response = client().query(**request)
            items.extend(from_raw(r) for r in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def invoice(self, customer_id: str, invoice_id: str, now: int) -> Invoice | None:
        """An invoice by its id (its alias item): one GetItem; None when absent or past its expiry."""
        raw = client().get_item(
            TableName=self.table, Key=key(pk=customer_pk(customer_id), sk=invoice_alias_sk(invoice_id))
        )
        item = live(from_raw(raw["Item"]), now) if "Item" in raw else None
        return _invoice(item) if item else None

    def usage_page(
        self,
        customer_id: str,
        line_id: str,
        usage_type: UsageType | None,
        low: str,
        high: str,
        limit: int,
        start_key: RawItem | None = None,
    ) -> tuple[list[UsageRecord], RawItem | None]:
        """One page of a line's usage, newest first: ONE Query with a key condition only (`sk BETWEEN
        low AND high`, the bounds being ISO times; the caller bounds `low` by now - 6 months), `Limit`
        items read. Returns the records and the LastEvaluatedKey (None on the last page)."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": values(
                pk=usage_pk(customer_id, line_id, usage_type), low=low, high=f"{high}#{_TOP}"
            ),
            "ScanIndexForward": False,
            "Limit": limit,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        response = client().query(**request)
        records = [_usage(from_raw(r)) for r in response.get("Items", [])]
        return records, response.get("LastEvaluatedKey")

    def payment_ref(self, payment_id: str) -> tuple[str, str] | None:
        """(customer id, payment sort key) of a payment made in the space, by its id alone."""
        raw = client().get_item(TableName=self.table, Key=key(pk=_payref(payment_id), sk=_payref(payment_id)))
        if "Item" not in raw:
            return None
        item = from_raw(raw["Item"])
        return item["customer_id"], item["payment_sk"]

    def payment(self, customer_id: str, sk: str) -> Payment | None:
        raw = client().get_item(TableName=self.table, Key=key(pk=customer_pk(customer_id), sk=sk), ConsistentRead=True)
        return _payment(from_raw(raw["Item"])) if "Item" in raw else None

    # Writes of the projection (idempotent) ---------------------------------------------------
    def put_invoice(self, invoice: Invoice, version: int) -> bool:
        """Store an invoice at `version` (the CRM's version of the invoice, or its event sequence) and
        update the summary (amount due by the difference with the stored version, last invoice) in the
        same transaction. A version not newer than the stored one changes nothing: returns False."""
        pk = customer_pk(invoice.customer_id)
        sk = invoice_sk(invoice.issued_at, invoice.invoice_id)
        for _ in range(_ATTEMPTS):
            stored_raw = client().get_item(TableName=self.table, Key=key(pk=pk, sk=sk), ConsistentRead=True)
            stored = from_raw(stored_raw["Item"]) if "Item" in stored_raw else None
            if stored is not None and int(stored["version"]) >= version:
                return False
            summary = self._summary_consistent(invoice.customer_id)
            before = _invoice(stored) if stored else None
            delta = _due(invoice) - (_due(before) if before else 0)
            last = summary.last_invoice
            if last is None or (last.issued_at, last.invoice_id) <= (invoice.issued_at, invoice.invoice_id):
                last = LastInvoice(
                    invoice.invoice_id, invoice.issued_at, invoice.amount_cents, invoice.currency, invoice.due_date
                )
            new_summary = BillingSummary(
                customer_id=summary.customer_id,
                amount_due_cents=summary.amount_due_cents + delta,
                currency=invoice.currency,
                last_invoice=last,
                settings=summary.settings,
                pending_payment=summary.pending_payment,
                version=summary.version + 1,
            )
            item = asdict(invoice) | {
                "status": invoice.status.value,
                "pk": pk,
                "sk": sk,
                "version": version,
                "expires_at": epoch(add_months(_parse(invoice.issued_at), INVOICE_MONTHS)),
            }
            alias = item | {"sk": invoice_alias_sk(invoice.invoice_id)}
            try:
                transact(
                    [
                        self._versioned_put(item, stored),
                        {"Put": {"TableName": self.table, "Item": to_raw(alias)}},
                        self._summary_put(new_summary, summary.version),
                    ]
                )
                return True
            except ConditionFailed:
                continue  # someone wrote in between: read again
        raise ConditionFailed()

    def apply_payment(self, payment: Payment, version: int) -> bool:
        """Store a payment at `version` and move the amount due by what it changes (a payment counts
        when it has succeeded), in one transaction. Not newer than the stored version: no-op, False."""
        pk = customer_pk(payment.customer_id)
        sk = payment_sk(payment.at, payment.payment_id)
        for _ in range(_ATTEMPTS):
            stored_raw = client().get_item(TableName=self.table, Key=key(pk=pk, sk=sk), ConsistentRead=True)
            stored = from_raw(stored_raw["Item"]) if "Item" in stored_raw else None
            if stored is not None and int(stored.get("version", 0)) >= version:
                return False
            summary = self._summary_consistent(payment.customer_id)
            before = _payment(stored) if stored else None
            delta = _paid(payment) - (_paid(before) if before else 0)
            pending = summary.pending_payment
            if (
                pending is not None
                and pending.payment_id == payment.payment_id
                and payment.status != PaymentStatus.PENDING
            ):
                pending = None
            new_summary = BillingSummary(
                customer_id=summary.customer_id,
                amount_due_cents=summary.amount_due_cents - delta,
                currency=summary.currency,
                last_invoice=summary.last_invoice,
                settings=summary.settings,
                pending_payment=pending,
                version=summary.version + 1,
            )
            item = self._payment_item(payment, version)
            try:
                transact([self._versioned_put(item, stored), self._summary_put(new_summary, summary.version)])
                return True
            except ConditionFailed:
                continue
        raise ConditionFailed()

    def put_usage_records(self, records: list[UsageRecord]) -> None:
        """Store usage records (each under its line's partition and its line-and-type partition).
        Records are immutable and keyed by their id: writing one again writes the same item, so a
        replayed batch is harmless, and a batch that failed midway is completed by its replay.
        BatchWriteItem, 25 items a call, unprocessed items retried."""
        items: list[Item] = []
        for record in records:
            items.append(_usage_item(usage_pk(record.customer_id, record.line_id), record))
            items.append(_usage_item(usage_pk(record.customer_id, record.line_id, record.usage_type), record))
        for start in range(0, len(items), 25):
            request: dict[str, Any] = {
                self.table: [{"PutRequest": {"Item": to_raw(i)}} for i in items[start : start + 25]]
            }
            while request:
                response = client().batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}

    def put_settings(self, customer_id: str, settings: BillingSettings) -> None:
        """Billing settings as the CRM knows them (the payment method already masked)."""
        for _ in range(_ATTEMPTS):
            summary = self._summary_consistent(customer_id)
            try:
                transact([self.settings_op(summary, settings)])
                return
            except ConditionFailed:
                continue
        raise ConditionFailed()

    def crm_settings_op(self, customer_id: str, settings: BillingSettings) -> RawItem:
        """The CRM's billing settings, as one transaction item the projection writes with the customer's
        record and the event's receipt: unconditional on the summary (the record's version guards it), it
        sets the settings attribute only and bumps the version, so a change the space was making meanwhile
        fails its own version check and is read again rather than overwriting the CRM's."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=customer_pk(customer_id), sk=SUMMARY),
                "UpdateExpression": "SET settings = :settings, version = if_not_exists(version, :zero) + :one",
                "ExpressionAttributeValues": values(settings=_settings_item(settings), zero=0, one=1),
            }
        }

    # Operations for the capability's own changes (the logic adds the audit entry) ------------
    def settings_op(self, summary: BillingSummary, settings: BillingSettings) -> RawItem:
        """Replace the settings, if the summary is still at `summary.version`."""
        updated = BillingSummary(
            customer_id=summary.customer_id,
            amount_due_cents=summary.amount_due_cents,
            currency=summary.currency,
            last_invoice=summary.last_invoice,
            settings=settings,
            pending_payment=summary.pending_payment,
            version=summary.version + 1,
        )
        return self._summary_put(updated, summary.version)

    def start_payment_ops(self, summary: BillingSummary, payment: Payment) -> list[RawItem]:
        """A pending payment made in the space: its item, its reference, and the summary's pending
        payment, if the summary is still at its version (no other payment started in between)."""
        sk = payment_sk(payment.at, payment.payment_id)
        pending = PendingPayment(payment.payment_id, sk, payment.amount_cents, payment.at, payment.redirect_url)
        updated = BillingSummary(
            customer_id=summary.customer_id,
            amount_due_cents=summary.amount_due_cents,
            currency=summary.currency,
            last_invoice=summary.last_invoice,
            settings=summary.settings,
            pending_payment=pending,
            version=summary.version + 1,
        )
        ref: Item = {"pk": _payref(payment.payment_id), "sk": _payref(payment.payment_id)}
        ref |= {"customer_id": payment.customer_id, "payment_sk": sk}
        # Retention: the reference goes with its payment (TTL), never outliving it (selfcare.privacy.registry).
        ref |= {"expires_at": epoch(add_months(_parse(payment.at), PAYMENT_MONTHS))}
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_raw(self._payment_item(payment, 1)),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            },
            {"Put": {"TableName": self.table, "Item": to_raw(ref)}},
            self._summary_put(updated, summary.version),
        ]

    def set_redirect_op(self, customer_id: str, sk: str, redirect_url: str) -> list[RawItem]:
        """Record the provider's hosted-page URL on a pending payment and on the summary."""
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key(pk=customer_pk(customer_id), sk=sk),
                    "UpdateExpression": "SET redirect_url = :u",
                    "ConditionExpression": "#s = :pending",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values(u=redirect_url, pending=PaymentStatus.PENDING.value),
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key(pk=customer_pk(customer_id), sk=SUMMARY),
                    "UpdateExpression": "SET pending_payment.redirect_url = :u",
                    "ConditionExpression": "pending_payment.payment_sk = :sk",
                    "ExpressionAttributeValues": values(u=redirect_url, sk=sk),
                }
            },
        ]

    def settle_ops(
        self,
        payment: Payment,
        sk: str,
        status: PaymentStatus,
        reason: str | None,
        webhook_id: str,
        webhook_expires_at: int,
    ) -> list[RawItem]:
        """Settle a pending payment (succeeded or failed) once: the webhook's marker (a replay fails
        on it, index 0), the payment (must still be pending, index 1), and the summary (amount due
        down when it succeeded; the pending payment cleared), in one transaction."""
        pk = customer_pk(payment.customer_id)
        marker = {"pk": _webhook(webhook_id), "sk": _webhook(webhook_id), "expires_at": webhook_expires_at}
        paid = payment.amount_cents if status is PaymentStatus.SUCCEEDED else 0
        payment_update: dict[str, Any] = {
            "TableName": self.table,
            "Key": key(pk=pk, sk=sk),
            "UpdateExpression": "SET #s = :status, version = version + :one"
            + (", reason = :reason" if reason else "")
            + " REMOVE redirect_url",
            "ConditionExpression": "#s = :pending",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": values(
                status=status.value,
                one=1,
                pending=PaymentStatus.PENDING.value,
                **({"reason": reason} if reason else {}),
            ),
        }
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_raw(marker),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Update": payment_update},
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key(pk=pk, sk=SUMMARY),
                    "UpdateExpression": "SET amount_due_cents = amount_due_cents - :paid, version = version + :one "
                    "REMOVE pending_payment",
                    "ConditionExpression": "pending_payment.payment_id = :pid",
                    "ExpressionAttributeValues": values(paid=paid, one=1, pid=payment.payment_id),
                }
            },
        ]

    def fail_pending_ops(self, payment: Payment, sk: str, reason: str) -> list[RawItem]:
        """A payment the provider refused at creation: failed, and no longer pending on the summary."""
        pk = customer_pk(payment.customer_id)
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key(pk=pk, sk=sk),
                    "UpdateExpression": "SET #s = :failed, reason = :reason, version = version + :one",
                    "ConditionExpression": "#s = :pending",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values(
                        failed=PaymentStatus.FAILED.value, reason=reason, one=1, pending=PaymentStatus.PENDING.value
                    ),
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": key(pk=pk, sk=SUMMARY),
                    "UpdateExpression": "SET version = version + :one REMOVE pending_payment",
                    "ConditionExpression": "pending_payment.payment_id = :pid",
                    "ExpressionAttributeValues": values(one=1, pid=payment.payment_id),
                }
            },
        ]

    def apply(self, operations: list[RawItem]) -> None:
        """All operations in one transaction (ConditionFailed with the failing index)."""
        transact(operations)

    # Helpers ---------------------------------------------------------------------------------
    def _summary_consistent(self, customer_id: str) -> BillingSummary:
        raw = client().get_item(
            TableName=self.table, Key=key(pk=customer_pk(customer_id), sk=SUMMARY), ConsistentRead=True
        )
        return _summary(customer_id, from_raw(raw["Item"]) if "Item" in raw else None)

    def _summary_put(self, summary: BillingSummary, expected_version: int) -> RawItem:
        condition = "attribute_not_exists(sk)" if expected_version == 0 else "version = :expected"
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_raw(_summary_item(summary)),
            "ConditionExpression": condition,
        }
        if expected_version:
            put["ExpressionAttributeValues"] = values(expected=expected_version)
        return {"Put": put}

    def _versioned_put(self, item: Item, stored: Item | None) -> RawItem:
        put: dict[str, Any] = {"TableName": self.table, "Item": to_raw(item)}
        if stored is None:
            put["ConditionExpression"] = "attribute_not_exists(sk)"
        else:
            put["ConditionExpression"] = "version = :stored"
            put["ExpressionAttributeValues"] = values(stored=int(stored["version"]))
        return {"Put": put}

    def _payment_item(self, payment: Payment, version: int) -> Item:
        item = asdict(payment) | {
            "status": payment.status.value,
            "pk": customer_pk(payment.customer_id),
            "sk": payment_sk(payment.at, payment.payment_id),
            "version": version,
            "expires_at": epoch(add_months(_parse(payment.at), PAYMENT_MONTHS)),
        }
        return item


def _due(invoice: Invoice) -> int:
    """What an invoice adds to the amount due (a cancelled one adds nothing; a paid one was counted
    when issued and its payment takes it off)."""
    return 0 if invoice.status is InvoiceStatus.CANCELLED else invoice.amount_cents


def _paid(payment: Payment) -> int:
    return payment.amount_cents if payment.status is PaymentStatus.SUCCEEDED else 0
