"""What the projection decides about an event, and what it tells the dead-letter queue."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class WriteResult(StrEnum):
    """What a conditional write of the read model did (returned by the dal, never raised)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this event id was applied already: nothing written
    STALE = "stale"  # the stored entity has this version or a newer one: nothing written
    MISSING = "missing"  # the entity the event changes does not exist: nothing written
    LOGIN_KEY_TAKEN = "login_key_taken"  # identity (issue 8): a new contact is another customer's login key
    # Rights (issue 10): a rectification's answer naming no rectification of this customer, or one already answered
    UNKNOWN_REQUEST = "unknown_request"
    REQUEST_CLOSED = "request_closed"


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # sent to the dead-letter queue with its reason
    NOT_DUE = "not_due"  # a retention step before its time, or for a customer not terminated (reinstated)
    ALREADY_DONE = "already_done"


class RejectReason(StrEnum):
    """Stable codes of the dead-letter messages (consumers branch on these, never on the text)."""

    MALFORMED_ENVELOPE = "malformed_envelope"  # not an EventBridge event from operator.crm
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    MALFORMED_DETAIL = "malformed_detail"  # the detail does not match its schema
    OUT_OF_ORDER = "out_of_order"  # the read model holds this entity's version or a newer one
    UNKNOWN_CUSTOMER = "unknown_customer"  # a change to a customer the read model does not hold
    UNKNOWN_COMMAND = "unknown_command"
    # Product inventory events (selfcare.projection.inventory)
    UNKNOWN_LINE = "unknown_line"  # a change to a line the read model does not hold
    ICCID_IN_USE = "iccid_in_use"  # the SIM card of the event is claimed by another line
    # Identity (issue 8): the record's new contact is another customer's login key: nothing applied, no takeover.
    LOGIN_KEY_TAKEN = "login_key_taken"
    # Rights (issue 10): the CRM's answer to a rectification names no rectification request of this customer
    # (unknown, another customer's, or an access request); or the request is not awaiting the CRM (already answered).
    UNKNOWN_REQUEST = "unknown_request"
    REQUEST_NOT_AWAITING_CRM = "request_not_awaiting_crm"


@dataclass(frozen=True)
class DeadLetter:
    """An event the projection refused, with why. `explanation` names fields and rules, never values."""

    reason: RejectReason
    explanation: str
    event: Any
    event_id: str | None = None
    detail_type: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "reason": self.reason.value,
            "explanation": self.explanation,
            "event_id": self.event_id,
            "detail_type": self.detail_type,
            "event": self.event,
        }
