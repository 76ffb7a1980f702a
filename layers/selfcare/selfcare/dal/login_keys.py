"""Customers' login keys follow their record: the operations that move a contact's key with the contact.

A customer's login keys (selfcare.dal.credentials: contact email and mobile, line numbers, account number, login
id) are items of the customers table. When a contact email or mobile changes (in the space, or by the CRM through
the projection), the caller adds these operations to the transaction that changes the record: the old key goes
(only while it names this customer, and not when it is also one of its line numbers), the new one comes (only if
free or already this customer's). A new key held by another customer fails the transaction: a conflict, never a
takeover. A customer without a credential (not activated: no key for its account number) has no key to move.

Line numbers follow the product inventory the same way (`line_move`): when the projection adds a line, changes its
number or ends it, the caller adds these operations to the transaction that writes the line. The old number's key
goes (only while it names this customer, and not while it is the contact mobile or another live line's number);
the new one comes only if free or already this customer's. A new number held by another customer's key is not
taken: the line is projected, the key is not given (`LineKeyMove.withheld`, a reason the caller logs and counts).
An ended line's number is no line number any more (`line_numbers` leaves ended lines out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from selfcare.dal.credentials import customer_login_item_key, login_key
from selfcare.dal.dynamo import RawItem, batch_get_keys, client, from_raw, to_raw, values
from selfcare.identifiers import IdentifierKind, normalize_phone
from selfcare.lines.models import LINE_ENDED

KEY_HELD_BY_ANOTHER = "login_key_held_by_another"


@dataclass(frozen=True)
class KeyMove:
    operations: list[RawItem]
    # Index, within `operations`, of the Put of the new key (its condition failing means: held by another).
    claim_index: int | None = None
    claimed: str | None = None  # that new key


@dataclass(frozen=True)
class LineKeyMove:
    """What moves a line number's login key: the operations to add to the line's transaction, and the new number's
    key when it was withheld (held by another customer: `reason`)."""

    operations: list[RawItem]
    withheld: str | None = None
    reason: str | None = None


class CustomerLoginKeys:
    def __init__(self, customers_table: str) -> None:
        self.table = customers_table

    def line_numbers(self, customer_id: str, *, except_line: str | None = None) -> tuple[str, ...]:
        """The numbers of the customer's live lines (login keys too), ended lines left out: a Query of its
        partition's lines (every page)."""
        numbers: list[str] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :line)",
            "FilterExpression": "attribute_exists(#n) AND (attribute_not_exists(#s) OR #s <> :ended)",
            "ProjectionExpression": "sk, #n",
            "ExpressionAttributeNames": {"#n": "number", "#s": "status"},
            "ExpressionAttributeValues": values(pk=f"CUSTOMER#{customer_id}", line="LINE#", ended=LINE_ENDED),
            "ConsistentRead": True,
        }
        while True:
            response = client().query(**request)
            for item in map(from_raw, response.get("Items", [])):
                if except_line is None or item["sk"] != f"LINE#{except_line}":
                    numbers.append(str(item["number"]))
            if "LastEvaluatedKey" not in response:
                return tuple(numbers)
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def line_move(
        self,
        customer_id: str,
        account_number: str,
        contact_mobile: str | None,
        line_id: str,
        old: str | None,
        new: str | None,
    ) -> LineKeyMove:
        """What moves the key of line `line_id`'s number from `old` to `new` (either None: a line added, or ended or
        left without a number): one BatchGetItem (is the customer activated, who holds each key) and, when the old
        key may go, one Query (is the number still another live line's). No write."""
        if old == new:
            return LineKeyMove([])
        account_key = login_key(IdentifierKind.ACCOUNT_NUMBER, account_number)
        old_key = login_key(IdentifierKind.PHONE, old) if old else None
        new_key = login_key(IdentifierKind.PHONE, new) if new else None
        wanted = [account_key] + [k for k in (old_key, new_key) if k]
        held = batch_get_keys({self.table: [customer_login_item_key(k) for k in wanted]})
        if held.get(account_key, {}).get("principal_id") != customer_id:
            return LineKeyMove([])  # not activated: no key to move (activation derives them from the lines)
        operations: list[RawItem] = []
        mobile = (normalize_phone(contact_mobile) or contact_mobile) if contact_mobile else None
        if (
            old_key
            and held.get(old_key, {}).get("principal_id") == customer_id
            and old != mobile
            and old not in self.line_numbers(customer_id, except_line=line_id)
        ):
            operations.append(self._delete_op(old_key, customer_id))
        if new_key:
            holder = held.get(new_key, {}).get("principal_id")
            if holder is not None and holder != customer_id:
                return LineKeyMove(operations, withheld=new_key, reason=KEY_HELD_BY_ANOTHER)
            operations.append(self._put_op(new_key, customer_id))
        return LineKeyMove(operations)

    def _delete_op(self, login: str, customer_id: str) -> RawItem:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": customer_login_item_key(login),
                "ConditionExpression": "principal_id = :me",
                "ExpressionAttributeValues": values(me=customer_id),
            }
        }

    def _put_op(self, login: str, customer_id: str) -> RawItem:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(
                    {
                        **from_raw(customer_login_item_key(login)),
                        "principal_id": customer_id,
                        "principal_type": "customer",
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk) OR principal_id = :me",
                "ExpressionAttributeValues": values(me=customer_id),
            }
        }

    def held_by_another(self, customer_id: str, logins: list[str]) -> bool:
        """Whether one of these login keys names another customer (why a move's transaction failed)."""
        found = batch_get_keys({self.table: [customer_login_item_key(login) for login in logins]})
        return any(item.get("principal_id") != customer_id for item in found.values())

    def contact_move(
        self,
        customer_id: str,
        account_number: str,
        kind: IdentifierKind,
        old: str | None,
        new: str | None,
        line_numbers: tuple[str, ...] = (),
    ) -> KeyMove:
        """What moves the key of one contact (EMAIL or PHONE, normalised values) from `old` to `new`: one
        BatchGetItem (is the customer activated, does it hold the old key), no write."""
        if old == new:
            return KeyMove([])
        account_key = login_key(IdentifierKind.ACCOUNT_NUMBER, account_number)
        old_key = login_key(kind, old) if old else None
        wanted = [customer_login_item_key(account_key)] + ([customer_login_item_key(old_key)] if old_key else [])
        held = batch_get_keys({self.table: wanted})
        if held.get(account_key, {}).get("principal_id") != customer_id:
            return KeyMove([])  # no credential: nothing to move
        operations: list[RawItem] = []
        still_a_line = kind is IdentifierKind.PHONE and old in line_numbers
        if old_key and held.get(old_key, {}).get("principal_id") == customer_id and not still_a_line:
            operations.append(self._delete_op(old_key, customer_id))
        claim_index = None
        if new:
            claim_index = len(operations)
            operations.append(self._put_op(login_key(kind, new), customer_id))
        return KeyMove(operations, claim_index, login_key(kind, new) if new else None)
