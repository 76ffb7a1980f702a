"""Credentials table: principals' credentials, staff login keys, per-address throttle counters; customers'
login keys sit in the customers table, next to the record they derive from.

Items:
- `LOGIN#<kind>#<value>` -> {principal_id, principal_type}: one per identifier a person may type. A customer's
  (contact email and mobile, line numbers, account number, login id) are in the customers table (sort key
  `LOGIN`), so that the account and projection functions move them in the transaction that changes the record,
  without any right on credentials; a staff member's (professional email) are here.
- `PRINCIPAL#<principal id>` -> the Credential (hash, throttle state, identifiers).
- `THROTTLE#IP#<digest of the address>` -> {failures, blocked_until, expires_at}.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from selfcare.auth.models import Credential
from selfcare.auth.policy import PrincipalType, StaffRole
from selfcare.dal.dynamo import (
    ConditionFailed,
    Item,
    RawItem,
    batch_get_keys,
    client,
    from_raw,
    key,
    live,
    to_raw,
    transact,
    values,
)
from selfcare.identifiers import IdentifierKind


def login_key(kind: IdentifierKind, value: str) -> str:
    return f"LOGIN#{kind.value}#{value}"


CUSTOMER_LOGIN_SK = "LOGIN"
_STAFF_LOGIN = login_key(IdentifierKind.STAFF_EMAIL, "")


def is_customer_login(login: str) -> bool:
    return not login.startswith(_STAFF_LOGIN)


def customer_login_item_key(login: str) -> RawItem:
    """Where a customer login key lives in the customers table."""
    return key(pk=login, sk=CUSTOMER_LOGIN_SK)


def principal_key(principal_id: str) -> str:
    return f"PRINCIPAL#{principal_id}"


def address_key(source_ip: str) -> str:
    # The address itself is personal data: the counter is keyed by its digest only.
    return "THROTTLE#IP#" + hashlib.sha256(source_ip.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AddressThrottle:
    failures: int = 0
    blocked_until: int = 0


@dataclass(frozen=True)
class Lookup:
    """What one BatchGetItem found: principal ids per lookup key, and the address's throttle state."""

    principals: dict[str, str]  # login key -> principal id
    address: AddressThrottle


def _credential(item: Item) -> Credential:
    return Credential(
        principal_type=PrincipalType(item["principal_type"]),
        principal_id=item["principal_id"],
        password_hash=item["password_hash"],
        password_changed_at=int(item["password_changed_at"]),
        failed_attempts=int(item.get("failed_attempts", 0)),
        locked_until=int(item.get("locked_until", 0)),
        login_id=item.get("login_id"),
        email=item.get("email"),
        phone=item.get("phone"),
        account_number=item.get("account_number"),
        digital_identity_id=item.get("digital_identity_id"),
        line_numbers=tuple(item.get("line_numbers") or ()),
        professional_email=item.get("professional_email"),
        role=StaffRole(item["role"]) if item.get("role") else None,
        account_closed=bool(item.get("account_closed", False)),
    )


def _credential_item(credential: Credential) -> Item:
    return {
        "pk": principal_key(credential.principal_id),
        "principal_type": credential.principal_type.value,
        "principal_id": credential.principal_id,
        "password_hash": credential.password_hash,
        "password_changed_at": credential.password_changed_at,
        "failed_attempts": credential.failed_attempts,
        "locked_until": credential.locked_until,
        "login_id": credential.login_id,
        "email": credential.email,
        "phone": credential.phone,
        "account_number": credential.account_number,
        "digital_identity_id": credential.digital_identity_id,
        "line_numbers": list(credential.line_numbers) or None,
        "professional_email": credential.professional_email,
        "role": credential.role.value if credential.role else None,
    }


def login_keys_of(credential: Credential) -> list[str]:
    """A customer's login keys, derived from the record: contact email and mobile, line numbers, account number,
    and the login id; a staff member's: the professional email."""
    if credential.principal_type is PrincipalType.STAFF:
        return [login_key(IdentifierKind.STAFF_EMAIL, credential.professional_email or "")]
    keys = []
    for kind, value in (
        (IdentifierKind.EMAIL, credential.email),
        (IdentifierKind.LOGIN_ID, credential.login_id),
        (IdentifierKind.PHONE, credential.phone),
        (IdentifierKind.ACCOUNT_NUMBER, credential.account_number),
    ):
        if value:
            keys.append(login_key(kind, value))
    keys.extend(login_key(IdentifierKind.PHONE, number) for number in credential.line_numbers)
    return list(dict.fromkeys(keys))  # the contact mobile is often a line number too: one key


