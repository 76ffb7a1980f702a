"""Receipts of the CRM events the projection applied: one conditional item per event id, written in the
same transaction as the read-model change it made, so an event is applied at most once.

Stored in the idempotency table (key `id`, TTL `expiration`, as Powertools' records; the `crm-event#`
prefix keeps them apart). Kept 35 days: EventBridge retries for 24 hours at most and the dead-letter queue
keeps a message 14 days, so any replay of an applied event meets its receipt; an older replay still meets
the entity's version condition and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from botocore.exceptions import ClientError

from selfcare.dal.dynamo import RawItem, client, to_raw

RECEIPT_PREFIX = "crm-event#"
RECEIPT_TTL_SECONDS = 35 * 24 * 3600


class TransactionResult(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # the receipt exists: the event was applied before
    CONDITION_FAILED = "condition_failed"  # the read model's condition did not hold (stale or missing)


def receipt_put(table: str, event_id: str, now: int) -> RawItem:
    item = {"id": f"{RECEIPT_PREFIX}{event_id}", "expiration": now + RECEIPT_TTL_SECONDS, "applied_at": now}
    return {"Put": {"TableName": table, "Item": to_raw(item), "ConditionExpression": "attribute_not_exists(id)"}}


def write_with_receipt(operations: list[RawItem], receipts_table: str, event_id: str, now: int) -> TransactionResult:
    """The operations (each with its condition) and the event's receipt, all or nothing."""
    try:
        client().transact_write_items(TransactItems=[*operations, receipt_put(receipts_table, event_id, now)])
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        codes = [reason.get("Code") for reason in error.response.get("CancellationReasons") or []]
        if len(codes) == len(operations) + 1 and codes[-1] == "ConditionalCheckFailed":
            return TransactionResult.DUPLICATE
        if "ConditionalCheckFailed" in codes:
            return TransactionResult.CONDITION_FAILED
        raise
    return TransactionResult.APPLIED
