"""Support tickets: created in the space (channel web) or by staff under assisted access (channel
assisted); the customer lists the open web tickets and reads one with its status history and notes.
Status changes and notes come from the operator's support tools (not this API)."""

from __future__ import annotations

import secrets

from selfcare.account.common import audit_entry
from selfcare.account.models import (
    OPEN_TICKET_STATUSES,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketStatus,
    TicketStatusChange,
)
from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, iso
from selfcare.dal import account as records
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import transact
from selfcare.dal.logs import LogsRepository
from selfcare.errors import FieldProblem, InvalidInput, NotFound


class TicketService:
    def __init__(self, *, customers: CustomersRepository, logs: LogsRepository, clock: Clock) -> None:
        self.customers = customers
        self.logs = logs
        self.clock = clock

    def _audit_staff_read(self, caller: Caller, customer_id: str, target: str, request: RequestInfo) -> None:
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(audit_entry(caller, customer_id, "tickets.viewed", target, request, now), now)

    def create(
        self,
        caller: Caller,
        request: RequestInfo,
        *,
        category: TicketCategory,
        subject: str,
        description: str,
        related_line_id: str | None,
        related_invoice_id: str | None,
    ) -> Ticket:
        customer_id = authorize(caller, Permission.MODIFY)
        if related_line_id is not None and not records.has_line(self.customers.table, customer_id, related_line_id):
            # Another customer's line is as unknown as a line that does not exist.
            raise InvalidInput([FieldProblem(("body", "related_line_id"), "No such line.", "unknown_line")])
        now = self.clock.now()
        at = iso(now)
        ticket = Ticket(
            customer_id=customer_id,
            ticket_id=f"T{now:%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}",
            category=category,
            subject=subject,
            description=description,
            channel=TicketChannel.ASSISTED if caller.is_staff else TicketChannel.WEB,
            status=TicketStatus.OPEN,
            created_at=at,
            created_by=caller.actor,
            related_line_id=related_line_id,
            related_invoice_id=related_invoice_id,
            history=(TicketStatusChange(status=TicketStatus.OPEN, at=at, by=caller.actor),),
        )
        transact(
            [
                records.ticket_put_op(self.customers.table, ticket),
                self.logs.audit_op(
                    audit_entry(caller, customer_id, "ticket.created", f"ticket#{ticket.ticket_id}", request, now), now
                ),
            ]
        )
        return ticket

    def open_web_tickets(self, caller: Caller, request: RequestInfo) -> list[Ticket]:
        customer_id = authorize(caller, Permission.READ)
        self._audit_staff_read(caller, customer_id, "tickets", request)
        statuses = frozenset(s.value for s in OPEN_TICKET_STATUSES)
        return records.open_tickets(self.customers.table, customer_id, TicketChannel.WEB, statuses)

    def get(self, caller: Caller, request: RequestInfo, ticket_id: str) -> Ticket:
        customer_id = authorize(caller, Permission.READ)
        ticket = records.ticket(self.customers.table, customer_id, ticket_id)
        if ticket is None:
            raise NotFound("No such ticket.")
        self._audit_staff_read(caller, customer_id, f"ticket#{ticket_id}", request)
        return ticket
