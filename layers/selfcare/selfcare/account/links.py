"""Account unification: a customer links another customer account after proving control of it (its
credentials, verified and counted like a login by the auth capability), lists the linked accounts,
switches to one (a new session of that customer, opened by the auth capability), unlinks.

Only the customer: staff never use a customer's credentials, and a switch is a session of the customer's.
Both sides of a link are written (and removed) in one transaction with an audit entry for each customer.
"""

from __future__ import annotations

from typing import Protocol

from selfcare.account.common import audit_entry
from selfcare.account.models import AccountLink
from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller, Permission, authorize, require_customer
from selfcare.auth.service import Tokens
from selfcare.clock import Clock, epoch, iso
from selfcare.dal import account as records
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.dal.logs import LogsRepository
from selfcare.errors import AlreadyLinked, FieldProblem, InvalidInput, NotFound, ReauthenticationRequired


class AccountAuth(Protocol):
    """What unification needs from the auth capability (selfcare.auth.service.AuthService)."""

    def verify_customer_credentials(self, identifier: str, password: str, request: RequestInfo) -> str: ...

    def open_linked_session(self, caller: Caller, customer_id: str, request: RequestInfo) -> Tokens: ...


class LinkService:
    def __init__(
        self,
        *,
        customers: CustomersRepository,
        logs: LogsRepository,
        auth: AccountAuth,
        clock: Clock,
        recent_auth_seconds: int = 300,
    ) -> None:
        self.customers = customers
        self.logs = logs
        self.auth = auth
        self.clock = clock
        self.recent_auth_seconds = recent_auth_seconds

    def link(self, caller: Caller, identifier: str, password: str, request: RequestInfo) -> AccountLink:
        me = require_customer(caller)
        authorize(caller, Permission.MODIFY)
        if epoch(self.clock.now()) - caller.auth_time > self.recent_auth_seconds:
            raise ReauthenticationRequired()
        other = self.auth.verify_customer_credentials(identifier, password, request)
        if other == me:
            raise InvalidInput([FieldProblem(("body", "identifier"), "This is your own account.", "own_account")])
        mine, theirs = self.customers.get_profile(me), self.customers.get_profile(other)
        if mine is None or theirs is None:
            raise NotFound("No such account.")
        now = self.clock.now()
        at = iso(now)
        side = AccountLink(me, mine.account_number, other, theirs.account_number, at, caller.actor, "credentials")
        back = AccountLink(other, theirs.account_number, me, mine.account_number, at, caller.actor, "credentials")
        try:
            transact(
                [
                    records.link_put_op(self.customers.table, side),
                    records.link_put_op(self.customers.table, back),
                    self.logs.audit_op(
                        audit_entry(caller, me, "account.linked", f"customer#{other}", request, now), now
                    ),
                    self.logs.audit_op(
                        audit_entry(caller, other, "account.linked", f"customer#{me}", request, now), now
                    ),
                ]
            )
        except ConditionFailed:
            raise AlreadyLinked() from None
        return side

    def list(self, caller: Caller, request: RequestInfo) -> list[AccountLink]:
        customer_id = authorize(caller, Permission.READ)
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(audit_entry(caller, customer_id, "links.viewed", "links", request, now), now)
        return records.links(self.customers.table, customer_id)

    def _mine(self, caller: Caller, account_number: str) -> AccountLink:
        me = require_customer(caller)
        authorize(caller, Permission.MODIFY)
        found = records.link(self.customers.table, me, account_number)
        if found is None:
            raise NotFound("No such linked account.")
        return found

    def switch(self, caller: Caller, account_number: str, request: RequestInfo) -> Tokens:
        """The tokens of a new session of the linked customer (opened by the auth capability)."""
        found = self._mine(caller, account_number)
        return self.auth.open_linked_session(caller, found.linked_customer_id, request)

    def unlink(self, caller: Caller, account_number: str, request: RequestInfo) -> None:
        found = self._mine(caller, account_number)
        now = self.clock.now()
        me, other = found.customer_id, found.linked_customer_id
        try:
            transact(
                [
                    records.link_delete_op(self.customers.table, me, found.linked_account_number),
                    records.link_delete_op(self.customers.table, other, found.account_number),
                    self.logs.audit_op(
                        audit_entry(caller, me, "account.unlinked", f"customer#{other}", request, now), now
                    ),
                    self.logs.audit_op(
                        audit_entry(caller, other, "account.unlinked", f"customer#{me}", request, now), now
                    ),
                ]
            )
        except ConditionFailed:
            raise NotFound("No such linked account.") from None
