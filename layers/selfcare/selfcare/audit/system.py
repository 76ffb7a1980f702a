"""Audit entries of the system's own actions (termination, hide, anonymisation, reconciliation; issue 9).

Use: with `logs = LogsRepository(None, settings.audit_log_table)` (the function needs
`AUDIT_LOG: Access.APPEND` in infra/definitions.py, which also brings the pseudonym key), append
`logs.audit_op(system_entry("projection", customer_id, SystemAction.TERMINATED, now, event_id), now)` to the
step's own transaction, or call `logs.audit(entry, now)` when there is no transaction. The entry names no
direct identifier: the customer's internal id, the step, the event or schedule that caused it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from selfcare.auth.models import AuditEntry
from selfcare.clock import iso


class SystemAction(StrEnum):
    TERMINATED = "customer.terminated"
    HIDDEN = "customer.hidden"
    ANONYMISED = "customer.anonymised"
    REINSTATED = "customer.reinstated"
    RECONCILED = "customer.termination_step_reconciled"


def system_entry(
    component: str, customer_id: str, action: SystemAction | str, at: datetime, cause: str, target: str = "customer"
) -> AuditEntry:
    """`component`: the function acting ("projection", "termination"...); `cause`: the event id or schedule name
    (stored as the request id)."""
    return AuditEntry(
        actor=f"system#{component}",
        on_behalf_of=f"customer#{customer_id}",
        action=str(action),
        target=target,
        at=iso(at),
        request_id=cause,
    )
