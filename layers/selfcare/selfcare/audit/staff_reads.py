"""Staff reads of a customer's connection log and audit trail (issue 9, section 4).

Only production and infrastructure staff, under a live assisted-access grant for that very customer that
names an incident (SPEC.md: logs are read "during an incident"; the authorizer checked that the grant is live
and theirs and hands on its recorded reference, "incident:INC-..."). A production grant always names one (its
role condition); an infrastructure grant may be opened without one for other work, but it does not open the
logs. The incident must still be OPEN at each read: the operator's incident tracker is asked (one HTTPS call per
read, selfcare.auth.incidents); closed or unknown, 403 `incident_grant_required`; the tracker unable to say, 503
`incident_tracker_unavailable` (fail closed). Every read is itself an audit entry, appended before the data is
read: no read leaves no trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.api.context import RequestInfo
from selfcare.auth.incidents import OpenIncidents, incident_of
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, StaffRole, require_staff
from selfcare.clock import Clock, epoch, iso
from selfcare.dal.logs import LogsRepository
from selfcare.errors import AssistedAccessRequired, Forbidden, IncidentGrantRequired
from selfcare.ports.incident_tracker import IncidentState

LOG_READER_ROLES: frozenset[StaffRole] = frozenset({StaffRole.PRODUCTION, StaffRole.INFRASTRUCTURE})


@dataclass(frozen=True)
class ConnectionRecord:
    at: str
    login_used: str | None
    status: str
    digital_identity_id: str | None
    account_number: str | None


@dataclass(frozen=True)
class AuditRecord:
    seq: int | None
    at: str
    actor: str
    action: str
    target: str
    request_id: str
    grant_id: str | None


class StaffLogReads:
    def __init__(self, logs: LogsRepository, clock: Clock, incidents: OpenIncidents) -> None:
        self.logs = logs
        self.clock = clock
        self.incidents = incidents

    def _authorize(self, caller: Caller, customer_id: str, request: RequestInfo, action: str, target: str) -> int:
        role = require_staff(caller)
        if role not in LOG_READER_ROLES:
            raise Forbidden("Only production and infrastructure staff may read logs.")
        if caller.grant_id is None or caller.customer_id is None:
            raise AssistedAccessRequired()
        if caller.customer_id != customer_id:
            raise Forbidden("The assisted-access grant is for another customer.")
        incident = incident_of(caller.grant_reference)
        if incident is None:
            raise IncidentGrantRequired()
        if self.incidents.state(incident) is not IncidentState.OPEN:
            raise IncidentGrantRequired("The incident this grant names is closed: logs are read during an incident.")
        now = self.clock.now()
        entry = AuditEntry(
            actor=caller.actor,
            on_behalf_of=f"customer#{customer_id}",
            action=action,
            target=target,
            at=iso(now),
            request_id=request.request_id,
            grant_id=caller.grant_id,
        )
        self.logs.audit(entry, now)
        return epoch(now)

    def connection_log(self, caller: Caller, request: RequestInfo, customer_id: str) -> list[ConnectionRecord]:
        now = self._authorize(caller, customer_id, request, "logs.connection_log.viewed", "connection_log")
        items = self.logs.connections(f"customer#{customer_id}", now)
        return [
            ConnectionRecord(
                at=str(item["at"]),
                login_used=item.get("login_used"),
                status=str(item["status"]),
                digital_identity_id=item.get("digital_identity_id"),
                account_number=item.get("account_number"),
            )
            for item in sorted(items, key=lambda i: str(i["sk"]), reverse=True)
        ]

    def audit_trail(self, caller: Caller, request: RequestInfo, customer_id: str) -> list[AuditRecord]:
        now = self._authorize(caller, customer_id, request, "logs.audit_trail.viewed", "audit_trail")
        items = self.logs.audit_trail(f"customer#{customer_id}", now)
        records = [
            AuditRecord(
                seq=int(item["seq"]) if "seq" in item else None,
                at=str(item["at"]),
                actor=str(item["actor"]),
                action=str(item["action"]),
                target=str(item["target"]),
                request_id=str(item["request_id"]),
                grant_id=item.get("grant_id"),
            )
            for item in items
        ]
        return sorted(records, key=lambda r: r.at, reverse=True)
