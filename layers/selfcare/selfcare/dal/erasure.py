"""Erasure of a customer's data beyond the profile, when the anonymisation falls due (5 years after the end of
the contract: SPEC.md, Retention), driven by the personal-data registry (selfcare.privacy.registry).

Every item found is dispatched on its registry entry (`store_of`) and its `Action`: DELETE, ERASE_FIELDS (the
entry's `erased` paths removed, `overwritten` fields replaced), KEEP (the consents' history), and the profile is
left to the caller (anonymised last: its marker says the whole is done, so an erasure interrupted midway is
simply done again by the retried step: every routine here is idempotent). An item of the customer's partition
with no registry entry is deleted (the safe default) and counted in the report, and a test fails on it before.
One routine per `Locator` finds the items:
- CUSTOMER_PARTITION: one Query of `CUSTOMER#<id>` (consistent), which also gives the lines (their SIM claims,
  their usage partitions), the payments (their references), the invoices (their PDFs) and the links (the other
  side, deleted too);
- SIM_CLAIMS / PAYMENT_REFERENCES / USAGE_PARTITIONS: derived keys, deleted only while they name this customer;
- CREDENTIAL: the credential, every login key it names and those the record's current contacts moved to (items
  of the customers table, only while the key still names this customer), and its digital identity's link;
- SESSIONS / GRANTS: the sessions table's indexes by principal and by customer;
- CONNECTION_LOG: the partition `customer#<id>`: the entries stay (12 months' TTL), without direct identifier;
- INVOICE_OBJECTS: `invoices/<id>/` in the bucket and every invoice's `pdf_key`;
- RETENTION_STEP: the step's own item, deleted by the step once the profile is marked (not here);
- NEVER: the audit trail (append-only, pseudonymous by construction): the projection has no right on it;
- NOT_LINKED: nothing names the customer: the TTL removes it long before this runs;
- SMS_COMPLAINTS: the customer's reports of unwanted SMS name them, but expire (12 months' TTL) long before
  this runs: nothing left to erase (the right-of-access export reads them, selfcare.dal.rights).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from selfcare import aws
from selfcare.billing.models import UsageType
from selfcare.dal.credentials import CredentialsRepository, login_key, login_keys_of, principal_key
from selfcare.dal.customers import CustomersRepository, customer_pk
from selfcare.dal.dynamo import (
    Item,
    RawItem,
    batch_delete,
    client,
    from_raw,
    is_condition_failure,
    key,
    query_all,
    to_raw,
    values,
)
from selfcare.dal.retention import RetentionRepository
from selfcare.identifiers import IdentifierKind
from selfcare.privacy import registry
from selfcare.privacy.registry import Action, Locator, Store

ERASED = registry.ERASED
LINK = "LINK#"
USAGE_LINES = "USAGE_LINES"


class ErasureIncomplete(Exception):
    """DynamoDB kept refusing some deletions (throttling): nothing is marked as anonymised."""


@dataclass
class ErasureReport:
    deleted: int = 0  # items and objects deleted
    redacted: int = 0  # items kept with their identifying attributes removed or overwritten
    kept: int = 0  # items kept as they are (consents)
    unregistered: list[str] = field(default_factory=list)  # sort-key prefixes with no registry entry (deleted)


def erase_paths(item: Item, store: Store) -> Item:
    """The item without the entry's `erased` paths (dotted: into maps) and with its `overwritten` values."""
    kept = copy.deepcopy(item)
    for path in store.erased:
        *parents, leaf = path.split(".")
        node: Any = kept
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    for name, value in store.overwritten:
        if name in kept:
            kept[name] = copy.deepcopy(value)
    return kept


