"""Data-subject rights, staff side (issue 10, section 1): requests received by email or letter, the proof of
identity, the queue; and rectification (name, birth date, address), routed to the CRM with the same clock.

- Who: customer-service advisors and customer-service staff (the subsidiary's customer service, who receive
  the letters and emails), outside any assisted-access grant: registering a request is not acting in the
  customer's space. Other roles answer 403 (docs/decisions.md, 2026-11-26).
- Identity, first choice: a code sent by staff to the contact email or mobile ON RECORD (never to an address
  the requester gives); the requester gives it back to staff (by phone, or in reply), who enter it. Single use,
  stored as a digest on the request, 48 hours, 5 wrong tries (then a new code is needed).
- Only where no code can reach the person: an identity document, uploaded through a presigned PUT to the
  rights bucket (identity-documents/<request id>, KMS-encrypted), shown ONCE to the verifying staff member
  (a presigned GET; the request is marked shown in the same conditional write, a second view is refused), and
  deleted on verification (accepted or refused), at the latest after 30 days (the bucket's lifecycle rule).
- Once the identity is proven: an access request is queued for the export worker; a rectification is routed
  to the CRM through the outbox (event `RectificationRequested`, in the same transaction as the status).
Every step is audited on the customer's trail (actor: the staff member; never the code or the document).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from selfcare.account.common import audit_entry, crm_event, mask_email, mask_phone
from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller, StaffRole, require_customer, require_staff
from selfcare.clock import Clock, epoch
from selfcare.dal.crm_outbox import outbox_put_op
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.rights import IDENTITY_DOCUMENTS, RightsFiles, RightsRepository, run
from selfcare.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    InvalidInput,
    InvalidVerificationCode,
    NotFound,
    ReauthenticationRequired,
)
from selfcare.observability import count, logger
from selfcare.ports.notifications import Notification, Notifier, Sms, SmsSender
from selfcare.ports.rights_queue import ExportQueue
from selfcare.rights.models import (
    ANSWER_MONTHS,
    RightsChannel,
    RightsIdentityChannel,
    RightsRequest,
    RightsRequestKind,
    RightsRequestStatus,
    due_at,
)
from selfcare.rights.service import new_request_id

RIGHTS_STAFF = frozenset({StaffRole.CUSTOMER_SERVICE_ADVISOR, StaffRole.CUSTOMER_SERVICE_STAFF})


@dataclass(frozen=True)
class IdentityPolicy:
    code_seconds: int = 48 * 3600
    code_digits: int = 6
    max_attempts: int = 5
    document_link_seconds: int = 5 * 60
    recent_auth_seconds: int = 5 * 60


@dataclass(frozen=True)
class CodeSentTo:
    channel: RightsIdentityChannel
    sent_to: str  # masked
    expires_in: int


@dataclass(frozen=True)
class DocumentLink:
    url: str
    expires_in: int


def identity_code_digest(customer_id: str, request_id: str, code: str) -> str:
    # Bound to the customer and the request: the same code means nothing for another request.
    return hashlib.sha256(f"rights:{customer_id}:{request_id}:{code}".encode()).hexdigest()


class RightsDesk:
    """Staff registering and verifying requests; customers asking for a rectification."""

    def __init__(
        self,
        *,
        requests: RightsRepository,
        customers: CustomersRepository,
        logs: LogsRepository,
        queue: ExportQueue,
        files: RightsFiles,
        notifier: Notifier,
        sms: SmsSender,
        clock: Clock,
        policy: IdentityPolicy,
    ) -> None:
        self.requests = requests
        self.customers = customers
        self.logs = logs
        self.queue = queue
        self.files = files
        self.notifier = notifier
        self.sms = sms
        self.clock = clock
        self.policy = policy

    # Who --------------------------------------------------------------------------------------------------------
    @staticmethod
    def _staff(caller: Caller) -> None:
        if require_staff(caller) not in RIGHTS_STAFF:
            raise Forbidden("Only customer-service staff handle data-subject requests.")

    def _profile(self, customer_id: str) -> Any:
        profile = self.customers.get_profile(customer_id)
        if profile is None:
            raise NotFound("No such customer.")
        return profile

    def _request(self, customer_id: str, request_id: str) -> RightsRequest:
        found = self.requests.get(customer_id, request_id)
        if found is None:
            raise NotFound("No such request.")
        return found

    def _awaiting(self, customer_id: str, request_id: str) -> RightsRequest:
        found = self._request(customer_id, request_id)
        if found.status is not RightsRequestStatus.AWAITING_IDENTITY:
            raise Conflict("The requester's identity is already settled for this request.")
        return found

    # Registering --------------------------------------------------------------------------------------------
    def register(
        self,
        caller: Caller,
        request: RequestInfo,
        *,
        customer_id: str,
        kind: RightsRequestKind,
        channel: RightsChannel,
        received_at: datetime | None,
        changes: dict[str, object],
    ) -> RightsRequest:
        """A request received by email or letter: the clock starts at its receipt (given, or now)."""
        self._staff(caller)
        self._profile(customer_id)
        now = self.clock.now()
        received = received_at or now
        if received.tzinfo is None:  # a time without offset is read as UTC
            received = received.replace(tzinfo=UTC)
        if received > now or received < now - timedelta(days=31 * ANSWER_MONTHS):
            raise InvalidInput(
                [FieldProblem(("body", "received_at"), "Not in the future, nor more than a month ago.", "value_error")]
            )
        if channel is RightsChannel.SPACE:
            raise InvalidInput([FieldProblem(("body", "channel"), "Staff register email or letter.", "value_error")])
        _check_changes(kind, changes)
        rights = RightsRequest(
            request_id=new_request_id(),
            customer_id=customer_id,
            kind=kind,
            channel=channel,
            status=RightsRequestStatus.AWAITING_IDENTITY,
            received_at=received,
            due_at=due_at(received),
            registered_by=caller.actor,
            changes=changes,
        )
        target = f"rights#{rights.request_id}"
        run(
            [
                self.requests.put_op(rights),
                self.logs.audit_op(
                    audit_entry(caller, customer_id, f"rights.{kind.value}.registered", target, request, now), now
                ),
            ]
        )
        count("RightsRequestRegistered")
        logger.info("rights request registered", extra={"request_id": rights.request_id, "customer_id": customer_id})
        return rights

    def queue_of_open(self, caller: Caller) -> list[RightsRequest]:
        """Open requests, earliest due first."""
        self._staff(caller)
        return self.requests.open_by_due()

    # Identity: the code to the contact on record ---------------------------------------------------------------
    def send_code(
        self, caller: Caller, request: RequestInfo, customer_id: str, request_id: str, channel: RightsIdentityChannel
    ) -> CodeSentTo:
        self._staff(caller)
        rights = self._awaiting(customer_id, request_id)
        profile = self._profile(customer_id)
        address = profile.contact_email if channel is RightsIdentityChannel.EMAIL else profile.contact_mobile
        if not address:
            raise Conflict("No contact on record for this channel: use the other one, or the identity document.")
        code = f"{secrets.randbelow(10**self.policy.code_digits):0{self.policy.code_digits}d}"
        hours = self.policy.code_seconds // 3600
        if channel is RightsIdentityChannel.EMAIL:
            self.notifier.send(
                Notification(
                    to=address,
                    kind="rights_identity_code",
                    subject="Your request about your personal data: your code",
                    body=(
                        f"We received a request about your personal data (reference {request_id}). To confirm it "
                        f"is yours, give this code to our customer service within {hours} hours: {code}\n\n"
                        "If you did not make this request, tell our customer service and do not give the code."
                    ),
                )
            )
            masked = mask_email(address)
        else:
            self.sms.send_sms(
                Sms(
                    to=address,
                    kind="rights_identity_code",
                    body=f"Selfcare: code {code} confirms your request {request_id} about your personal data; give "
                    f"it to our customer service within {hours} h. Not yours? Do not give it.",
                )
            )
            masked = mask_phone(address)
        now = self.clock.now()
        ok = run(
            [
                self.requests.update_op(
                    rights,
                    "#status = :awaiting",
                    code_digest=identity_code_digest(customer_id, request_id, code),
                    code_expires_at=epoch(now) + self.policy.code_seconds,
                    code_attempts=0,
                    identity_method=f"code_{channel.value}",
                ),
                self.logs.audit_op(
                    audit_entry(
                        caller, customer_id, "rights.identity.code_sent", f"contact_{channel.value}", request, now
                    ),
                    now,
                ),
            ]
        )
        if not ok:
            raise Conflict("The request changed meanwhile.")
        return CodeSentTo(channel, masked, self.policy.code_seconds)

    def verify_code(
        self, caller: Caller, request: RequestInfo, customer_id: str, request_id: str, code: str
    ) -> RightsRequest:
        self._staff(caller)
        rights = self._awaiting(customer_id, request_id)
        now = self.clock.now()
        if (
            rights.code_digest is None
            or rights.code_expires_at is None
            or rights.code_expires_at <= epoch(now)
            or rights.code_attempts >= self.policy.max_attempts
        ):
            raise InvalidVerificationCode()
        if not hmac.compare_digest(rights.code_digest, identity_code_digest(customer_id, request_id, code)):
            run(
                [
                    # Counted atomically: wrong codes sent at the same time each use a try.
                    self.requests.count_code_failure_op(rights),
                    self.logs.audit_op(
                        audit_entry(
                            caller, customer_id, "rights.identity.code_refused", f"rights#{request_id}", request, now
                        ),
                        now,
                    ),
                ]
            )
            raise InvalidVerificationCode()
        # Proven only while the tries were not used up meanwhile (by wrong codes sent at the same time).
        return self._proven(
            caller, request, rights, str(rights.identity_method or "code"), now, within_code_attempts=True
        )

    # Identity: the document, where no code can reach the person ------------------------------------------------
    def document_upload(self, caller: Caller, request: RequestInfo, customer_id: str, request_id: str) -> DocumentLink:
        self._staff(caller)
        rights = self._awaiting(customer_id, request_id)
        object_key = f"{IDENTITY_DOCUMENTS}{request_id}"
        now = self.clock.now()
        ok = run(
            [
                self.requests.update_op(
                    rights,
                    "#status = :awaiting",
                    document_key=object_key,
                    document_shown_at=None,
                    identity_method="document",
                ),
                self.logs.audit_op(
                    audit_entry(
                        caller, customer_id, "rights.identity.document_upload", f"rights#{request_id}", request, now
                    ),
                    now,
                ),
            ]
        )
        if not ok:
            raise Conflict("The request changed meanwhile.")
        url = self.files.upload_url(object_key, self.policy.document_link_seconds)
        return DocumentLink(url, self.policy.document_link_seconds)

    def document_view(self, caller: Caller, request: RequestInfo, customer_id: str, request_id: str) -> DocumentLink:
        """Shown once: the view is recorded (conditionally) before the link is given; a second view is refused."""
        self._staff(caller)
        rights = self._awaiting(customer_id, request_id)
        if rights.document_key is None or not self.files.exists(rights.document_key):
            raise NotFound("No identity document uploaded for this request.")
        if rights.document_shown_at is not None:
            raise Conflict("The identity document was already shown once.")
        now = self.clock.now()
        ok = run(
            [
                self.requests.update_op(
                    rights, "#status = :awaiting AND attribute_not_exists(document_shown_at)", document_shown_at=now
                ),
                self.logs.audit_op(
                    audit_entry(
                        caller, customer_id, "rights.identity.document_shown", f"rights#{request_id}", request, now
                    ),
                    now,
                ),
            ]
        )
        if not ok:
            raise Conflict("The identity document was already shown once.")
        return DocumentLink(
            self.files.view_url(rights.document_key, self.policy.document_link_seconds),
            self.policy.document_link_seconds,
        )

    def document_decision(
        self, caller: Caller, request: RequestInfo, customer_id: str, request_id: str, accepted: bool
    ) -> RightsRequest:
        """Deleted on verification, whatever the decision; accepted: the request proceeds; else refused."""
        self._staff(caller)
        rights = self._awaiting(customer_id, request_id)
        if rights.document_key is None or rights.document_shown_at is None:
            raise Conflict("The identity document must be uploaded and looked at before a decision.")
        self.files.delete(rights.document_key)
        now = self.clock.now()
        if accepted:
            return self._proven(caller, request, rights, "document", now, document_deleted=True)
        run(
            [
                self.requests.transition_op(
                    rights,
                    frozenset({RightsRequestStatus.AWAITING_IDENTITY}),
                    RightsRequestStatus.REFUSED,
                    document_key=None,
                    identity_method="document",
                ),
                self.logs.audit_op(
                    audit_entry(caller, customer_id, "rights.identity.refused", f"rights#{request_id}", request, now),
                    now,
                ),
            ]
        )
        return self._request(customer_id, request_id)

    # Proven: the request proceeds ----------------------------------------------------------------------------------
    def _proven(
        self,
        caller: Caller,
        request: RequestInfo,
        rights: RightsRequest,
        method: str,
        now: datetime,
        document_deleted: bool = False,
        within_code_attempts: bool = False,
    ) -> RightsRequest:
        customer_id, target = rights.customer_id, f"rights#{rights.request_id}"
        attempts = self.policy.max_attempts if within_code_attempts else None
        extra: dict[str, Any] = {"identity_method": method, "identity_verified_at": now, "code_digest": None}
        if document_deleted:
            extra["document_key"] = None
        ops = [
            self.logs.audit_op(audit_entry(caller, customer_id, "rights.identity.verified", target, request, now), now)
        ]
        if rights.kind is RightsRequestKind.ACCESS:
            ops.insert(
                0,
                self.requests.transition_op(
                    rights,
                    frozenset({RightsRequestStatus.AWAITING_IDENTITY}),
                    RightsRequestStatus.QUEUED,
                    within_code_attempts=attempts,
                    **extra,
                ),
            )
        else:
            ops[:0] = self._to_crm_ops(caller, rights, now, within_code_attempts=attempts, **extra)
        if not run(ops):
            if within_code_attempts:
                raise InvalidVerificationCode()  # the tries were used up meanwhile: as a wrong code
            raise Conflict("The request changed meanwhile.")
        if rights.kind is RightsRequestKind.ACCESS:
            self.queue.enqueue(customer_id, rights.request_id)
        return self._request(customer_id, rights.request_id)

    def _to_crm_ops(
        self,
        caller: Caller,
        rights: RightsRequest,
        now: datetime,
        within_code_attempts: int | None = None,
        **extra: Any,
    ) -> list[dict[str, Any]]:
        event = crm_event(
            "RectificationRequested",
            rights.customer_id,
            now,
            caller,
            request_id=rights.request_id,
            received_at=rights.received_at.isoformat(),
            due_at=rights.due_at.isoformat(),
            changes=rights.changes,
        )
        return [
            self.requests.transition_op(
                rights,
                frozenset({RightsRequestStatus.AWAITING_IDENTITY, RightsRequestStatus.QUEUED}),
                RightsRequestStatus.SENT_TO_CRM,
                within_code_attempts=within_code_attempts,
                **extra,
            ),
            outbox_put_op(self.requests.table, event, now),
        ]

    # The customer: a rectification from the space ----------------------------------------------------------------
    def rectify(self, caller: Caller, request: RequestInfo, changes: dict[str, object]) -> RightsRequest:
        """Recorded and routed to the CRM at once (the session proves the identity), with the same clock."""
        customer_id = require_customer(caller)
        now = self.clock.now()
        if epoch(now) - caller.auth_time > self.policy.recent_auth_seconds:
            raise ReauthenticationRequired()
        self._profile(customer_id)
        _check_changes(RightsRequestKind.RECTIFICATION, changes)
        rights = RightsRequest(
            request_id=new_request_id(),
            customer_id=customer_id,
            kind=RightsRequestKind.RECTIFICATION,
            channel=RightsChannel.SPACE,
            status=RightsRequestStatus.QUEUED,
            received_at=now,
            due_at=due_at(now),
            registered_by=caller.actor,
            changes=changes,
            identity_method="session",
            identity_verified_at=now,
        )
        sent = RightsRequest(**{**rights.__dict__, "status": RightsRequestStatus.SENT_TO_CRM})
        event = crm_event(
            "RectificationRequested",
            customer_id,
            now,
            caller,
            request_id=rights.request_id,
            received_at=rights.received_at.isoformat(),
            due_at=rights.due_at.isoformat(),
            changes=changes,
        )
        target = f"rights#{rights.request_id}"
        run(
            [
                self.requests.put_op(sent),
                outbox_put_op(self.requests.table, event, now),
                self.logs.audit_op(
                    audit_entry(caller, customer_id, "rights.rectification.requested", target, request, now), now
                ),
            ]
        )
        count("RectificationRequested")
        return sent


def _check_changes(kind: RightsRequestKind, changes: dict[str, object]) -> None:
    if kind is RightsRequestKind.RECTIFICATION and not changes:
        raise InvalidInput([FieldProblem(("body", "changes"), "Say what to rectify.", "missing")])
    if kind is RightsRequestKind.ACCESS and changes:
        raise InvalidInput([FieldProblem(("body", "changes"), "Only a rectification has changes.", "extra_forbidden")])
