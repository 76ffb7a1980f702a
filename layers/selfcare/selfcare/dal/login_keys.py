"""Customers' login keys follow their record: the operations that move a contact's key with the contact.

A customer's login keys (selfcare.dal.credentials: contact email and mobile, line numbers, account number, login
id) are items of the customers table. When a contact email or mobile changes (in the space, or by the CRM through
the projection), the caller adds these operations to the transaction that changes the record: the old key goes
(only while it names this customer, and not when it is also one of its line numbers), the new one comes (only if
free or already this customer's). A new key held by another customer fails the transaction: a conflict, never a
takeover. A customer without a credential (not activated: no key for its account number) has no key to move.
"""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.dal.credentials import customer_login_item_key, login_key
from selfcare.dal.dynamo import RawItem, batch_get_keys, client, from_raw, to_raw, values
from selfcare.identifiers import IdentifierKind


@dataclass(frozen=True)
class KeyMove:
    operations: list[RawItem]
    # Index, within `operations`, of the Put of the new key (its condition failing means: held by another).
    claim_index: int | None = None
    claimed: str | None = None  # that new key


class CustomerLoginKeys:
    def __init__(self, customers_table: str) -> None:
        self.table = customers_table

    def line_numbers(self, customer_id: str) -> tuple[str, ...]:
        """The numbers of the customer's lines (login keys too): one Query of its partition's lines."""
        response = client().query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :line)",
            FilterExpression="attribute_exists(#n)",
            ProjectionExpression="#n",
            ExpressionAttributeNames={"#n": "number"},
            ExpressionAttributeValues=values(pk=f"CUSTOMER#{customer_id}", line="LINE#"),
        )
        return tuple(str(from_raw(item)["number"]) for item in response.get("Items", []))

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
        held = {pk: item for pk, item in batch_get_keys({self.table: wanted}).items()}
        if held.get(account_key, {}).get("principal_id") != customer_id:
            return KeyMove([])  # no credential: nothing to move
        operations: list[RawItem] = []
        still_a_line = kind is IdentifierKind.PHONE and old in line_numbers
        if old_key and held.get(old_key, {}).get("principal_id") == customer_id and not still_a_line:
            operations.append(
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": customer_login_item_key(old_key),
                        "ConditionExpression": "principal_id = :me",
                        "ExpressionAttributeValues": values(me=customer_id),
                    }
                }
            )
        claim_index = None
        if new:
            claim_index = len(operations)
            operations.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_raw(
                            {
                                **from_raw(customer_login_item_key(login_key(kind, new))),
                                "principal_id": customer_id,
                                "principal_type": "customer",
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk) OR principal_id = :me",
                        "ExpressionAttributeValues": values(me=customer_id),
                    }
                }
            )
        return KeyMove(operations, claim_index, login_key(kind, new) if new else None)
