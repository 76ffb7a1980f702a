"""Account logic: the customer's own account view (customers, and staff under assisted access)."""

from __future__ import annotations

from datetime import datetime

from selfcare.account.models import CustomerProfile
from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, add_months, iso
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.errors import NotFound

# SPEC.md: customer-record information is no longer shown to anyone 1 month after termination.
SHOWN_AFTER_TERMINATION_MONTHS = 1


class AccountService:
    def __init__(self, customers: CustomersRepository, logs: LogsRepository, clock: Clock) -> None:
        self.customers = customers
        self.logs = logs
        self.clock = clock

    def view(self, caller: Caller, request: RequestInfo, account_number: str | None = None) -> CustomerProfile:
        """The account of the caller's customer. Any other account answers NotFound, as unknown ones do."""
        customer_id = authorize(caller, Permission.READ)
        now = self.clock.now()
        profile = self.customers.get_profile(customer_id)
        if profile is None or not self._still_shown(profile, now):
            raise NotFound("No such account.")
        if account_number is not None and profile.account_number != account_number:
            raise NotFound("No such account.")
        if caller.is_staff:
            # Every staff access is logged (SPEC.md, Staff access).
            self.logs.audit(
                AuditEntry(
                    actor=caller.actor,
                    on_behalf_of=f"customer#{customer_id}",
                    action="account.viewed",
                    target=f"customer#{customer_id}",
                    at=iso(now),
                    request_id=request.request_id,
                    grant_id=caller.grant_id,
                ),
                now,
            )
        return profile

    @staticmethod
    def _still_shown(profile: CustomerProfile, now: datetime) -> bool:
        if profile.terminated_at is None:
            return True
        terminated = datetime.fromisoformat(profile.terminated_at.replace("Z", "+00:00"))
        return now < add_months(terminated, SHOWN_AFTER_TERMINATION_MONTHS)
