"""Data-subject rights (issue 10, section 1): the CRM's answer to a rectification closes the request.

A rectification goes to the CRM as `RectificationRequested` (selfcare.rights.staff, through the outbox) and waits,
`sent_to_crm`, on the staff queue. The CRM answers on the inbound bus with `RectificationCompleted` or
`RectificationRefused` (a reason code), which the projection (selfcare.projection.service) hands here:
- the request becomes `completed` or `refused` (with `closed_at` and the reason code), conditional on it being
  `sent_to_crm`, with its audit entry (actor `system#projection`, the event id as cause) and the event's receipt
  in ONE transaction: an event applied once; a replay is a duplicate and changes nothing;
- a request the customer does not have (unknown, another customer's, or an access request) answers
  UNKNOWN_REQUEST; one no longer awaiting the CRM (already answered) REQUEST_CLOSED: the projection sends both to
  the dead letters with their reason codes, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime

from selfcare.audit.system import system_entry
from selfcare.clock import Clock, epoch
from selfcare.dal.logs import LogsRepository
from selfcare.dal.receipts import TransactionResult, write_with_receipt
from selfcare.dal.rights import RightsRepository
from selfcare.observability import count, logger
from selfcare.projection.models import WriteResult
from selfcare.rights.models import RightsRequestKind, RightsRequestStatus

AWAITING_CRM = frozenset({RightsRequestStatus.SENT_TO_CRM})


class RectificationAnswers:
    def __init__(
        self, *, requests: RightsRepository, receipts_table: str, audit: LogsRepository | None, clock: Clock
    ) -> None:
        self.requests = requests
        self.receipts_table = receipts_table
        self.audit = audit
        self.clock = clock

    def close(
        self,
        customer_id: str,
        request_id: str,
        *,
        completed: bool,
        at: datetime,
        event_id: str,
        reason: str | None = None,
    ) -> WriteResult:
        rights = self.requests.get(customer_id, request_id)
        if rights is None or rights.kind is not RightsRequestKind.RECTIFICATION:
            return WriteResult.UNKNOWN_REQUEST
        to = RightsRequestStatus.COMPLETED if completed else RightsRequestStatus.REFUSED
        now = self.clock.now()
        operations = [
            self.requests.transition_op(
                rights, AWAITING_CRM, to, closed_at=at, refusal_reason=None if completed else reason
            )
        ]
        if self.audit is not None:
            entry = system_entry(
                "projection", customer_id, f"rights.rectification.{to.value}", now, event_id, f"rights#{request_id}"
            )
            operations.append(self.audit.audit_op(entry, now))
        result = write_with_receipt(operations, self.receipts_table, event_id, epoch(now))
        if result is TransactionResult.DUPLICATE:
            return WriteResult.DUPLICATE
        if result is TransactionResult.CONDITION_FAILED:
            return WriteResult.REQUEST_CLOSED
        count(f"Rectification_{to.value}")
        logger.info(
            "rectification answered by the CRM",
            extra={"request_id": request_id, "customer_id": customer_id, "status": to.value},
        )
        return WriteResult.APPLIED
