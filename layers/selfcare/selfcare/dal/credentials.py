"""Credentials table: principals' credentials, staff login keys, per-address throttle counters; customers'
login keys sit in the customers table, next to the record they derive from.

Items:
- `LOGIN#<kind>#<value>` -> {principal_id, principal_type}: one per identifier a person may type. A customer's
  (contact email and mobile, line numbers, account number, login id) are in the customers table (sort key
  `LOGIN`), so that the account and projection functions move them in the transaction that changes the record,
  without any right on credentials; a staff member's (professional email) are here.
- `PRINCIPAL#<principal id>` -> the Credential (hash, throttle state, identifiers).
- `THROTTLE#IP#<keyed digest of the address>` -> {failures, blocked_until, cleared, expires_at}.
- `THROTTLE#ID#<keyed digest of the typed identifier>` -> {failures, cleared, expires_at}: failed logins per
  identifier, known or not (the login CAPTCHA); `cleared` is the failure count a solved CAPTCHA covered.
The digests are HMAC-SHA-256 under a key from Secrets Manager: neither the address nor the identifier is stored,
and neither can be found again by hashing candidates without the key.
"""

from __future__ import annotations

import hashlib
import hmac
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
from selfcare.ports.hash_key import HashKeySource


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


_COUNTER_KEY_LABEL = b"selfcare/login-failure-counters"


class CounterDigests:
    """Keyed digests (HMAC-SHA-256) naming the failure counters: an address or an identifier is personal data, and
    an unkeyed hash of an IPv4 address or a phone number is found again by hashing every candidate."""

    def __init__(self, key: HashKeySource) -> None:
        self._source = key
        self._key: bytes | None = None

    def _derived(self) -> bytes:
        if self._key is None:  # a key of its own, derived from the shared secret (domain separation)
            self._key = hmac.new(self._source.key(), _COUNTER_KEY_LABEL, hashlib.sha256).digest()
        return self._key

    def digest(self, kind: str, value: str) -> str:
        return hmac.new(self._derived(), f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()[:40]

    def address_key(self, source_ip: str) -> str:
        return "THROTTLE#IP#" + self.digest("ip", source_ip)

    def identifier_key(self, identifier: str) -> str:
        return "THROTTLE#ID#" + self.digest("identifier", identifier)


@dataclass(frozen=True)
class AddressThrottle:
    failures: int = 0
    blocked_until: int = 0
    cleared: int = 0  # the failures a solved CAPTCHA covered (login CAPTCHA)


@dataclass(frozen=True)
class FailureCounter:
    """Failed logins naming one identifier (known or not) in the current window."""

    failures: int = 0
    cleared: int = 0


@dataclass(frozen=True)
class Lookup:
    """What one BatchGetItem found: principal ids per lookup key, the address's throttle state and the typed
    identifier's failure counter."""

    principals: dict[str, str]  # login key -> principal id
    address: AddressThrottle
    identifier: FailureCounter = FailureCounter()


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
    def __init__(self, table: str, keys_table: str, counters: CounterDigests | None = None) -> None:
        self.table = table
        self.keys_table = keys_table  # the customers table: customers' login keys
        self._counters = counters  # only the functions that count login failures (auth) have the key

    @property
    def counters(self) -> CounterDigests:
        if self._counters is None:
            raise RuntimeError("this credentials repository was built without the failure counters' key")
        return self._counters

    def where(self, login: str) -> tuple[str, RawItem]:
        if is_customer_login(login):
            return self.keys_table, customer_login_item_key(login)
        return self.table, key(pk=login)

    # Reads -----------------------------------------------------------------------------------
    def lookup(self, login_keys: list[str], source_ip: str, now: int, identifier: str | None = None) -> Lookup:
        """One BatchGetItem (two tables): the login keys, the source address's throttle counter and, when given,
        the typed identifier's failure counter."""
        address_pk = self.counters.address_key(source_ip)
        requests: dict[str, list[RawItem]] = {self.table: [key(pk=address_pk)]}
        identifier_pk = self.counters.identifier_key(identifier) if identifier is not None else None
        if identifier_pk:
            requests[self.table].append(key(pk=identifier_pk))
        for login in dict.fromkeys(login_keys):
            table, item_key = self.where(login)
            requests.setdefault(table, []).append(item_key)
        found = batch_get_keys(requests)
        principals = {k: found[k]["principal_id"] for k in login_keys if k in found}
        throttle = live(found.get(address_pk), now)
        address = (
            AddressThrottle(
                int(throttle.get("failures", 0)), int(throttle.get("blocked_until", 0)), int(throttle.get("cleared", 0))
            )
            if throttle
            else AddressThrottle()
        )
        counted = live(found.get(identifier_pk), now) if identifier_pk else None
        failures = (
            FailureCounter(int(counted.get("failures", 0)), int(counted.get("cleared", 0)))
            if counted
            else FailureCounter()
        )
        return Lookup(principals, address, failures)

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
                        "pk": self.counters.address_key(source_ip),
                        "failures": throttle.failures,
                        "blocked_until": throttle.blocked_until,
                        "cleared": throttle.cleared,
                        "expires_at": expires_at,
                    }
                ),
            }
        }

    def address_cleared_op(self, source_ip: str, cleared: int) -> RawItem:
        """A solved CAPTCHA covered the address's failures so far (they still count towards its block)."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": key(pk=self.counters.address_key(source_ip)),
                "UpdateExpression": "SET cleared = :c",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": values(c=cleared),
            }
        }

    def identifier_failure_op(self, identifier: str, counter: FailureCounter, expires_at: int) -> RawItem:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(
                    {
                        "pk": self.counters.identifier_key(identifier),
                        "failures": counter.failures,
                        "cleared": counter.cleared,
                        "expires_at": expires_at,
                    }
                ),
            }
        }

    def identifier_reset_op(self, identifier: str) -> RawItem:
        return {"Delete": {"TableName": self.table, "Key": key(pk=self.counters.identifier_key(identifier))}}

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


__all__ = [
    "AddressThrottle",
    "ConditionFailed",
    "CounterDigests",
    "CredentialsRepository",
    "FailureCounter",
    "Lookup",
    "login_key",
]
