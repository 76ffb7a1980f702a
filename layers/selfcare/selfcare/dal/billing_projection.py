"""The projection's writes of the billing read model: selfcare.dal.billing's write methods (owned by the
billing capability: versioned and idempotent by themselves) plus the event's receipt (selfcare.dal.receipts).

Their transactions are the billing dal's own, so the receipt is written right after a write that applied,
and read before each write: a replayed event meets its receipt (a duplicate, nothing written); a version
not newer than the stored one is stale. A crash between the write and its receipt makes a replay look stale
(a dead letter `out_of_order`, the read model already right): the price of not reaching into the billing
dal's transactions.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from selfcare.billing.models import BillingSettings, Invoice, Payment, UsageRecord
from selfcare.clock import Clock
from selfcare.dal.billing import BillingRepository
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import RawItem, client, is_condition_failure, key
from selfcare.dal.receipts import RECEIPT_PREFIX, receipt_put
from selfcare.projection.models import WriteResult


class BillingProjection:
    def __init__(self, customers_table: str, receipts_table: str, clock: Clock) -> None:
        self.billing = BillingRepository(customers_table)
        self.receipts_table = receipts_table
        self.clock = clock

    def _seen(self, event_id: str) -> bool:
        raw = client().get_item(
            TableName=self.receipts_table, Key=key(id=f"{RECEIPT_PREFIX}{event_id}"), ConsistentRead=True
        )
        return "Item" in raw

    def _receipt(self, event_id: str) -> None:
        now = int(self.clock.now().timestamp())
        put = receipt_put(self.receipts_table, event_id, now)["Put"]
        try:
            client().put_item(**put)
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def _settle(self, applied: bool, event_id: str) -> WriteResult:
        if applied:
            self._receipt(event_id)
            return WriteResult.APPLIED
        return WriteResult.STALE

    def settings_op(self, customer_id: str, settings: BillingSettings) -> RawItem:
        """The settings' write, for the transaction of the customer's record (selfcare.dal.customers)."""
        return self.billing.crm_settings_op(customer_id, settings)

    def project_invoice(self, invoice: Invoice, version: int, event_id: str) -> WriteResult:
        if self._seen(event_id):
            return WriteResult.DUPLICATE
        return self._settle(self.billing.put_invoice(invoice, version), event_id)

    def project_payment(self, payment: Payment, version: int, event_id: str) -> WriteResult:
        if self._seen(event_id):
            return WriteResult.DUPLICATE
        return self._settle(self.billing.apply_payment(payment, version), event_id)

    def project_usage(self, records: list[UsageRecord], event_id: str) -> WriteResult:
        """Usage records are immutable and keyed by id: a batch is never stale, a replay rewrites the same items."""
        if self._seen(event_id):
            return WriteResult.DUPLICATE
        self.billing.put_usage_records(records)
        self._usage_lines(records)
        self._receipt(event_id)
        return WriteResult.APPLIED

    def _usage_lines(self, records: list[UsageRecord]) -> None:
        """Retention: note which lines have usage partitions (`CUSTOMER#<id>` / `USAGE_LINES`), so that the
        anonymisation (selfcare.dal.erasure) finds them without a scan. One UpdateItem per customer and batch."""
        by_customer: dict[str, set[str]] = {}
        for record in records:
            by_customer.setdefault(record.customer_id, set()).add(record.line_id)
        for customer_id, line_ids in by_customer.items():
            client().update_item(
                TableName=self.billing.table,
                Key=key(pk=customer_pk(customer_id), sk="USAGE_LINES"),
                UpdateExpression="ADD line_ids :ids",
                ExpressionAttributeValues={":ids": {"SS": sorted(line_ids)}},
            )
