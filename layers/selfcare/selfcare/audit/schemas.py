"""Response models of the staff log reads (component names prefixed: unique across the functions)."""

from __future__ import annotations

from pydantic import Field

from selfcare.api.schema import Schema
from selfcare.audit.staff_reads import AuditRecord, ConnectionRecord


class StaffConnectionLogEntry(Schema):
    at: str = Field(description="Time of the login attempt (ISO 8601, UTC)")
    login_used: str | None = Field(description="The login identifier typed")
    status: str = Field(description="success or failure")
    digital_identity_id: str | None
    account_number: str | None

    @staticmethod
    def of(record: ConnectionRecord) -> StaffConnectionLogEntry:
        return StaffConnectionLogEntry(
            at=record.at,
            login_used=record.login_used,
            status=record.status,
            digital_identity_id=record.digital_identity_id,
            account_number=record.account_number,
        )


class StaffConnectionLogView(Schema):
    customer_id: str
    entries: list[StaffConnectionLogEntry] = Field(description="Newest first, the last 12 months")


class StaffAuditTrailEntry(Schema):
    seq: int | None = Field(description="Position in the customer's hash chain")
    at: str
    actor: str = Field(description="customer#<id> or staff#<id>")
    action: str
    target: str = Field(description="What was acted on (pseudonymous identifiers)")
    request_id: str
    grant_id: str | None = Field(description="The assisted-access grant of a staff action")

    @staticmethod
    def of(record: AuditRecord) -> StaffAuditTrailEntry:
        return StaffAuditTrailEntry(
            seq=record.seq,
            at=record.at,
            actor=record.actor,
            action=record.action,
            target=record.target,
            request_id=record.request_id,
            grant_id=record.grant_id,
        )


class StaffAuditTrailView(Schema):
    customer_id: str
    entries: list[StaffAuditTrailEntry] = Field(description="Newest first, the last 12 months")
