"""Erasure of a customer's data beyond the profile, when the anonymisation falls due (5 years after the end
of the contract: SPEC.md, Retention). The profile's own anonymisation (selfcare.dal.customers) is the
marker written last, so an erasure interrupted midway is simply done again by the retried command: every
step here is idempotent.

What happens to each item of the customer's partition (`CUSTOMER#<id>`):
- `PROFILE`: untouched here (anonymised by the caller, last).
- `CONSENT#...`: kept. Purpose, decision, time and channel prove what was consented to; they identify no one
  once the profile is anonymised.
- `BILLING` (amounts and settings): the billing address and the account holder's name are removed; the
  payment method keeps its kind and masked form only.
- `TICKET#...`: kept for the service's statistics, with subject, description and notes overwritten.
- `LINK#...`: deleted, with the other account's side of the link.
- anything else (lines and their services, mailboxes, TV logins, invoices, payments, verifications, the
  CRM outbox...): deleted. The CRM is the record; the space shows none of it one month after termination.
Credentials table: the customer's credential, every login key (email, phone, login id, account number) and the
link of their digital identity
are deleted: nobody logs in to an anonymised account, and the identifiers are free for others.
The usage partitions (per line) expire by TTL after 6 months, long before this runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from selfcare.dal.credentials import CredentialsRepository, login_key, login_keys_of, principal_key
from selfcare.dal.customers import PROFILE, CustomersRepository, customer_pk
from selfcare.dal.dynamo import Item, batch_delete, client, is_condition_failure, key, query_all, values
from selfcare.identifiers import IdentifierKind

ERASED = "ANONYMISED"
KEPT_AS_IS = ("CONSENT#",)
BILLING = "BILLING"  # selfcare.dal.billing.SUMMARY
TICKET = "TICKET#"
LINK = "LINK#"


class ErasureIncomplete(Exception):
    """DynamoDB kept refusing some deletions (throttling): nothing is marked as anonymised."""


@dataclass(frozen=True)
class ErasureReport:
    deleted: int  # items deleted (customers table, both sides of links, credentials)
    redacted: int  # items kept with their identifying attributes overwritten


class CustomerErasure:
    def __init__(self, customers_table: str, credentials_table: str) -> None:
        self.table = customers_table
        self.credentials_table = credentials_table

    def erase(self, customer_id: str) -> ErasureReport:
        deleted = self._credentials(customer_id)
        redacted = 0
        doomed: list[dict[str, Any]] = []
        items = query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values(pk=customer_pk(customer_id)),
            ConsistentRead=True,
        )
        for item in items:
            sk = str(item["sk"])
            if sk == PROFILE or sk.startswith(KEPT_AS_IS):
                continue
            if sk == BILLING:
                redacted += self._billing(customer_id, item)
            elif sk.startswith(TICKET):
                redacted += self._ticket(customer_id, sk)
            else:
                if sk.startswith(LINK) and item.get("linked_customer_id") and item.get("account_number"):
                    doomed.append(
                        key(pk=customer_pk(str(item["linked_customer_id"])), sk=LINK + item["account_number"])
                    )
                doomed.append(key(pk=str(item["pk"]), sk=sk))
        deleted += _delete_all(self.table, doomed)
        return ErasureReport(deleted=deleted, redacted=redacted)

    def _credentials(self, customer_id: str) -> int:
        repository = CredentialsRepository(self.credentials_table, self.table)
        credential = repository.get(customer_id)
        if credential is None:
            return 0
        # The keys derived when the credential was made, and those the record's current contacts moved to.
        profile = CustomersRepository(self.table).get_profile(customer_id)
        current = [
            login_key(kind, value)
            for kind, value in (
                (IdentifierKind.EMAIL, profile.contact_email if profile else None),
                (IdentifierKind.PHONE, profile.contact_mobile if profile else None),
            )
            if value
        ]
        deleted = 0
        for login in dict.fromkeys([*login_keys_of(credential), *current]):
            # Only while it still names this customer (an identifier may have been re-used).
            table, item_key = repository.where(login)
            try:
                client().delete_item(
                    TableName=table,
                    Key=item_key,
                    ConditionExpression="principal_id = :me",
                    ExpressionAttributeValues=values(me=customer_id),
                )
                deleted += 1
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
        if credential.digital_identity_id:  # the digital identity's link (selfcare.dal.digital_identity)
            try:
                client().delete_item(
                    TableName=self.credentials_table,
                    Key=key(pk=f"DIGITAL_IDENTITY#{credential.digital_identity_id}"),
                    ConditionExpression="principal_id = :me",
                    ExpressionAttributeValues=values(me=customer_id),
                )
                deleted += 1
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
        client().delete_item(TableName=self.credentials_table, Key=key(pk=principal_key(customer_id)))
        return deleted + 1

    def _billing(self, customer_id: str, item: Item) -> int:
        settings = item.get("settings") or {}
        method = settings.get("payment_method") or {}
        kept: dict[str, Any] = {"invoice_type": settings.get("invoice_type", "electronic")}
        if method:
            kept["payment_method"] = {k: v for k, v in method.items() if k in ("kind", "masked")}
        client().update_item(
            TableName=self.table,
            Key=key(pk=customer_pk(customer_id), sk=BILLING),
            UpdateExpression="SET settings = :settings, version = if_not_exists(version, :zero) + :one",
            ExpressionAttributeValues=values(settings=kept, zero=0, one=1),
        )
        return 1

    def _ticket(self, customer_id: str, sk: str) -> int:
        client().update_item(
            TableName=self.table,
            Key=key(pk=customer_pk(customer_id), sk=sk),
            UpdateExpression="SET subject = :erased, description = :erased, notes = :none",
            ConditionExpression="attribute_exists(sk)",
            ExpressionAttributeValues=values(erased=ERASED, none=[]),
        )
        return 1


def _delete_all(table: str, keys: list[dict[str, Any]]) -> int:
    left = batch_delete(table, keys)
    if left:
        # Raised: the command is retried (Lambda, then the schedule's dead letters); the marker is not written.
        raise ErasureIncomplete(f"{left} item(s) left unprocessed by DynamoDB")
    return len(keys)
