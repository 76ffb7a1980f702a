"""Support tickets: created in the space (channel web) or by staff under assisted access (channel
assisted); the customer lists the open web tickets and reads one with its status history and notes.
Status changes and notes come from the operator's support tools (not this API).

A creation may carry an Idempotency-Key: the first one creates the ticket and records the key (which ticket,
a digest of the request and of its author) in the same transaction, conditioned on no live record of the key;
a repetition within 24 hours answers that same ticket and creates nothing; the key with another request is
refused (422 idempotency_key_reused). Keys belong to the customer: another customer's same key is another key.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from selfcare.account.common import audit_entry
from selfcare.account.models import (
    OPEN_TICKET_STATUSES,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketRequest,
    TicketStatus,
    TicketStatusChange,
)
from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, epoch, iso
from selfcare.dal import account as records
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.dal.logs import LogsRepository
from selfcare.errors import FieldProblem, IdempotencyKeyReused, InvalidInput, NotFound
from selfcare.observability import count, logger

IDEMPOTENCY_KEY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class TicketCreated:
    ticket: Ticket
    replayed: bool  # True: an earlier request with the same Idempotency-Key created it; nothing new


def request_fingerprint(actor: str, **fields: str | None) -> str:
    """A digest of the request and its author: the same key with anything else is another request."""
    canonical = json.dumps({"actor": actor, **fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class TicketService:
    def __init__(
        self,
        *,
        customers: CustomersRepository,
        logs: LogsRepository,
        clock: Clock,
        idempotency_key_seconds: int = IDEMPOTENCY_KEY_SECONDS,
    ) -> None:
        self.customers = customers
        self.logs = logs
        self.clock = clock
        self.idempotency_key_seconds = idempotency_key_seconds

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
        idempotency_key: str | None = None,
    ) -> TicketCreated:
        customer_id = authorize(caller, Permission.MODIFY)
        fingerprint = request_fingerprint(
            caller.actor,
            category=category.value,
            subject=subject,
            description=description,
            related_line_id=related_line_id,
            related_invoice_id=related_invoice_id,
        )
        now = self.clock.now()
        if idempotency_key is not None:
            earlier = records.ticket_request(self.customers.table, customer_id, idempotency_key, epoch(now))
            if earlier is not None:
                return self._replay(earlier, fingerprint)
        if related_line_id is not None and not records.has_line(self.customers.table, customer_id, related_line_id):
            # Another customer's line is as unknown as a line that does not exist.
            raise InvalidInput([FieldProblem(("body", "related_line_id"), "No such line.", "unknown_line")])
        if related_invoice_id is not None and not records.has_invoice(
            self.customers.table, customer_id, related_invoice_id, epoch(now)
        ):
            # Checked like the line: another customer's invoice is as unknown as one that does not exist.
            raise InvalidInput([FieldProblem(("body", "related_invoice_id"), "No such invoice.", "unknown_invoice")])
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
        ops = [
            records.ticket_put_op(self.customers.table, ticket),
            self.logs.audit_op(
                audit_entry(caller, customer_id, "ticket.created", f"ticket#{ticket.ticket_id}", request, now), now
            ),
        ]
        if idempotency_key is None:
            transact(ops)
            return TicketCreated(ticket, replayed=False)
        record = TicketRequest(
            customer_id=customer_id,
            key=idempotency_key,
            ticket_id=ticket.ticket_id,
            fingerprint=fingerprint,
            expires_at=epoch(now) + self.idempotency_key_seconds,
        )
        try:
            transact([records.ticket_request_put_op(self.customers.table, record, epoch(now)), *ops])
        except ConditionFailed as failed:
            if failed.index != 0:
                raise
            # The same key, recorded by a request that ran at the same time: answer as a repetition.
            earlier = records.ticket_request(self.customers.table, customer_id, idempotency_key, epoch(now))
            if earlier is None:
                raise
            return self._replay(earlier, fingerprint)
        return TicketCreated(ticket, replayed=False)

    def _replay(self, earlier: TicketRequest, fingerprint: str) -> TicketCreated:
        if earlier.fingerprint != fingerprint:
            count("IdempotencyKeyReused")
            raise IdempotencyKeyReused()
        ticket = records.ticket(self.customers.table, earlier.customer_id, earlier.ticket_id, consistent=True)
        if ticket is None:
            raise NotFound("No such ticket.")
        logger.info(
            "ticket creation repeated", extra={"customer_id": earlier.customer_id, "ticket_id": ticket.ticket_id}
        )
        return TicketCreated(ticket, replayed=True)

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
