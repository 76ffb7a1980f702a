"""Data-subject rights (issue 10, section 1): requests of access from the space, their clock, the export.

- A customer with a recent authentication asks for their data (`create_access_request`): the request is
  recorded (receipt time, due time = receipt + 1 calendar month) with its audit entry in one transaction, then
  queued for the export worker. An Idempotency-Key makes a repeated creation answer the same request.
- The worker (`build_export`) reads every store of the personal-data registry for the customer, writes the
  JSON and PDF files under the request's prefix in the rights bucket, then marks the request ready (with its
  audit entry, one transaction) and tells the customer by email (contact email on record). A failure midway
  marks it `failed` (audited, a reason code) and raises: the queue delivers it again and the build starts over
  (files are overwritten, nothing half-done is ever shown: the links exist only once the request is ready).
- The customer lists their requests (status, receipt, due time, days left) and reads one: once ready and
  until the files expire, with short-lived presigned links to both files (each issue audited).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from selfcare.account.common import audit_entry
from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize, require_customer
from selfcare.clock import Clock, epoch, iso
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.rights import IdempotencyRecord, PersonalDataReader, RightsFiles, RightsRepository, run
from selfcare.errors import FieldProblem, IdempotencyKeyReused, InvalidInput, NotFound, ReauthenticationRequired
from selfcare.observability import count, logger
from selfcare.ports.notifications import Notification, Notifier
from selfcare.ports.rights_queue import ExportQueue
from selfcare.privacy.registry import RIGHTS_EXPORT_DAYS
from selfcare.rights import export
from selfcare.rights.models import (
    DUE_SOON_DAYS,
    RightsChannel,
    RightsExportFormat,
    RightsRequest,
    RightsRequestKind,
    RightsRequestStatus,
    due_at,
)

IDEMPOTENCY_KEY_SECONDS = 24 * 3600
SYSTEM_ACTOR = "system#rights_export"
FILE_NAMES = {RightsExportFormat.JSON: "selfcare-data.json", RightsExportFormat.PDF: "selfcare-data.pdf"}
CONTENT_TYPES = {RightsExportFormat.JSON: "application/json", RightsExportFormat.PDF: "application/pdf"}
STALLED_AFTER = timedelta(minutes=15)  # a queued request not picked up by then lost its message
BUILDABLE = frozenset({RightsRequestStatus.QUEUED, RightsRequestStatus.BUILDING, RightsRequestStatus.FAILED})


@dataclass(frozen=True)
class RightsPolicy:
    recent_auth_seconds: int = 5 * 60
    link_seconds: int = 5 * 60  # the presigned download links
    export_days: int = RIGHTS_EXPORT_DAYS


@dataclass(frozen=True)
class Created:
    request: RightsRequest
    replayed: bool


@dataclass(frozen=True)
class Download:
    format: RightsExportFormat
    url: str
    expires_in: int


@dataclass(frozen=True)
class ExportOutcome:
    request_id: str
    status: RightsRequestStatus
    stores: int = 0
    items: int = 0
    reads: int = 0


def new_request_id() -> str:
    return "DSR-" + uuid.uuid4().hex[:16].upper()


class RightsService:
    def __init__(
        self,
        *,
        requests: RightsRepository,
        customers: CustomersRepository,
        logs: LogsRepository,
        queue: ExportQueue,
        files: RightsFiles,
        reader: PersonalDataReader | None,
        notifier: Notifier,
        clock: Clock,
        policy: RightsPolicy,
    ) -> None:
        self.requests = requests
        self.customers = customers
        self.logs = logs
        self.queue = queue
        self.files = files
        self.reader = reader
        self.notifier = notifier
        self.clock = clock
        self.policy = policy

    # The customer ---------------------------------------------------------------------------------------------
    def create_access_request(
        self, caller: Caller, request: RequestInfo, idempotency_key: str | None = None, has_changes: bool = False
    ) -> Created:
        customer_id = require_customer(caller)
        if has_changes:
            raise InvalidInput(
                [FieldProblem(("body", "changes"), "Only a rectification has changes.", "extra_forbidden")]
            )
        now = self.clock.now()
        if epoch(now) - caller.auth_time > self.policy.recent_auth_seconds:
            raise ReauthenticationRequired()
        self._profile(customer_id)
        fingerprint = hashlib.sha256(json.dumps({"kind": RightsRequestKind.ACCESS.value}).encode()).hexdigest()
        if idempotency_key is not None:
            replay = self._replay(customer_id, idempotency_key, fingerprint, epoch(now))
            if replay is not None:
                return replay
        rights = RightsRequest(
            request_id=new_request_id(),
            customer_id=customer_id,
            kind=RightsRequestKind.ACCESS,
            channel=RightsChannel.SPACE,
            status=RightsRequestStatus.QUEUED,
            received_at=now,
            due_at=due_at(now),
            registered_by=caller.actor,
            identity_method="session",
            identity_verified_at=now,
        )
        ops = [
            self.requests.put_op(rights),
            self.logs.audit_op(
                audit_entry(
                    caller, customer_id, "rights.access.requested", f"rights#{rights.request_id}", request, now
                ),
                now,
            ),
        ]
        if idempotency_key is not None:
            ops.append(
                self.requests.idempotency_put_op(
                    customer_id,
                    idempotency_key,
                    IdempotencyRecord(rights.request_id, fingerprint),
                    epoch(now) + IDEMPOTENCY_KEY_SECONDS,
                    epoch(now),
                )
            )
        if not run(ops):
            if idempotency_key is not None:  # a concurrent request with the same key won
                replay = self._replay(customer_id, idempotency_key, fingerprint, epoch(now))
                if replay is not None:
                    return replay
            raise IdempotencyKeyReused()
        try:
            self.queue.enqueue(customer_id, rights.request_id)
        except Exception:  # noqa: BLE001 - the request is recorded and queued: the daily check sends it again
            count("AccessExportNotQueued")
            logger.exception("access export not queued", extra={"request_id": rights.request_id})
        count("AccessRequestReceived")
        logger.info("access request received", extra={"customer_id": customer_id, "request_id": rights.request_id})
        return Created(rights, replayed=False)

    def _replay(self, customer_id: str, idempotency_key: str, fingerprint: str, now: int) -> Created | None:
        earlier = self.requests.idempotency_record(customer_id, idempotency_key, now)
        if earlier is None:
            return None
        if earlier.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        found = self.requests.get(customer_id, earlier.request_id)
        if found is None:
            return None
        return Created(found, replayed=True)

    def my_requests(self, caller: Caller, request: RequestInfo) -> list[RightsRequest]:
        """The customer's requests; a staff member's read under an assisted-access grant is audited."""
        customer_id = authorize(caller, Permission.READ)
        self._audit_staff_read(caller, customer_id, "rights", request)
        return self.requests.of_customer(customer_id)

    def _audit_staff_read(self, caller: Caller, customer_id: str, target: str, request: RequestInfo) -> None:
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(audit_entry(caller, customer_id, "rights.requests.viewed", target, request, now), now)

    def my_request(self, caller: Caller, request_id: str, request: RequestInfo) -> tuple[RightsRequest, list[Download]]:
        """The request, and when ready (files not expired) presigned links to both files (audited; the customer's
        own reads only: staff under an assisted-access grant see the status, and their read is audited)."""
        customer_id = authorize(caller, Permission.READ)
        self._audit_staff_read(caller, customer_id, f"rights#{request_id}", request)
        found = self.requests.get(customer_id, request_id)
        if found is None:
            raise NotFound("No such request.")
        now = self.clock.now()
        if found.status is not RightsRequestStatus.READY or not found.files_expire_at or found.files_expire_at <= now:
            return found, []
        if caller.is_staff:  # staff under a grant see the request, never the customer's files
            return found, []
        downloads = [
            Download(
                RightsExportFormat(fmt),
                self.files.download_url(object_key, self.policy.link_seconds, FILE_NAMES[RightsExportFormat(fmt)]),
                self.policy.link_seconds,
            )
            for fmt, object_key in sorted(found.files.items())
        ]
        self.logs.audit(
            audit_entry(caller, customer_id, "rights.access.links_issued", f"rights#{request_id}", request, now), now
        )
        return found, downloads

    def _profile(self, customer_id: str) -> None:
        profile = self.customers.get_profile(customer_id)
        if profile is None or profile.terminated_at is not None:
            raise NotFound("No such account.")

    # The worker -----------------------------------------------------------------------------------------------
    def build_export(self, customer_id: str, request_id: str) -> ExportOutcome:
        """Build, store, mark ready, notify; safe to repeat (a ready request is only notified if it was not)."""
        assert self.reader is not None
        rights = self.requests.get(customer_id, request_id)
        if rights is None or rights.kind is not RightsRequestKind.ACCESS:
            logger.warning("export of an unknown request skipped", extra={"request_id": request_id})
            return ExportOutcome(request_id, RightsRequestStatus.FAILED)
        if rights.status is RightsRequestStatus.READY:
            self._notify(rights)
            return ExportOutcome(request_id, rights.status)
        if rights.status not in BUILDABLE:
            return ExportOutcome(request_id, rights.status)  # awaiting identity: not yet
        now = self.clock.now()
        started = run(
            [
                self.requests.transition_op(
                    rights, BUILDABLE, RightsRequestStatus.BUILDING, attempts=rights.attempts + 1
                ),
                self.logs.audit_op(self._system_entry(rights, "rights.access.export_started", now), now),
            ]
        )
        if not started:
            return ExportOutcome(request_id, rights.status)
        try:
            found = self.reader.read(customer_id)
            document = export.build_document(customer_id, request_id, found, now)
            keys = {}
            for fmt, body in (
                (RightsExportFormat.JSON, export.to_json(document)),
                (RightsExportFormat.PDF, export.to_pdf(document)),
            ):
                object_key = self.files.export_key(request_id, FILE_NAMES[fmt])
                self.files.put(object_key, body, CONTENT_TYPES[fmt])
                keys[fmt.value] = object_key
        except Exception as error:
            failed_at = self.clock.now()
            run(
                [
                    self.requests.transition_op(
                        rights,
                        frozenset({RightsRequestStatus.BUILDING}),
                        RightsRequestStatus.FAILED,
                        failure=type(error).__name__,
                    ),
                    self.logs.audit_op(self._system_entry(rights, "rights.access.export_failed", failed_at), failed_at),
                ]
            )
            count("AccessExportFailed")
            logger.exception("access export failed", extra={"request_id": request_id, "customer_id": customer_id})
            raise
        ready_at = self.clock.now()
        ready = run(
            [
                self.requests.transition_op(
                    rights,
                    frozenset({RightsRequestStatus.BUILDING}),
                    RightsRequestStatus.READY,
                    files=keys,
                    ready_at=ready_at,
                    files_expire_at=ready_at + timedelta(days=self.policy.export_days),
                    failure=None,
                ),
                self.logs.audit_op(self._system_entry(rights, "rights.access.export_ready", ready_at), ready_at),
            ]
        )
        if not ready:
            return ExportOutcome(request_id, RightsRequestStatus.BUILDING)
        count("AccessExportReady")
        rights = self.requests.get(customer_id, request_id) or rights
        self._notify(rights)
        items = sum(len(v) for v in found.items.values())
        return ExportOutcome(request_id, RightsRequestStatus.READY, len(found.items), items, found.reads)

    # The daily check (staff queue's alarm) ------------------------------------------------------------------
    def count_due_soon(self) -> int:
        """Open requests due within DUE_SOON_DAYS (overdue ones included): the metric AccessRequestsDueSoon, which
        an alarm watches (above 0: a request needs an answer within days)."""
        due_soon = self.requests.open_by_due(self.clock.now() + timedelta(days=DUE_SOON_DAYS))
        count("AccessRequestsDueSoon", len(due_soon))
        logger.info("rights requests due soon", extra={"due_soon": len(due_soon)})
        return len(due_soon)

    def requeue_stalled(self) -> int:
        """Access requests still `queued` STALLED_AFTER after their receipt: their message was lost (the queue could
        not be reached after the request was recorded) or went to the dead-letter queue. Sent to the worker again
        (building is idempotent: a request already built is only notified); the number, as AccessExportsRequeued."""
        before = self.clock.now() - STALLED_AFTER
        stalled = [
            r
            for r in self.requests.open_by_due()
            if r.kind is RightsRequestKind.ACCESS and r.status is RightsRequestStatus.QUEUED and r.received_at <= before
        ]
        for rights in stalled:
            self.queue.enqueue(rights.customer_id, rights.request_id)
        count("AccessExportsRequeued", len(stalled))
        logger.info("stalled access exports requeued", extra={"requeued": len(stalled)})
        return len(stalled)

    def _notify(self, rights: RightsRequest) -> None:
        if rights.notified_at is not None:
            return
        profile = self.customers.get_profile(rights.customer_id)
        if profile is None or not profile.contact_email:
            logger.warning("access export ready, no contact email", extra={"request_id": rights.request_id})
            return
        self.notifier.send(
            Notification(
                to=profile.contact_email,
                kind="access_export_ready",
                subject="Your personal data is ready to download",
                body=(
                    f"The answer to your request {rights.request_id} is ready in your customer space "
                    f"(Rights of the data subject). The files can be downloaded for {self.policy.export_days} days."
                ),
            )
        )
        now = self.clock.now()
        self.requests.mark_notified(rights, now)
        self.logs.audit(self._system_entry(rights, "rights.access.notified", now), now)

    @staticmethod
    def _system_entry(rights: RightsRequest, action: str, now: datetime) -> AuditEntry:
        return AuditEntry(
            actor=SYSTEM_ACTOR,
            on_behalf_of=f"customer#{rights.customer_id}",
            action=action,
            target=f"rights#{rights.request_id}",
            at=iso(now),
            request_id=rights.request_id,
        )
