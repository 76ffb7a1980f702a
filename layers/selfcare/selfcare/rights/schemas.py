"""HTTP boundary models of the rights capability (component names prefixed: unique across functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from selfcare.api.schema import Schema
from selfcare.clock import iso
from selfcare.rights.models import Channel, ExportFormat, RequestKind, RequestStatus, RightsRequest, days_left
from selfcare.rights.service import Download


class RightsAccessRequestCreate(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["access"] = Field(description="access: a copy of every personal data Selfcare holds about you")


class RightsDownloadView(Schema):
    format: ExportFormat
    url: str = Field(description="Presigned download link, short-lived")
    expires_in: int = Field(description="Seconds the link stays valid")


class RightsRequestView(Schema):
    request_id: str
    kind: RequestKind
    channel: Channel
    status: RequestStatus = Field(
        description="queued, building, failed (retried automatically), ready; awaiting_identity (registered by "
        "staff); sent_to_crm (rectification)"
    )
    received_at: str
    due_at: str = Field(description="Receipt + 1 calendar month: the answer is due by then")
    days_left: int = Field(description="Calendar days until the due date (negative once overdue)")
    ready_at: str | None = None
    files_expire_at: str | None = None
    downloads: list[RightsDownloadView] = Field(
        default_factory=list, description="Once ready and until the files expire: links to the JSON and PDF files"
    )

    @classmethod
    def of(cls, request: RightsRequest, now: datetime, downloads: list[Download] | None = None) -> RightsRequestView:
        return cls(
            request_id=request.request_id,
            kind=request.kind,
            channel=request.channel,
            status=request.status,
            received_at=iso(request.received_at),
            due_at=iso(request.due_at),
            days_left=days_left(request.due_at, now),
            ready_at=iso(request.ready_at) if request.ready_at else None,
            files_expire_at=iso(request.files_expire_at) if request.files_expire_at else None,
            downloads=[
                RightsDownloadView(format=d.format, url=d.url, expires_in=d.expires_in) for d in downloads or []
            ],
        )


class RightsRequestListView(Schema):
    requests: list[RightsRequestView]
