"""Role conditions of an assisted-access grant (SPEC.md, Staff access), checked before the grant is opened.

- production / test team: "during an incident": the grant names an incident reference (`INC-<digits>`, the
  operator's incident tracker's form) that the tracker says is OPEN (selfcare.auth.incidents), recorded on the
  grant and in its audit entry. A closed or unknown incident is a 422 on `incident_reference`; a tracker that
  cannot say, a 503 `incident_tracker_unavailable` (fail closed). Any role that names an incident is held to the
  same check: an incident grant opens the logs (selfcare.audit.staff_reads).
- customer-service staff (subsidiary): "on the customer's request": the grant names a ticket of that customer
  that is still open (read from the customer's tickets), recorded likewise.
- other roles: a reference may be given (recorded), none is required.
The grant itself (expiry, audit entry in the same transaction) is the AuthService's; this module adds the check
and hands it the reference.
"""

from __future__ import annotations

import re
from typing import Protocol

from selfcare.account.models import OPEN_TICKET_STATUSES, Ticket
from selfcare.api.context import RequestInfo
from selfcare.auth.incidents import INCIDENT_PREFIX, OpenIncidents
from selfcare.auth.models import Grant
from selfcare.auth.policy import Caller, StaffRole, require_staff
from selfcare.auth.schemas import INCIDENT_REFERENCE_PATTERN
from selfcare.errors import FieldProblem, InvalidInput
from selfcare.ports.incident_tracker import IncidentState

INCIDENT_REFERENCE = re.compile(INCIDENT_REFERENCE_PATTERN)


class GrantOpener(Protocol):
    def grant_assisted_access(
        self,
        caller: Caller,
        customer_id: str,
        reason: str,
        minutes: int,
        request: RequestInfo,
        reference: str | None = None,
    ) -> Grant: ...


class TicketLookup(Protocol):
    def __call__(self, customer_id: str, ticket_id: str) -> Ticket | None: ...


def _refused(field: str, message: str, kind: str) -> InvalidInput:
    return InvalidInput([FieldProblem(("body", field), message, kind)])


class AssistedAccessConditions:
    def __init__(self, opener: GrantOpener, tickets: TicketLookup, incidents: OpenIncidents) -> None:
        self.opener = opener
        self.tickets = tickets
        self.incidents = incidents

    def reference_for(
        self, role: StaffRole, customer_id: str, incident_reference: str | None, ticket_id: str | None
    ) -> str | None:
        """The reference the grant records ("incident:INC-...", "ticket:<id>"), or a 422 naming the field."""
        if incident_reference is not None and not INCIDENT_REFERENCE.match(incident_reference):
            raise _refused("incident_reference", "An incident reference looks like INC-123456.", "invalid_incident")
        if role is StaffRole.PRODUCTION and incident_reference is None:
            raise _refused(
                "incident_reference", "The production / test team opens a grant during an incident.", "missing"
            )
        if role is StaffRole.CUSTOMER_SERVICE_STAFF:
            if ticket_id is None:
                raise _refused("ticket_id", "Customer-service staff act on a request of the customer.", "missing")
            ticket = self.tickets(customer_id, ticket_id)
            if ticket is None or ticket.status not in OPEN_TICKET_STATUSES:
                raise _refused("ticket_id", "Not an open request of this customer.", "not_a_request_of_the_customer")
            return f"ticket:{ticket_id}"
        if incident_reference is not None:
            # Last, after every check of the request's form: one call to the incident tracker.
            if self.incidents.state(incident_reference) is not IncidentState.OPEN:
                raise _refused("incident_reference", "Not an open incident of the tracker.", "incident_not_open")
            return f"{INCIDENT_PREFIX}{incident_reference}"
        if ticket_id is not None:
            return f"ticket:{ticket_id}"
        return None

    def open_grant(
        self,
        caller: Caller,
        customer_id: str,
        reason: str,
        minutes: int,
        request: RequestInfo,
        *,
        incident_reference: str | None = None,
        ticket_id: str | None = None,
    ) -> Grant:
        role = require_staff(caller)
        reference = self.reference_for(role, customer_id, incident_reference, ticket_id)
        return self.opener.grant_assisted_access(caller, customer_id, reason, minutes, request, reference=reference)
