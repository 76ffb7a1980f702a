"""Line status workflows: kinds, statuses, handles and the request a workflow carries."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class WorkflowKind(StrEnum):
    SUSPENSION = "suspension"
    REACTIVATION = "reactivation"


class LineStatus(StrEnum):
    """The statuses this capability owns. Other values (set by the CRM) are left alone."""

    ACTIVE = "active"
    SUSPENSION_PENDING = "suspension_pending"
    SUSPENDED = "suspended"
    REACTIVATION_PENDING = "reactivation_pending"


class NetworkOutcome(StrEnum):
    """What compensation found on the network (read, not assumed), and did: in its result and the incident."""

    NOT_REACHED = "not_reached"  # the line never went pending under this workflow: no network change was asked
    NOT_APPLIED = "not_applied"  # the network shows the previous state: the change never applied, nothing undone
    UNDONE = "undone"  # the network showed the change (even after a timeout or a 5xx): undone


PENDING_STATUSES = frozenset({LineStatus.SUSPENSION_PENDING.value, LineStatus.REACTIVATION_PENDING.value})


@dataclass(frozen=True)
class Transition:
    required: LineStatus  # the status the line must have for the workflow to start
    pending: LineStatus  # while the workflow runs
    final: LineStatus  # once it succeeded (compensation puts `required` back)


TRANSITIONS: dict[WorkflowKind, Transition] = {
    WorkflowKind.SUSPENSION: Transition(LineStatus.ACTIVE, LineStatus.SUSPENSION_PENDING, LineStatus.SUSPENDED),
    WorkflowKind.REACTIVATION: Transition(LineStatus.SUSPENDED, LineStatus.REACTIVATION_PENDING, LineStatus.ACTIVE),
}


@dataclass(frozen=True)
class LineState:
    """What the workflows read and write of a line item (other attributes belong to other capabilities)."""

    customer_id: str
    line_id: str
    line_type: str
    status: str
    status_version: int
    number: str | None = None
    iccid: str | None = None
    workflow: str | None = None  # handle of the last workflow that changed the status


_HANDLE = re.compile(r"^(suspension|reactivation)-([0-9a-f]{20})-v([0-9]{1,9})$")


def line_digest(customer_id: str, line_id: str) -> str:
    """An opaque stand-in for (customer, line): line ids may hold a phone number, handles never do."""
    return hashlib.sha256(f"{customer_id}/{line_id}".encode()).hexdigest()[:20]


def handle_for(kind: WorkflowKind, customer_id: str, line_id: str, status_version: int) -> str:
    """The workflow's handle, also its execution name: the same request on the same line state gives the
    same handle, so StartExecution starts nothing new for a repeated request."""
    return f"{kind.value}-{line_digest(customer_id, line_id)}-v{status_version}"


@dataclass(frozen=True)
class ParsedHandle:
    kind: WorkflowKind
    digest: str
    version: int


def parse_handle(handle: str) -> ParsedHandle | None:
    match = _HANDLE.match(handle)
    if not match:
        return None
    return ParsedHandle(WorkflowKind(match.group(1)), match.group(2), int(match.group(3)))


@dataclass(frozen=True)
class WorkflowRequest:
    """The execution input: identifiers only (execution inputs are visible to operators)."""

    kind: WorkflowKind
    handle: str
    customer_id: str
    line_id: str
    from_version: int
    actor: str
    on_behalf_of: str
    request_id: str
    grant_id: str | None = None
    new_iccid: str | None = None

    def to_input(self) -> dict[str, Any]:
        return {"request": asdict(self) | {"kind": self.kind.value}}

    @staticmethod
    def of(raw: dict[str, Any]) -> WorkflowRequest:
        return WorkflowRequest(
            kind=WorkflowKind(raw["kind"]),
            handle=str(raw["handle"]),
            customer_id=str(raw["customer_id"]),
            line_id=str(raw["line_id"]),
            from_version=int(raw["from_version"]),
            actor=str(raw["actor"]),
            on_behalf_of=str(raw["on_behalf_of"]),
            request_id=str(raw["request_id"]),
            grant_id=raw.get("grant_id"),
            new_iccid=raw.get("new_iccid"),
        )


class WorkflowState(StrEnum):
    PENDING = "pending"  # running
    SUCCEEDED = "succeeded"
    COMPENSATED = "failed_compensated"  # failed; the line is back to its previous status; incident raised
    REFUSED = "refused"  # the line was no longer in the required status when the workflow started: no change
    FAILED = "failed"  # failed and could not be compensated: an incident is raised for the operators


@dataclass(frozen=True)
class WorkflowStatus:
    handle: str
    kind: WorkflowKind
    state: WorkflowState
    line_status: str


# Error names of the executions' Fail states (infra/workflows/suspension.py), read back by the status route.
REFUSED_ERROR = "WorkflowRefused"
COMPENSATED_ERROR = "WorkflowCompensated"
COMPENSATION_FAILED_ERROR = "CompensationFailed"