class CredentialsRepository:
    def __init__(self, table: str, keys_table: str) -> None:
        self.table = table
        self.keys_table = keys_table  # the customers table: customers' login keys

    def where(self, login: str) -> tuple[str, RawItem]:
        if is_customer_login(login):
            return self.keys_table, customer_login_item_key(login)
        return self.table, key(pk=login)

    # Reads -----------------------------------------------------------------------------------
    def lookup(self, login_keys: list[str], source_ip: str, now: int) -> Lookup:
        """One BatchGetItem (two tables): the login keys and the source address's throttle counter."""
        requests: dict[str, list[RawItem]] = {self.table: [key(pk=address_key(source_ip))]}
        for login in dict.fromkeys(login_keys):
            table, item_key = self.where(login)
            requests.setdefault(table, []).append(item_key)
        found = batch_get_keys(requests)
        principals = {k: found[k]["principal_id"] for k in login_keys if k in found}
        throttle = live(found.get(address_key(source_ip)), now)
        address = (
            AddressThrottle(int(throttle.get("failures", 0)), int(throttle.get("blocked_until", 0)))
            if throttle
            else AddressThrottle()
        )
        return Lookup(principals, address)

    def get(self, principal_id: str) -> Credential | None:
        raw = client().get_item(TableName=self.table, Key=key(pk=principal_key(principal_id)), ConsistentRead=True)
        item = raw.get("Item")
        return _credential(from_raw(item)) if item else None

    def principal_for(self, login_key_value: str) -> str | None:
        table, item_key = self.where(login_key_value)
        raw = client().get_item(TableName=table, Key=item_key, ConsistentRead=True)
        item = raw.get("Item")
        return str(from_raw(item)["principal_id"]) if item else None

    # Writes (transaction operations) ------------------------------------------------------------
    def create_ops(self, credential: Credential) -> list[RawItem]:
        ops: list[RawItem] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_raw(_credential_item(credential)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        for login in login_keys_of(credential):
            ops.append(self.login_put_op(login, credential))
        return ops

    def login_put_op(self, login: str, credential: Credential) -> RawItem:
        table, item_key = self.where(login)
        return {
            "Put": {
                "TableName": table,
                "Item": to_raw(
                    {
                        **from_raw(item_key),
                        "principal_id": credential.principal_id,
                        "principal_type": credential.principal_type.value,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def login_delete_op(self, login: str, principal_id: str) -> RawItem:
        table, item_key = self.where(login)
        return {
            "Delete": {
                "TableName": table,
                "Key": item_key,
                "ConditionExpression": "principal_id = :p",
                "ExpressionAttributeValues": values(p=principal_id),
            }
        }

    def create(self, credential: Credential) -> None:
        transact(self.create_ops(credential))

    def success_op(self, principal_id: str, new_hash: str | None) -> RawItem:
        expression = "SET failed_attempts = :zero, locked_until = :zero"
        named: dict[str, Any] = {"zero": 0}
        if new_hash:
            expression += ", password_hash = :h"
            named["h"] = new_hash
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=principal_key(principal_id)),
                "UpdateExpression": expression,
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": values(**named),
            }
        }

    def failure_op(self, principal_id: str, locked_until: int) -> RawItem:
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=principal_key(principal_id)),
                "UpdateExpression": "ADD failed_attempts :one SET locked_until = :until",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": values(one=1, until=locked_until),
            }
        }

    def address_failure_op(self, source_ip: str, throttle: AddressThrottle, expires_at: int) -> RawItem:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(
                    {
                        "pk": address_key(source_ip),
                        "failures": throttle.failures,
                        "blocked_until": throttle.blocked_until,
                        "expires_at": expires_at,
                    }
                ),
            }
        }

    def password_op(self, principal_id: str, password_hash: str, changed_at: int) -> RawItem:
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=principal_key(principal_id)),
                "UpdateExpression": "SET password_hash = :h, password_changed_at = :at, "
                "failed_attempts = :zero, locked_until = :zero",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": values(h=password_hash, at=changed_at, zero=0),
            }
        }

    def login_id_op(self, principal_id: str, login_id: str) -> RawItem:
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=principal_key(principal_id)),
                "UpdateExpression": "SET login_id = :l",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": values(l=login_id),
            }
        }


__all__ = ["AddressThrottle", "ConditionFailed", "CredentialsRepository", "Lookup", "login_key"]
