"""HTTP boundary models of the rights capability (component names prefixed: unique across functions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from selfcare.api.schema import Schema
from selfcare.clock import iso
from selfcare.rights.models import (
    RightsChannel,
    RightsExportFormat,
    RightsIdentityChannel,
    RightsRequest,
    RightsRequestKind,
    RightsRequestStatus,
    days_left,
)
from selfcare.rights.service import Download


class RightsAddress(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(None, max_length=120)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=80)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class RightsChanges(Schema):
    """What the space cannot change itself: name, birth date, address (in Monaco: the operator's records)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    last_name: str | None = Field(None, min_length=1, max_length=80)
    first_name: str | None = Field(None, min_length=1, max_length=80)
    birth_date: date | None = None
    address: RightsAddress | None = None

    def values(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


class RightsAccessRequestCreate(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: RightsRequestKind = Field(
        description="access: a copy of every personal data Selfcare holds about you; rectification: `changes` "
        "routed to the operator's records"
    )
    changes: RightsChanges | None = Field(None, description="rectification only: at least one field")


class RightsStaffRegistration(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    customer_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    kind: RightsRequestKind
    channel: Literal["email", "letter"]
    received_at: datetime | None = Field(None, description="When the email or letter arrived (default: now)")
    changes: RightsChanges | None = None


class RightsIdentityCodeRequest(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    to: RightsIdentityChannel = Field(
        description="The contact email or mobile ON RECORD (never one the requester gives)"
    )


class RightsIdentityCodeSentView(Schema):
    to: RightsIdentityChannel
    sent_to: str = Field(description="Masked")
    expires_in: int


class RightsIdentityCode(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    code: str = Field(pattern=r"^[0-9]{6}$")


class RightsDocumentDecision(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    accepted: bool


class RightsDocumentLinkView(Schema):
    url: str
    expires_in: int


class RightsDownloadView(Schema):
    format: RightsExportFormat
    url: str = Field(description="Presigned download link, short-lived")
    expires_in: int = Field(description="Seconds the link stays valid")


class RightsRequestView(Schema):
    request_id: str
    customer_id: str
    kind: RightsRequestKind
    channel: RightsChannel
    status: RightsRequestStatus = Field(
        description="queued, building, failed (retried automatically), ready; awaiting_identity (registered by "
        "staff); sent_to_crm (rectification, until the CRM answers), then completed or refused (by the CRM, "
        "`refusal_reason`); refused also when staff could not prove the requester's identity"
    )
    received_at: str
    due_at: str = Field(description="Receipt + 1 calendar month: the answer is due by then")
    days_left: int = Field(description="Calendar days until the due date (negative once overdue)")
    ready_at: str | None = None
    files_expire_at: str | None = None
    changes: dict[str, Any] | None = Field(None, description="rectification: what is asked")
    identity_method: str | None = Field(None, description="session, code_email, code_mobile or document")
    closed_at: str | None = Field(None, description="rectification: when the CRM completed or refused it")
    refusal_reason: str | None = Field(None, description="rectification refused by the CRM: its reason code")
    downloads: list[RightsDownloadView] = Field(
        default_factory=list, description="Once ready and until the files expire: links to the JSON and PDF files"
    )

    @classmethod
    def of(cls, request: RightsRequest, now: datetime, downloads: list[Download] | None = None) -> RightsRequestView:
        return cls(
            request_id=request.request_id,
            customer_id=request.customer_id,
            kind=request.kind,
            channel=request.channel,
            status=request.status,
            received_at=iso(request.received_at),
            due_at=iso(request.due_at),
            days_left=days_left(request.due_at, now),
            ready_at=iso(request.ready_at) if request.ready_at else None,
            files_expire_at=iso(request.files_expire_at) if request.files_expire_at else None,
            changes=dict(request.changes) or None,
            identity_method=request.identity_method,
            closed_at=iso(request.closed_at) if request.closed_at else None,
            refusal_reason=request.refusal_reason,
            downloads=[
                RightsDownloadView(format=d.format, url=d.url, expires_in=d.expires_in) for d in downloads or []
            ],
        )


class RightsRequestListView(Schema):
    requests: list[RightsRequestView]


class RightsQueueView(Schema):
    """Open requests, earliest due first."""

    requests: list[RightsRequestView]
