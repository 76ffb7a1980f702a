"""Connection log and audit trail, both kept 12 months from collection (TTL `expires_at`).

Connection log items hold exactly SPEC.md's fields (customer: login used, date and time,
technical customer id, status, digital-identity id, account number; staff: professional email,
date and time, status) plus the keys and `expires_at`.

The audit trail is append-only and hash-chained per subject (selfcare.audit.chain): this module is its
one writer. An entry is put only into a free slot (`attribute_not_exists`), after the subject's tip read
with one strongly consistent Query; a slot taken meanwhile by a concurrent writer is retried from the new
tip (`dynamo.transact` asks `rechain` for the entry's new form). No function may update or delete entries
(Access.APPEND in infra/definitions.py); DynamoDB's TTL removes them 12 months after collection.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from selfcare.audit.chain import SEQ_PREFIX, Tip, chained, hour_of
from selfcare.audit.digest import Head, latest_heads
from selfcare.audit.pseudonyms import needs_pseudonym, pseudonymous
from selfcare.auth.models import AuditEntry, CustomerConnection, StaffConnection
from selfcare.clock import add_months, epoch
from selfcare.config import audit_pseudonym_key
from selfcare.dal import dynamo
from selfcare.dal.dynamo import Item, RawItem, client, from_raw, is_condition_failure, query_all, to_raw, values
from selfcare.ports.hash_key import HashKeySource

RETENTION_MONTHS = 12
# Attempts at appending one entry when concurrent writers keep taking the slot after the tip.
APPEND_ATTEMPTS = 4
# Fields the chain adds to an entry (recomputed when the entry is rechained).
_CHAIN_FIELDS = ("seq", "sk", "prev_hash", "prev_expires_at", "hash")


def expiry_of(collected_at: datetime) -> int:
    """Collection time + 12 calendar months, as the epoch seconds DynamoDB's TTL reads."""
    return epoch(add_months(collected_at, RETENTION_MONTHS))


def _sort_key(at: str) -> str:
    return f"{at}#{uuid.uuid4().hex[:12]}"


