"""Open incidents (issue 8, section 4): what a production / test-team grant names, and what opens the logs.

`OpenIncidents.state(reference)` asks the operator's incident tracker (selfcare.ports.incident_tracker) and turns a
tracker that cannot say into the API's 503 `incident_tracker_unavailable` (fail closed: never a silent pass, never
a 500). Its callers decide what a closed or unknown incident means: a 422 on `incident_reference` when a grant is
opened (selfcare.auth.grant_conditions), a 403 `incident_grant_required` at a log read (selfcare.audit.staff_reads).
"""

from __future__ import annotations

from selfcare.config import IncidentTrackerSettings
from selfcare.errors import IncidentTrackerUnavailable
from selfcare.observability import count, logger
from selfcare.ports.incident_tracker import (
    IncidentState,
    IncidentTracker,
    IncidentTrackerError,
    UnconfiguredIncidentTracker,
)

INCIDENT_PREFIX = "incident:"  # how a grant records the incident it names ("incident:INC-...")


def incident_of(grant_reference: str | None) -> str | None:
    """The incident a grant's recorded reference names, if any."""
    if grant_reference and grant_reference.startswith(INCIDENT_PREFIX):
        return grant_reference.removeprefix(INCIDENT_PREFIX)
    return None


class OpenIncidents:
    def __init__(self, tracker: IncidentTracker) -> None:
        self.tracker = tracker

    def state(self, reference: str) -> IncidentState:
        try:
            state = self.tracker.state(reference)
        except IncidentTrackerError as error:
            # The reference is the operator's ticket number, not personal data: logged with the reason code.
            logger.warning("incident tracker unavailable", extra={"reason": error.code, "incident": reference})
            count("IncidentTrackerUnavailable")
            raise IncidentTrackerUnavailable() from None
        return state


def incident_tracker_from(settings: IncidentTrackerSettings) -> IncidentTracker:
    """The adapter configuration names: HTTPS when a URL is set, else the one that fails closed."""
    if not settings.incident_tracker_url:
        return UnconfiguredIncidentTracker()
    from selfcare.ports.incident_tracker_https import HttpsIncidentTracker, secrets_manager_token

    return HttpsIncidentTracker(
        settings.incident_tracker_url,
        secrets_manager_token(settings.incident_tracker_token_secret_id),
        timeout=settings.incident_tracker_timeout_seconds,
    )
