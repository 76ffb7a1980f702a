"""The billing read model's write methods (called by the CRM projection): idempotent by version and by
record id, the summary kept consistent in the same transaction."""

from __future__ import annotations

import os

from selfcare.billing.models import Invoice, InvoiceStatus, Payment, PaymentStatus, UsageRecord, UsageType
from selfcare.dal.billing import BillingRepository

from infra.local.resources import LocalResources


def _repo() -> BillingRepository:
    return BillingRepository(os.environ["CUSTOMERS_TABLE"])


def _invoice(
    amount: int = 4200, status: InvoiceStatus = InvoiceStatus.ISSUED, issued: str = "2026-11-01T00:00:00.000Z"
) -> Invoice:
    return Invoice("INV-1", "C-dal", issued, amount, "EUR", "2026-11-20", status, "invoices/C-dal/INV-1.pdf")


def _payment(status: PaymentStatus, amount: int = 4200) -> Payment:
    return Payment("PAY-1", "C-dal", "2026-11-05T10:00:00.000Z", amount, "EUR", status, "card **** 4242")


def test_invoice_replayed_and_out_of_order_changes_nothing(aws: LocalResources) -> None:
    # Given an invoice stored at version 2
    repo = _repo()
    assert repo.put_invoice(_invoice(), 1)
    assert repo.put_invoice(_invoice(amount=5000), 2)
    # When version 2 is replayed and version 1 arrives late
    assert not repo.put_invoice(_invoice(amount=5000), 2)
    assert not repo.put_invoice(_invoice(), 1)
    # Then the amount due counts the invoice once, at its latest version
    summary = repo.summary("C-dal")
    assert summary.amount_due_cents == 5000
    assert summary.last_invoice is not None and summary.last_invoice.amount_cents == 5000


def test_payment_moves_the_amount_due_once(aws: LocalResources) -> None:
    repo = _repo()
    repo.put_invoice(_invoice(), 1)
    assert repo.apply_payment(_payment(PaymentStatus.PENDING), 1)
    assert repo.summary("C-dal").amount_due_cents == 4200
    assert repo.apply_payment(_payment(PaymentStatus.SUCCEEDED), 2)
    assert not repo.apply_payment(_payment(PaymentStatus.SUCCEEDED), 2)
    assert repo.summary("C-dal").amount_due_cents == 0


def test_usage_records_replayed_are_written_once(aws: LocalResources) -> None:
    repo = _repo()
    record = UsageRecord(
        "U-1", "C-dal", "L-1", "+37761000001", "2026-11-02T08:00:00.000Z", UsageType.CALL, "MC", "FR",
        "+33612345678", duration_seconds=65, amount_excl_tax_cents=12,
    )  # fmt: skip
    repo.put_usage_records([record])
    repo.put_usage_records([record])
    page, last = repo.usage_page("C-dal", "L-1", None, "2026-05-01", "2026-11-30", 10)
    assert page == [record] and last is None
    typed, _ = repo.usage_page("C-dal", "L-1", UsageType.CALL, "2026-05-01", "2026-11-30", 10)
    assert typed == [record]
