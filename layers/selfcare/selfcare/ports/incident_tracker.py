"""Port to the operator's incident tracker: is an incident (INC-<digits>) open?

Logic depends on `IncidentTracker` only (the assisted-access grant conditions, the staff log reads). Adapters:
- `HttpsIncidentTracker` (selfcare.ports.incident_tracker_https): production, and the local stack pointed at its
  simulator (infra/local/incident_tracker.py);
- `UnconfiguredIncidentTracker`: no tracker configured (no CDK context `incident_tracker_url`): every question
  fails closed with `IncidentTrackerError`, so nothing that needs an open incident is ever allowed without one.
`IncidentTrackerError` (unreachable, timeout, refused credentials, an unreadable answer) becomes the API's 503
`incident_tracker_unavailable` (selfcare.errors.IncidentTrackerUnavailable): never a silent pass.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"  # the tracker has no incident by this reference


class IncidentTrackerError(Exception):
    """The tracker could not say (unreachable, timeout, refused, unreadable answer). `code` is safe to log."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class IncidentTracker(Protocol):
    def state(self, reference: str) -> IncidentState:
        """The incident's state now; IncidentTrackerError when the tracker cannot say."""
        ...


class UnconfiguredIncidentTracker:
    """No incident tracker configured: fails closed (the caller answers 503, never skips the check)."""

    def state(self, reference: str) -> IncidentState:
        raise IncidentTrackerError("incident_tracker_not_configured")
