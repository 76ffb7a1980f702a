"""Data-subject rights (issue 10, section 1): the CRM's answer to a rectification closes the request.

A rectification goes to the CRM as `RectificationRequested` (selfcare.rights.staff, through the outbox) and waits,
`sent_to_crm`, on the staff queue. The CRM answers on the inbound bus with `RectificationCompleted` or
`RectificationRefused` (a reason code), which the projection (selfcare.projection.service) hands here:
- the request becomes `completed` or `refused` (with `closed_at` and the reason code), conditional on it being
  `sent_to_crm`, with its audit entry (actor `system#projection`, the event id as cause) and the event's receipt
  in ONE transaction: an event applied once; a replay is a duplicate and changes nothing;
- a request the customer does not have (unknown, another customer's, or an access request) answers
  UNKNOWN_REQUEST; one no longer awaiting the CRM (already answered) REQUEST_CLOSED: the projection sends both to
  the dead letters with their reason codes, and nothing is written;
- then the customer is told, at the contact email of their record, that the request was completed or refused
  (with the CRM's reason code), once: `notified_at` is set and the notification audited. A notification that
  failed after the transaction (SES unavailable) raises, Lambda delivers the event again, and the replay,
  a duplicate for the transaction, sends the notification still owed. A record without a contact email, or an
  address SES refuses, is logged (ids only) and not retried: the answer stays visible in the space and on the
  staff queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from selfcare.account.models import CustomerProfile
from selfcare.audit.system import system_entry
from selfcare.clock import Clock, epoch
from selfcare.dal.logs import LogsRepository
from selfcare.dal.receipts import TransactionResult, write_with_receipt
from selfcare.dal.rights import RightsRepository
from selfcare.errors import EmailAddressRefused
from selfcare.observability import count, logger
from selfcare.ports.notifications import Notification, Notifier
from selfcare.projection.models import WriteResult
from selfcare.rights.models import RightsRequest, RightsRequestKind, RightsRequestStatus

AWAITING_CRM = frozenset({RightsRequestStatus.SENT_TO_CRM})
ANSWERED = frozenset({RightsRequestStatus.COMPLETED, RightsRequestStatus.REFUSED})


class Profiles(Protocol):
    def get_profile(self, customer_id: str) -> CustomerProfile | None: ...


class RectificationAnswers:
    def __init__(
        self,
        *,
        requests: RightsRepository,
        receipts_table: str,
        audit: LogsRepository | None,
        clock: Clock,
        profiles: Profiles | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        """`profiles` and `notifier`: where the customer is told of the answer (None: not told, as in tests of
        the transition alone)."""
        self.requests = requests
        self.receipts_table = receipts_table
        self.audit = audit
        self.clock = clock
        self.profiles = profiles
        self.notifier = notifier

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
            if rights.status in ANSWERED:  # a replay after a failed notification: the one still owed
                self._notify(rights, rights.status, rights.refusal_reason, event_id)
            return WriteResult.DUPLICATE
        if result is TransactionResult.CONDITION_FAILED:
            return WriteResult.REQUEST_CLOSED
        count(f"Rectification_{to.value}")
        logger.info(
            "rectification answered by the CRM",
            extra={"request_id": request_id, "customer_id": customer_id, "status": to.value},
        )
        self._notify(rights, to, None if completed else reason, event_id)
        return WriteResult.APPLIED

    def _notify(self, rights: RightsRequest, status: RightsRequestStatus, reason: str | None, event_id: str) -> None:
        if self.notifier is None or self.profiles is None or rights.notified_at is not None:
            return
        profile = self.profiles.get_profile(rights.customer_id)
        ids = {"request_id": rights.request_id, "customer_id": rights.customer_id}
        if profile is None or not profile.contact_email:
            logger.warning("rectification answered, no contact email to tell", extra=ids)
            return
        if status is RightsRequestStatus.COMPLETED:
            subject = "Your personal data was corrected"
            outcome = "was carried out: your data is now corrected"
        else:
            subject = "Your request to correct your personal data was refused"
            outcome = f"was refused (reason: {reason or 'unspecified'}). Our customer service can tell you more"
        try:
            self.notifier.send(
                Notification(
                    to=profile.contact_email,
                    kind=f"rights_rectification_{status.value}",
                    subject=subject,
                    body=(
                        f"Your request {rights.request_id} to correct your personal data {outcome}. You can see it in "
                        "your customer space (Rights of the data subject)."
                    ),
                )
            )
        except EmailAddressRefused:
            logger.warning("rectification answered, the contact email was refused", extra=ids)
            return
        now = self.clock.now()
        self.requests.mark_notified(rights, now)
        if self.audit is not None:
            entry = system_entry(
                "projection",
                rights.customer_id,
                "rights.rectification.notified",
                now,
                event_id,
                f"rights#{rights.request_id}",
            )
            self.audit.audit(entry, now)
        count("RectificationNotified")
