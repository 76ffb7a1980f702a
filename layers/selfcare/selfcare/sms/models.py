"""Domain entities of commercial SMS governance. Imports nothing of dal/, logic or handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # with a reason; reversible
    ENDED = "ended"  # the contract ended: terminal


class RefusalReason(StrEnum):
    """Why a message was refused. Order = the order of the checks (the first failing one is recorded)."""

    PROVIDER_SUSPENDED = "provider_suspended"
    PROVIDER_ENDED = "provider_ended"
    OUTSIDE_CONTRACT = "outside_contract"
    SENDER_ID_NOT_ALLOWED = "sender_id_not_allowed"
    MISSING_OPT_OUT_MENTION = "missing_opt_out_mention"
    NO_CONSENT = "no_consent"  # the operator's own SMS: the subscriber did not consent to commercial SMS
    OPTED_OUT = "opted_out"
    NIGHT_TIME = "night_time"
    THROUGHPUT_EXCEEDED = "throughput_exceeded"


class MessageStatus(StrEnum):
    REFUSED = "refused"
    SENDING = "sending"  # claimed before the port call; a crash leaves it here and it is never sent again
    SENT = "sent"
    FAILED = "failed"  # the port refused it (the network said no): not retried


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # recipients being added
    RUNNING = "running"
    DONE = "done"


class OptOutScope(StrEnum):
    ALL = "all"  # every commercial SMS (STOPALL, the customer's space, or the operator's configuration)
    SHORT_NUMBER = "short_number"  # the short number the STOP was sent to (one provider's)


ALL_SCOPE = "all"


def short_scope(short_number: str) -> str:
    """The stored scope of an opt-out at one short number."""
    return f"short:{short_number}"


@dataclass(frozen=True)
class Provider:
    provider_id: str
    legal_name: str
    declaration_number: str  # the regulator's declaration number
    contract_reference: str
    contract_start: str  # ISO date, inclusive
    contract_end: str | None  # ISO date, inclusive; None: open-ended
    sender_ids: tuple[str, ...]
    opt_out_number: str  # the short number recipients send STOP to
    throughput_per_second: int
    status: ProviderStatus
    status_reason: str | None = None
    created_at: str = ""
    updated_at: str = ""
    version: int = 0
    secret_hash: str | None = None  # SHA-256 of the current secret (secrets are 256-bit random)
    credential_rotated_at: str | None = None
    is_operator: bool = False  # the operator's own commercial SMS (not a VAS provider)


@dataclass(frozen=True)
class Decision:
    """One message's decision: accepted, or refused with the first failing check."""

    accepted: bool
    reason: RefusalReason | None = None


@dataclass(frozen=True)
class Recipient:
    to: str  # E.164
    text: str | None = None  # personalised text; None: the campaign's


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    provider_id: str
    sender_id: str
    text: str
    status: CampaignStatus
    created_at: str
    batches: int = 0
    recipients: int = 0
    done_batches: frozenset[int] = frozenset()
    single: bool = False

    @property
    def batches_done(self) -> int:
        return len(self.done_batches)


@dataclass(frozen=True)
class MessageOutcome:
    campaign_id: str
    batch: int
    index: int
    to: str
    status: MessageStatus
    reason: RefusalReason | None
    at: str
    encoding: str = "GSM-7"
    segments: int = 1


@dataclass
class MonthlyStats:
    provider_id: str
    month: str  # YYYY-MM
    submitted: int = 0
    sent: int = 0
    failed: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # RefusalReason value -> count
    opt_outs: int = 0
    complaints: int = 0

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())


@dataclass(frozen=True)
class SuspensionProposal:
    provider_id: str
    month: str
    reasons: tuple[str, ...]  # e.g. "missing_mention_rate 0.12 > 0.05"
    at: str


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    provider_id: str | None  # None: no provider has this sender id
    customer_id: str
    line_id: str
    sender_id: str
    received_at: str
    at: str
    text: str = ""
