"""Customers table: pending verification codes, in the partition of the customer who asked for them.

Items:
- `CUSTOMER#<id>` / `VERIFY#<kind>`: a contact change waiting for the code sent to the new address;
- `CUSTOMER#<id>` / `VERIFY#link`: a code sent to another account's contact, for this customer to link it
  (bound to the target customer: `target_customer_id`, and the digest covers both customers);
- `CUSTOMER#<id>` / `THROTTLE#link_codes`: how many link codes this customer asked for in the current window.
At most one pending code per customer and kind (a new request replaces the previous one). The code is stored as
a digest only; `attempts` counts wrong codes; the item is deleted when the code is used. Not in the Sessions
table: the account function has no right on sessions or credentials (tests/infra/test_stack.py). Reads treat an
item past `expires_at` as absent, whatever the TTL deletion's lag; an unused item stays until then.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from selfcare.account.models import ContactKind, LinkCodeChannel, PendingContactChange, PendingLinkCode
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import RawItem, client, from_raw, is_condition_failure, key, live, to_raw, values

LINK_CODE = "VERIFY#link"
LINK_CODE_THROTTLE = "THROTTLE#link_codes"


def verification_key(kind: ContactKind, customer_id: str) -> RawItem:
    return key(pk=customer_pk(customer_id), sk=f"VERIFY#{kind.value}")


def _link_code_key(customer_id: str) -> RawItem:
    return key(pk=customer_pk(customer_id), sk=LINK_CODE)


@dataclass(frozen=True)
class Allowance:
    """The answer of a counted request: allowed, or refused until `retry_after` seconds from now."""

    allowed: bool
    retry_after: int = 0


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
        self._count_failure(verification_key(pending.kind, pending.customer_id), pending.attempts, pending.code_digest)

    def consume_op(self, pending: PendingContactChange, now: int) -> RawItem:
        """Delete the pending change if it is still this one, unexpired, with no failure counted since."""
        return self._consume_op(
            verification_key(pending.kind, pending.customer_id), pending.attempts, pending.code_digest, now
        )

    def _count_failure(self, item_key: RawItem, attempts: int, code_digest: str) -> None:
        try:
            client().update_item(
                TableName=self.table,
                Key=item_key,
                UpdateExpression="SET attempts = attempts + :one",
                ConditionExpression="attempts = :seen AND code_digest = :digest",
                ExpressionAttributeValues=values(one=1, seen=attempts, digest=code_digest),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def _consume_op(self, item_key: RawItem, attempts: int, code_digest: str, now: int) -> RawItem:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": item_key,
                "ConditionExpression": "code_digest = :digest AND attempts = :seen AND expires_at > :now",
                "ExpressionAttributeValues": values(digest=code_digest, seen=attempts, now=now),
            }
        }

    # Link codes (account unification) ----------------------------------------------------------------
    def put_link_code(self, pending: PendingLinkCode) -> None:
        item = {
            "pk": customer_pk(pending.customer_id),
            "sk": LINK_CODE,
            "target_customer_id": pending.target_customer_id,
            "channel": pending.channel.value,
            "code_digest": pending.code_digest,
            "expires_at": pending.expires_at,
            "attempts": 0,
        }
        client().put_item(TableName=self.table, Item=to_raw(item))

    def get_link_code(self, customer_id: str, now: int) -> PendingLinkCode | None:
        raw = client().get_item(TableName=self.table, Key=_link_code_key(customer_id), ConsistentRead=True)
        item = live(from_raw(raw["Item"]) if "Item" in raw else None, now)
        if not item:
            return None
        return PendingLinkCode(
            customer_id=customer_id,
            target_customer_id=item["target_customer_id"],
            channel=LinkCodeChannel(item["channel"]),
            code_digest=item["code_digest"],
            expires_at=int(item["expires_at"]),
            attempts=int(item["attempts"]),
        )

    def count_link_code_failure(self, pending: PendingLinkCode) -> None:
        """One more wrong code, unless another request counted it first (then nothing to do)."""
        self._count_failure(_link_code_key(pending.customer_id), pending.attempts, pending.code_digest)

    def consume_link_code_op(self, pending: PendingLinkCode, now: int) -> RawItem:
        """Delete the code if it is still this one, unexpired, with no failure counted since (in the link's
        transaction: the code links once)."""
        return self._consume_op(_link_code_key(pending.customer_id), pending.attempts, pending.code_digest, now)

    def count_link_code_request(self, customer_id: str, now: int, limit: int, window_seconds: int) -> Allowance:
        """Count one link-code request of `customer_id`: at most `limit` per window (a fixed window that starts
        with the first request). One conditional write when allowed."""
        item_key = key(pk=customer_pk(customer_id), sk=LINK_CODE_THROTTLE)
        try:
            # Within a live window that still has room.
            client().update_item(
                TableName=self.table,
                Key=item_key,
                UpdateExpression="SET requests = requests + :one",
                ConditionExpression="expires_at > :now AND requests < :limit",
                ExpressionAttributeValues=values(one=1, now=now, limit=limit),
            )
            return Allowance(True)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        try:
            # No window, or an expired one: a new window.
            client().put_item(
                TableName=self.table,
                Item=to_raw({**from_raw(item_key), "requests": 1, "expires_at": now + window_seconds}),
                ConditionExpression="attribute_not_exists(sk) OR expires_at <= :now",
                ExpressionAttributeValues=values(now=now),
            )
            return Allowance(True)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        # A live window that is full (or a concurrent request just filled it).
        raw = client().get_item(TableName=self.table, Key=item_key, ConsistentRead=True)
        expires_at = int(from_raw(raw["Item"])["expires_at"]) if "Item" in raw else now + 1
        return Allowance(False, max(expires_at - now, 1))
