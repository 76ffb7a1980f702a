"""Connection log and audit trail, both kept 12 months from collection (TTL `expires_at`).

Connection log items hold exactly SPEC.md's fields (customer: login used, date and time,
technical customer id, status, digital-identity id, account number; staff: professional email,
date and time, status) plus the keys and `expires_at`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from selfcare.auth.models import AuditEntry, CustomerConnection, StaffConnection
from selfcare.clock import add_months, epoch
from selfcare.dal.dynamo import Item, RawItem, client, query_all, to_raw, values

RETENTION_MONTHS = 12


def expiry_of(collected_at: datetime) -> int:
    """Collection time + 12 calendar months, as the epoch seconds DynamoDB's TTL reads."""
    return epoch(add_months(collected_at, RETENTION_MONTHS))


def _sort_key(at: str) -> str:
    return f"{at}#{uuid.uuid4().hex[:12]}"


class LogsRepository:
    def __init__(self, connection_table: str | None, audit_table: str | None) -> None:
        self.connection_table = connection_table
        self.audit_table = audit_table

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
    def _audit_item(self, entry: AuditEntry, collected_at: datetime) -> Item:
        return {
            "subject": entry.on_behalf_of,
            "sk": _sort_key(entry.at),
            "actor": entry.actor,
            "on_behalf_of": entry.on_behalf_of,
            "action": entry.action,
            "target": entry.target,
            "at": entry.at,
            "request_id": entry.request_id,
            "grant_id": entry.grant_id,
            "reference": entry.reference,
            "expires_at": expiry_of(collected_at),
        }

    def audit_op(self, entry: AuditEntry, collected_at: datetime) -> RawItem:
        assert self.audit_table
        return {"Put": {"TableName": self.audit_table, "Item": to_raw(self._audit_item(entry, collected_at))}}

    def audit(self, entry: AuditEntry, collected_at: datetime) -> None:
        assert self.audit_table
        client().put_item(TableName=self.audit_table, Item=to_raw(self._audit_item(entry, collected_at)))

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
