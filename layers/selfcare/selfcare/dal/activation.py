"""Activation of the web account, and the CAPTCHA's replay store.

Customers table (read): a customer record found by its account number or one of its line numbers, through the
sparse indexes `by_account_number` (profile items, and link items that also carry an account number: filtered
out) and `by_line_number` (line items). Eventually consistent: a record projected a second ago may be missed.

Sessions table:
- `ACTIVATION#<identifier digest>`: the pending activation code of the customer that identifier names (customer
  id, code digest, code expiry, wrong tries), and how many codes were sent in the current window (`requests`,
  `window_ends`); the item expires with the later of the two (TTL).
- `CAPTCHA#<challenge signature>`: a solved CAPTCHA challenge, kept until the challenge expires.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from selfcare.account.models import CustomerProfile
from selfcare.dal.customers import PROFILE, _profile
from selfcare.dal.dynamo import RawItem, client, from_raw, is_condition_failure, key, to_raw, values
from selfcare.lines.models import LINE_ENDED

BY_ACCOUNT_NUMBER = "by_account_number"
BY_LINE_NUMBER = "by_line_number"


@dataclass(frozen=True)
class PendingActivation:
    identifier_digest: str
    customer_id: str
    code_digest: str
    code_expires_at: int
    attempts: int


def _activation_key(identifier_digest: str) -> RawItem:
    return key(pk=f"ACTIVATION#{identifier_digest}")


class ActivationRepository:
    def __init__(self, sessions_table: str, customers_table: str) -> None:
        self.sessions_table = sessions_table
        self.customers_table = customers_table

    # Customers (read model) ------------------------------------------------------------------------
    def customer_by_account_number(self, account_number: str) -> CustomerProfile | None:
        """The record with this account number: one Query of the index (which projects every attribute)."""
        response = client().query(
            TableName=self.customers_table,
            IndexName=BY_ACCOUNT_NUMBER,
            KeyConditionExpression="account_number = :n",
            FilterExpression="sk = :profile",
            ExpressionAttributeValues=values(n=account_number, profile=PROFILE),
        )
        items = [from_raw(item) for item in response.get("Items", [])]
        return _profile(items[0]) if len(items) == 1 else None

    def customer_id_by_line_number(self, number: str) -> str | None:
        response = client().query(
            TableName=self.customers_table,
            IndexName=BY_LINE_NUMBER,
            KeyConditionExpression="#n = :n",
            ExpressionAttributeNames={"#n": "number"},
            ExpressionAttributeValues=values(n=number),
            ProjectionExpression="pk, sk",
        )
        owners = {str(from_raw(item)["pk"]).removeprefix("CUSTOMER#") for item in response.get("Items", [])}
        return owners.pop() if len(owners) == 1 else None

    def customer_with_lines(self, customer_id: str) -> tuple[CustomerProfile | None, list[str], int | None]:
        """The record (consistent), its live lines' numbers and its version: one Query."""
        response = client().query(
            TableName=self.customers_table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="sk = :profile OR begins_with(sk, :line)",
            ExpressionAttributeValues=values(pk=f"CUSTOMER#{customer_id}", profile=PROFILE, line="LINE#"),
            ConsistentRead=True,
        )
        profile: CustomerProfile | None = None
        numbers: list[str] = []
        version: int | None = None
        for item in map(from_raw, response.get("Items", [])):
            if item["sk"] == PROFILE:
                profile = _profile(item)
                version = int(item["version"]) if item.get("version") is not None else None
            elif item.get("number") and item.get("status") != LINE_ENDED:  # an ended line's number is no key
                numbers.append(str(item["number"]))
        return profile, numbers, version

    def record_unchanged_check(self, customer_id: str, version: int | None) -> RawItem:
        """The record is still the version read (its contacts and numbers made the login keys) and not ended."""
        condition = "attribute_exists(pk) AND attribute_not_exists(terminated_at)"
        if version is None:
            return {
                "ConditionCheck": {
                    "TableName": self.customers_table,
                    "Key": key(pk=f"CUSTOMER#{customer_id}", sk=PROFILE),
                    "ConditionExpression": condition + " AND attribute_not_exists(version)",
                }
            }
        return {
            "ConditionCheck": {
                "TableName": self.customers_table,
                "Key": key(pk=f"CUSTOMER#{customer_id}", sk=PROFILE),
                "ConditionExpression": condition + " AND version = :v",
                "ExpressionAttributeValues": values(v=version),
            }
        }

    # Pending codes ---------------------------------------------------------------------------------
    def put_code(self, pending: PendingActivation, now: int, limit: int, window_seconds: int) -> bool:
        """Store a new code (replacing the previous one), counted: False when `limit` codes were already sent
        for this identifier in the current window (nothing written). One write in the usual case."""
        fields = {
            "customer_id": pending.customer_id,
            "code_digest": pending.code_digest,
            "code_expires_at": pending.code_expires_at,
            "attempts": 0,
        }
        item_key = _activation_key(pending.identifier_digest)
        try:
            # No window yet, or the last one is over: a new window.
            client().put_item(
                TableName=self.sessions_table,
                Item=to_raw(
                    {
                        **from_raw(item_key),
                        **fields,
                        "kind": "activation",
                        "requests": 1,
                        "window_ends": now + window_seconds,
                        "expires_at": now + window_seconds,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR window_ends <= :now",
                ExpressionAttributeValues=values(now=now),
            )
            return True
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        try:
            client().update_item(
                TableName=self.sessions_table,
                Key=item_key,
                UpdateExpression="SET customer_id = :c, code_digest = :d, code_expires_at = :e, attempts = :zero, "
                "requests = requests + :one",
                ConditionExpression="window_ends > :now AND requests < :limit",
                ExpressionAttributeValues=values(
                    c=pending.customer_id,
                    d=pending.code_digest,
                    e=pending.code_expires_at,
                    zero=0,
                    one=1,
                    now=now,
                    limit=limit,
                ),
            )
            return True
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        return False

    def get_code(self, identifier_digest: str, now: int) -> PendingActivation | None:
        raw = client().get_item(
            TableName=self.sessions_table, Key=_activation_key(identifier_digest), ConsistentRead=True
        )
        item = from_raw(raw["Item"]) if "Item" in raw else None
        if not item or item.get("kind") != "activation" or not item.get("code_digest"):
            return None
        if int(item["code_expires_at"]) <= now:
            return None
        return PendingActivation(
            identifier_digest=identifier_digest,
            customer_id=str(item["customer_id"]),
            code_digest=str(item["code_digest"]),
            code_expires_at=int(item["code_expires_at"]),
            attempts=int(item.get("attempts", 0)),
        )

    def count_failure(self, pending: PendingActivation) -> None:
        client().update_item(
            TableName=self.sessions_table,
            Key=_activation_key(pending.identifier_digest),
            UpdateExpression="ADD attempts :one",
            ExpressionAttributeValues=values(one=1),
        )

    def consume_op(self, pending: PendingActivation, now: int, max_attempts: int) -> RawItem:
        """Spend the code (it works once): only if it is still this code, unexpired, within its tries."""
        return {
            "Update": {
                "TableName": self.sessions_table,
                "Key": _activation_key(pending.identifier_digest),
                "UpdateExpression": "REMOVE code_digest, code_expires_at",
                "ConditionExpression": "code_digest = :d AND code_expires_at > :now AND attempts < :max",
                "ExpressionAttributeValues": values(d=pending.code_digest, now=now, max=max_attempts),
            }
        }

    # CAPTCHA replay store ----------------------------------------------------------------------------
    def use_once(self, challenge_id: str, expires_at: int) -> bool:
        try:
            client().put_item(
                TableName=self.sessions_table,
                Item=to_raw({"pk": f"CAPTCHA#{challenge_id}", "kind": "captcha", "expires_at": expires_at}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True
