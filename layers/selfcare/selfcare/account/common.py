"""What the account services share: audit entries and CRM events of a change (written to the outbox,
selfcare.dal.crm_outbox, in the change's own transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller
from selfcare.clock import iso
from selfcare.ports.crm_events import CrmEvent


def audit_entry(
    caller: Caller, customer_id: str, action: str, target: str, request: RequestInfo, now: datetime
) -> AuditEntry:
    return AuditEntry(
        actor=caller.actor,
        on_behalf_of=f"customer#{customer_id}",
        action=action,
        target=target,
        at=iso(now),
        request_id=request.request_id,
        grant_id=caller.grant_id,
    )


def crm_event(event_type: str, customer_id: str, now: datetime, caller: Caller, **payload: Any) -> CrmEvent:
    return CrmEvent(
        event_type=event_type,
        customer_id=customer_id,
        occurred_at=iso(now),
        event_id=uuid.uuid4().hex,
        payload={"changed_by": caller.actor, **payload},
    )


def mask_email(address: str) -> str:
    """j***@example.mc: enough for the owner to recognise it, not enough to read it off a screen."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str) -> str:
    return f"{number[:4]}****{number[-2:]}"
