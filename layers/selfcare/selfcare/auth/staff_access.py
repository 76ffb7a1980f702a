"""Assisted access: staff grants on a customer's space, listed and ended, audited."""

from __future__ import annotations

from datetime import timedelta

from selfcare.api.context import RequestInfo
from selfcare.auth.core import AuthPart
from selfcare.auth.models import (
    AuditEntry,
    Grant,
)
from selfcare.auth.policy import Caller, require_staff
from selfcare.auth.tokens import (
    new_id,
)
from selfcare.clock import epoch, iso
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.errors import (
    AccountClosed,
    FieldProblem,
    InvalidInput,
    NotFound,
)


class StaffAccessService(AuthPart):
    """Assisted-access grants."""

    # Assisted access ---------------------------------------------------------------------------
    def grant_assisted_access(
        self,
        caller: Caller,
        customer_id: str,
        reason: str,
        minutes: int,
        request: RequestInfo,
        reference: str | None = None,  # the role's condition (selfcare.auth.grant_conditions)
    ) -> Grant:
        role = require_staff(caller)
        if minutes > self.policy.max_grant_minutes:
            raise InvalidInput(
                [
                    FieldProblem(
                        ("body", "duration_minutes"),
                        f"At most {self.policy.max_grant_minutes} minutes.",
                        "too_long",
                    )
                ]
            )
        profile = self.customers.get_profile(customer_id)
        if profile is None:
            raise NotFound("No such customer.")
        if profile.hidden_at is not None:  # retention: no new assisted access to a closed space
            raise AccountClosed()
        now = self.clock.now()
        grant = Grant(
            grant_id=new_id(),
            staff_id=caller.principal_id,
            role=role,
            customer_id=customer_id,
            reason=reason,
            created_at=iso(now),
            expires_at=epoch(now + timedelta(minutes=minutes)),
            reference=reference,
        )
        entry = AuditEntry(
            actor=caller.actor,
            on_behalf_of=f"customer#{customer_id}",
            action="assisted_access.granted",
            target=f"grant#{grant.grant_id}",
            at=grant.created_at,
            request_id=request.request_id,
            grant_id=grant.grant_id,
            reference=reference,
        )
        transact([self.sessions.put_grant_op(grant), self.logs.audit_op(entry, now)])
        return grant

    def list_grants(self, caller: Caller) -> list[Grant]:
        require_staff(caller)
        return self.sessions.live_grants(caller.principal_id, epoch(self.clock.now()))

    def end_grant(self, caller: Caller, grant_id: str, request: RequestInfo) -> None:
        require_staff(caller)
        now = self.clock.now()
        entry = AuditEntry(
            actor=caller.actor,
            on_behalf_of=caller.actor,
            action="assisted_access.ended",
            target=f"grant#{grant_id}",
            at=iso(now),
            request_id=request.request_id,
            grant_id=grant_id,
        )
        try:
            transact(
                [
                    self.sessions.end_grant_op(grant_id, caller.principal_id, iso(now)),
                    self.logs.audit_op(entry, now),
                ]
            )
        except ConditionFailed:
            raise NotFound("No such grant.") from None