class CustomerErasure:
    def __init__(
        self,
        customers_table: str,
        credentials_table: str,
        sessions_table: str | None = None,
        connection_log_table: str | None = None,
        invoices_bucket: str | None = None,
    ) -> None:
        self.table = customers_table
        self.credentials_table = credentials_table
        self.sessions_table = sessions_table
        self.connection_log_table = connection_log_table
        self.invoices_bucket = invoices_bucket

    def erase(self, customer_id: str) -> ErasureReport:
        report = ErasureReport()
        report.deleted += self._credentials(customer_id)
        if self.sessions_table:
            report.deleted += self._sessions_and_grants(customer_id)
        items = query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values(pk=customer_pk(customer_id)),
            ConsistentRead=True,
        )
        doomed: list[RawItem] = []
        line_ids: set[str] = set()
        pdf_keys: set[str] = set()
        for item in items:
            sk = str(item["sk"])
            store = registry.store_of(registry.CUSTOMERS, str(item["pk"]), sk)
            if store is None:
                report.unregistered.append(sk.split("#", 1)[0])
                doomed.append(key(pk=str(item["pk"]), sk=sk))
                continue
            if store.sk_prefix == "LINE#":
                line_ids.add(str(item.get("line_id") or sk.split("#")[1]))
                iccid = item.get("iccid") or (item.get("details") or {}).get("iccid")
                if iccid:
                    doomed.extend(self._claim(customer_id, str(iccid)))
            if sk == USAGE_LINES:
                line_ids |= set(item.get("line_ids") or ())
            if item.get("pdf_key"):
                pdf_keys.add(str(item["pdf_key"]))
            if store.sk_prefix == "PAYMENT#" and item.get("payment_id"):
                doomed.extend(self._payment_reference(customer_id, str(item["payment_id"])))
            if store.anonymisation is Action.DELETE and store.locator is Locator.CUSTOMER_PARTITION:
                if sk.startswith(LINK) and item.get("linked_customer_id") and item.get("account_number"):
                    doomed.append(
                        key(pk=customer_pk(str(item["linked_customer_id"])), sk=LINK + item["account_number"])
                    )
                doomed.append(key(pk=str(item["pk"]), sk=sk))
            elif store.anonymisation is Action.ERASE_FIELDS:
                self._rewrite(self.table, item, store)
                report.redacted += 1
            elif store.anonymisation is Action.KEEP:
                report.kept += 1
            # ANONYMISE_PROFILE: the caller, last. RETENTION_STEP: the step, once the profile is marked.
        doomed.extend(self._usage_keys(customer_id, line_ids))
        report.deleted += _delete_all(self.table, doomed)
        if self.connection_log_table:
            report.redacted += self._connection_log(customer_id)
        if self.invoices_bucket:
            report.deleted += self._invoice_objects(customer_id, pdf_keys)
        return report

    # Derived keys -----------------------------------------------------------------------------------------------
    def _claim(self, customer_id: str, iccid: str) -> list[RawItem]:
        claim = key(pk=f"ICCID#{iccid}", sk=f"ICCID#{iccid}")
        raw = client().get_item(TableName=self.table, Key=claim, ConsistentRead=True).get("Item")
        return [claim] if raw and raw.get("customer_id", {}).get("S") == customer_id else []

    def _payment_reference(self, customer_id: str, payment_id: str) -> list[RawItem]:
        ref = key(pk=f"PAYREF#{payment_id}", sk=f"PAYREF#{payment_id}")
        raw = client().get_item(TableName=self.table, Key=ref, ConsistentRead=True).get("Item")
        return [ref] if raw and raw.get("customer_id", {}).get("S") == customer_id else []

    def _usage_keys(self, customer_id: str, line_ids: set[str]) -> list[RawItem]:
        """Every record of the usage partitions of these lines (per line, and per line and type)."""
        found: list[RawItem] = []
        for line_id in sorted(line_ids):
            for suffix in ["", *(f"#{t.value}" for t in UsageType)]:
                pk = f"USAGE#{customer_id}#{line_id}{suffix}"
                for page in (
                    client()
                    .get_paginator("query")
                    .paginate(
                        TableName=self.table,
                        KeyConditionExpression="pk = :pk",
                        ExpressionAttributeValues=values(pk=pk),
                        ProjectionExpression="pk, sk",
                    )
                ):
                    found.extend(page.get("Items", []))
        return found

    # Other tables -----------------------------------------------------------------------------------------------
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

    def _sessions_and_grants(self, customer_id: str) -> int:
        assert self.sessions_table
        steps = RetentionRepository(self.table, self.credentials_table, self.sessions_table)
        keys = [{"pk": item["pk"]} for item in steps.sessions_of(customer_id) + steps.grants_of(customer_id)]
        return _delete_all(self.sessions_table, keys)

    def _connection_log(self, customer_id: str) -> int:
        assert self.connection_log_table
        store = registry.store_of(registry.CONNECTION_LOG, f"customer#{customer_id}")
        assert store is not None and store.anonymisation is Action.ERASE_FIELDS
        entries = query_all(
            TableName=self.connection_log_table,
            KeyConditionExpression="principal = :p",
            ExpressionAttributeValues=values(p=f"customer#{customer_id}"),
        )
        rewritten = 0
        for entry in entries:
            if any(entry.get(name) is not None for name in store.erased):
                self._rewrite(self.connection_log_table, entry, store, keys=("principal", "sk"))
                rewritten += 1
        return rewritten

    def _invoice_objects(self, customer_id: str, pdf_keys: set[str]) -> int:
        assert self.invoices_bucket
        s3 = aws.client("s3")
        names = set(pdf_keys)
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.invoices_bucket, Prefix=f"invoices/{customer_id}/"
        ):
            names |= {str(o["Key"]) for o in page.get("Contents", [])}
        ordered = sorted(names)
        for start in range(0, len(ordered), 1000):
            chunk = ordered[start : start + 1000]
            s3.delete_objects(
                Bucket=self.invoices_bucket, Delete={"Objects": [{"Key": n} for n in chunk], "Quiet": True}
            )
        return len(ordered)

    @staticmethod
    def _rewrite(table: str, item: Item, store: Store, keys: tuple[str, str] = ("pk", "sk")) -> None:
        """Put the item back without its erased fields (only while it exists: a concurrent delete wins)."""
        kept = erase_paths(item, store)
        client().put_item(
            TableName=table,
            Item=to_raw(kept, keep_none=False),
            ConditionExpression="attribute_exists(#k)",
            ExpressionAttributeNames={"#k": keys[0]},
        )


def _delete_all(table: str, keys: list[RawItem]) -> int:
    unique = list({repr(sorted(k.items())): k for k in keys}.values())
    left = batch_delete(table, unique)
    if left:
        # Raised: the step is retried (the schedule, then the daily reconciliation); the marker is not written.
        raise ErasureIncomplete(f"{left} item(s) left unprocessed by DynamoDB")
    return len(unique)


__all__ = ["CustomerErasure", "ErasureIncomplete", "ErasureReport", "erase_paths", "from_raw"]
