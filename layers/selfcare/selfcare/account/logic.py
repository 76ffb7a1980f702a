"""Account logic: the customer's own account view (customers, and staff under assisted access)."""

from __future__ import annotations

from selfcare.account.models import CustomerProfile
from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, iso
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.errors import NotFound


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
        # A closed space (1 month after termination) never gets here: the authorizer answers 410 account_closed
        # for every route of it (retention's hide step, selfcare.retention.service).
        if profile is None:
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