class LogsRepository:
    def __init__(
        self, connection_table: str | None, audit_table: str | None, pseudonym_key: HashKeySource | None = None
    ) -> None:
        self.connection_table = connection_table
        self.audit_table = audit_table
        # Targets naming a line (a phone number) are written as keyed hashes (selfcare.audit.pseudonyms).
        self.pseudonym_key = pseudonym_key or audit_pseudonym_key()
        if audit_table:
            dynamo.register_rechain(audit_table, self.rechain)

    # Connection log ----------------------------------------------------------------------------
    def connection_op(self, entry: CustomerConnection | StaffConnection, collected_at: datetime) -> RawItem:
        assert self.connection_table
        item: Item
        if isinstance(entry, CustomerConnection):
            principal = f"customer#{entry.customer_id}" if entry.customer_id else f"customer#unknown#{entry.at[:10]}"
            item = {
                "login_used": entry.login_used,
                "at": entry.at,
                "customer_id": entry.customer_id,
                "status": entry.status.value,
                "digital_identity_id": entry.digital_identity_id,
                "account_number": entry.account_number,
            }
        else:
            principal = f"staff#{entry.staff_id}" if entry.staff_id else f"staff#unknown#{entry.at[:10]}"
            item = {
                "professional_email": entry.professional_email,
                "at": entry.at,
                "status": entry.status.value,
            }
        item |= {"principal": principal, "sk": _sort_key(entry.at), "expires_at": expiry_of(collected_at)}
        return {"Put": {"TableName": self.connection_table, "Item": to_raw(item, keep_none=True)}}

    def connections(self, principal: str, now: int) -> list[Item]:
        assert self.connection_table
        return self._query(self.connection_table, "principal", principal, now)

    # Audit trail -------------------------------------------------------------------------------
    def _audit_content(self, entry: AuditEntry, collected_at: datetime) -> Item:
        return {
            "subject": entry.on_behalf_of,
            "actor": entry.actor,
            "on_behalf_of": entry.on_behalf_of,
            "action": entry.action,
            "target": self._target(entry.target),
            "at": entry.at,
            "request_id": entry.request_id,
            "grant_id": entry.grant_id,
            "reference": entry.reference,
            "expires_at": expiry_of(collected_at),
            "hour": hour_of(entry.at),
        }

    def _target(self, target: str) -> str:
        if not needs_pseudonym(target):
            return target
        if self.pseudonym_key is None:
            raise RuntimeError("AUDIT_PSEUDONYM_KEY_SECRET_ID is not set: a line cannot be audited in clear")
        return pseudonymous(target, self.pseudonym_key)

    def tip(self, subject: str) -> Tip:
        """The last entry of the subject's chain (expired or not: the chain goes on from it)."""
        assert self.audit_table
        response = client().query(
            TableName=self.audit_table,
            KeyConditionExpression="subject = :s AND begins_with(sk, :p)",
            ExpressionAttributeValues=values(s=subject, p=SEQ_PREFIX),
            # Only what the chain needs: the functions' IAM policy allows the tip's attributes and no others.
            ProjectionExpression="subject, sk, seq, #h, expires_at",
            ExpressionAttributeNames={"#h": "hash"},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        found = response.get("Items") or []
        return Tip.of(from_raw(found[0]) if found else None)

    def _append_op(self, content: Item) -> RawItem:
        assert self.audit_table
        item = chained(content, self.tip(str(content["subject"])))
        return {
            "Put": {
                "TableName": self.audit_table,
                "Item": to_raw(item),
                # Append-only: an entry never replaces another.
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        }

    def audit_op(self, entry: AuditEntry, collected_at: datetime) -> RawItem:
        """The entry's conditional Put, for the change's own transaction (one entry per subject in it)."""
        return self._append_op(self._audit_content(entry, collected_at))

    def rechain(self, operation: RawItem) -> RawItem:
        """The same entry placed after the subject's current tip (its slot was taken by another writer)."""
        item = from_raw(operation["Put"]["Item"])
        content = {name: value for name, value in item.items() if name not in _CHAIN_FIELDS}
        return self._append_op(content)

    def audit(self, entry: AuditEntry, collected_at: datetime) -> None:
        """Append one entry on its own (reads: no change to make atomic with it). A plain conditional PutItem
        (1 write unit; a one-item transaction would cost 2), placed after the new tip if its slot was taken."""
        operation = self.audit_op(entry, collected_at)
        for attempt in range(APPEND_ATTEMPTS):
            try:
                client().put_item(**operation["Put"])
                return
            except ClientError as error:
                if not is_condition_failure(error) or attempt + 1 == APPEND_ATTEMPTS:
                    raise
                operation = self.rechain(operation)

    # Chain heads, for the signed digests (selfcare.audit.digest) --------------------------------------
    _HEAD_ATTRIBUTES = "subject, sk, seq, #h, expires_at"

    def heads_in_hours(self, hours: list[str]) -> list[Head]:
        """The heads of the chains that changed in these hours (the by_hour index: one Query per hour)."""
        assert self.audit_table
        entries: list[Item] = []
        for hour in hours:
            entries.extend(
                query_all(
                    TableName=self.audit_table,
                    IndexName="by_hour",
                    KeyConditionExpression="#hour = :hour",
                    ProjectionExpression=self._HEAD_ATTRIBUTES,
                    ExpressionAttributeNames={"#h": "hash", "#hour": "hour"},
                    ExpressionAttributeValues=values(hour=hour),
                )
            )
        return latest_heads(entry for entry in entries if "seq" in entry)

    def all_heads(self) -> list[Head]:
        """The head of every chain (the first digest: one Scan of the chain's attributes)."""
        assert self.audit_table
        return latest_heads(entry for entry in self.all_entries(self._HEAD_ATTRIBUTES) if "seq" in entry)

    def all_entries(self, projection: str | None = None) -> list[Item]:
        """Every entry of the audit table (the verifier, the first digest)."""
        assert self.audit_table
        kwargs: dict[str, Any] = {"TableName": self.audit_table}
        if projection:
            kwargs |= {"ProjectionExpression": projection, "ExpressionAttributeNames": {"#h": "hash"}}
        items: list[Item] = []
        while True:
            response = client().scan(**kwargs)
            items.extend(from_raw(raw) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def audit_trail(self, subject: str, now: int) -> list[Item]:
        assert self.audit_table
        return self._query(self.audit_table, "subject", subject, now)

    def _query(self, table: str, key_name: str, key_value: str, now: int) -> list[Item]:
        return query_all(
            TableName=table,
            KeyConditionExpression=f"{key_name} = :k",
            # Past expiry means gone, even before DynamoDB's TTL deletion catches up.
            FilterExpression="expires_at > :now",
            ExpressionAttributeValues=values(k=key_value, now=now),
        )
