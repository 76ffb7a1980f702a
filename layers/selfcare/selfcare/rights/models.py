"""Data-subject rights (issue 10, section 1): the requests of access and rectification, their clock.

Domain models only (no dal, no logic): selfcare.dal.rights stores them, selfcare.rights.service drives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from selfcare.clock import add_months

# The answer is due one calendar month after receipt (the same calendar-month arithmetic as the retention code).
ANSWER_MONTHS = 1
# The staff queue's alarm: requests due within this many days are counted (metric AccessRequestsDueSoon).
DUE_SOON_DAYS = 5


class RightsRequestKind(StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"


class RightsChannel(StrEnum):
    SPACE = "space"  # asked from the customer space (logged in, recent authentication)
    EMAIL = "email"  # registered by staff
    LETTER = "letter"  # registered by staff


class RightsRequestStatus(StrEnum):
    AWAITING_IDENTITY = "awaiting_identity"  # registered by staff: the requester's identity is not proven yet
    QUEUED = "queued"  # access: the export is waiting for the worker
    BUILDING = "building"  # access: the worker is building it
    FAILED = "failed"  # access: the last build failed midway; the queue retries it (nothing half-done is shown)
    READY = "ready"  # access: both files are in the bucket, downloadable until files_expire_at
    SENT_TO_CRM = "sent_to_crm"  # rectification: routed to the CRM (outbox), which applies it, then answers
    COMPLETED = "completed"  # rectification: the CRM applied it (event RectificationCompleted)
    # Registered by staff: the identity could not be proven (the document was refused); or a rectification the CRM
    # refused (event RectificationRefused, its reason code in `refusal_reason`).
    REFUSED = "refused"


OPEN = frozenset(
    {
        RightsRequestStatus.AWAITING_IDENTITY,
        RightsRequestStatus.QUEUED,
        RightsRequestStatus.BUILDING,
        RightsRequestStatus.FAILED,
        # A rectification is answered when the CRM says so: until then it stays on the staff queue, its clock running.
        RightsRequestStatus.SENT_TO_CRM,
    }
)


class RightsIdentityChannel(StrEnum):
    """Where staff send the identity code: the contact email or mobile on record (never an address the requester
    gives)."""

    EMAIL = "email"
    MOBILE = "mobile"


# What a rectification may ask (what the space cannot change itself: SPEC.md, the CRM's records).
RECTIFIABLE = ("last_name", "first_name", "birth_date", "address")


class RightsExportFormat(StrEnum):
    JSON = "json"
    PDF = "pdf"


def due_at(received_at: datetime) -> datetime:
    return add_months(received_at, ANSWER_MONTHS)


def days_left(due: datetime, now: datetime) -> int:
    """Calendar days until the due date (0 on the day, negative once overdue)."""
    return (due.date() - now.date()).days


@dataclass(frozen=True)
class RightsRequest:
    request_id: str
    customer_id: str
    kind: RightsRequestKind
    channel: RightsChannel
    status: RightsRequestStatus
    received_at: datetime
    due_at: datetime
    registered_by: str  # actor: customer#<id> or staff#<id>
    changes: dict[str, object] = field(default_factory=dict)  # rectification: what the customer asks to change
    identity_method: str | None = None  # "session", "code_email", "code_mobile", "document"
    identity_verified_at: datetime | None = None
    files: dict[str, str] = field(default_factory=dict)  # RightsExportFormat value -> object key
    ready_at: datetime | None = None
    files_expire_at: datetime | None = None
    notified_at: datetime | None = None
    attempts: int = 0
    failure: str | None = None  # a reason code, never a message with data
    # Staff path: the identity code (a digest only, single use, attempts counted) and the identity document.
    code_digest: str | None = None
    code_expires_at: int | None = None
    code_attempts: int = 0
    document_key: str | None = None
    document_shown_at: datetime | None = None
    # Rectification: when the CRM answered (completed or refused), and its reason code when it refused.
    closed_at: datetime | None = None
    refusal_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN
