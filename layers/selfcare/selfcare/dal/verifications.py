"""Customers table: pending verification codes of contact changes, in the customer's partition.

Item `CUSTOMER#<id>` / `VERIFY#<kind>`: at most one pending change per customer and kind (a new request
replaces the previous code). The code is stored as a digest only; `attempts` counts wrong codes; the
item is deleted when the code is used. Not in the Sessions table: the account function has no right on
sessions or credentials (tests/infra/test_stack.py). The Customers table has no TTL, so reads treat an item
past `expires_at` as absent; an unused item stays (one per kind per customer, replaced by the next request).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from selfcare.account.models import ContactKind, PendingContactChange
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import RawItem, client, from_raw, is_condition_failure, key, live, to_raw, values


def verification_key(kind: ContactKind, customer_id: str) -> RawItem:
    return key(pk=customer_pk(customer_id), sk=f"VERIFY#{kind.value}")


class VerificationsRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def put(self, pending: PendingContactChange) -> None:
        item = {
            "pk": customer_pk(pending.customer_id),
            "sk": f"VERIFY#{pending.kind.value}",
            "contact_kind": pending.kind.value,
            "value": pending.value,
            "code_digest": pending.code_digest,
            "expires_at": pending.expires_at,
            "attempts": 0,
        }
        client().put_item(TableName=self.table, Item=to_raw(item))

    def get(self, kind: ContactKind, customer_id: str, now: int) -> PendingContactChange | None:
        raw = client().get_item(TableName=self.table, Key=verification_key(kind, customer_id), ConsistentRead=True)
        item = live(from_raw(raw["Item"]) if "Item" in raw else None, now)
        if not item:
            return None
        return PendingContactChange(
            customer_id=customer_id,
            kind=ContactKind(item["contact_kind"]),
            value=item["value"],
            code_digest=item["code_digest"],
            expires_at=int(item["expires_at"]),
            attempts=int(item["attempts"]),
        )

    def count_failure(self, pending: PendingContactChange) -> None:
        """One more wrong code, unless another request counted it first (then nothing to do)."""
        try:
            client().update_item(
                TableName=self.table,
                Key=verification_key(pending.kind, pending.customer_id),
                UpdateExpression="SET attempts = attempts + :one",
                ConditionExpression="attempts = :seen AND code_digest = :digest",
                ExpressionAttributeValues=values(one=1, seen=pending.attempts, digest=pending.code_digest),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def consume_op(self, pending: PendingContactChange, now: int) -> RawItem:
        """Delete the pending change if it is still this one, unexpired, with no failure counted since."""
        return {
            "Delete": {
                "TableName": self.table,
                "Key": verification_key(pending.kind, pending.customer_id),
                "ConditionExpression": "code_digest = :digest AND attempts = :seen AND expires_at > :now",
                "ExpressionAttributeValues": values(digest=pending.code_digest, seen=pending.attempts, now=now),
            }
        }
