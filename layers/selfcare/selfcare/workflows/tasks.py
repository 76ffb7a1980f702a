"""The steps of the suspension and reactivation workflows (run by the `line_tasks` Lambda function).

Each step is safe to run again (Step Functions retries it, and a lost answer looks like a failure):
- `begin`: the line goes from its required status to the pending one, conditionally, with the audit
  entry. Replayed after success: it sees the line pending under its own handle and succeeds. Refused
  when the line moved meanwhile (`LineNotActive`: nothing changed, nothing to compensate).
- `provision`: the network change (bar the SIM; lift the bar or move to a new SIM), with an idempotency
  key per workflow and operation: the provisioning system applies it once.
- `complete`: pending -> final status (and the new ICCID), with the audit entry; replayed after
  success, it sees the final status under its own handle and succeeds.
- `notify`: an email to the customer's contact address, never to the line concerned.
- `compensate`: read the line's SIM on the network (`Provisioning.sim_status`) and undo the change if
  the network holds it, whatever the provision step answered: a timeout or a 5xx is an uncertain outcome
  (the network may have applied the change before the answer was lost), so the step's result is not
  trusted either way; then pending -> previous status, with the audit entry. The result says what the
  network showed (`NetworkOutcome`: not_reached, not_applied, undone) and whether the provision step had
  answered; the incident carries both. Does nothing when the line is not pending under this workflow
  (never reached, or already restored). Undo operations carry their own idempotency keys, so a retried
  compensation applies each of them once.
Errors are raised with names the state machines retry (`TransientProvisioningError`,
`ProvisioningTimeout`, `TransientStoreError`) or catch (`LineNotActive`, anything else: compensate).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from selfcare.auth.models import AuditEntry
from selfcare.clock import Clock, iso
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import RawItem
from selfcare.dal.lines import ConditionFailed, LinesRepository, TransientStoreError
from selfcare.dal.logs import LogsRepository
from selfcare.errors import IccidInUse, LineNotActive
from selfcare.observability import logger
from selfcare.ports.notifications import Notification, Notifier
from selfcare.ports.provisioning import Provisioning
from selfcare.workflows.models import TRANSITIONS, LineState, NetworkOutcome, WorkflowKind, WorkflowRequest


class LineStateLost(Exception):
    """The line is neither pending under this workflow nor in the state it should have reached."""


ACTIONS = ("begin", "provision", "complete", "notify", "compensate")


def _masked(number: str | None) -> str:
    return f"ending in {number[-2:]}" if number and len(number) > 2 else ""


class LineTasks:
    def __init__(
        self,
        lines: LinesRepository,
        customers: CustomersRepository,
        logs: LogsRepository,
        provisioning: Provisioning,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self.lines = lines
        self.customers = customers
        self.logs = logs
        self.provisioning = provisioning
        self.notifier = notifier
        self.clock = clock

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        action = event.get("action")
        if action == "compensate":
            state = event["state"]
            request = WorkflowRequest.of(state["request"])
            logger.info("line task", extra={"action": action, "handle": request.handle})
            return self.compensate(request, state.get("provisioned"))
        request = WorkflowRequest.of(event["request"])
        logger.info("line task", extra={"action": action, "handle": request.handle})
        if action == "begin":
            return self.begin(request)
        if action == "provision":
            return self.provision(request)
        if action == "complete":
            return self.complete(request)
        if action == "notify":
            return self.notify(request)
        raise ValueError(f"unknown action {action!r}")

    # Helpers -----------------------------------------------------------------------------------
    def _audit(self, request: WorkflowRequest, action: str, now: datetime) -> RawItem:
        entry = AuditEntry(
            actor=request.actor,
            on_behalf_of=request.on_behalf_of,
            action=f"line.{request.kind.value}.{action}",
            target=f"line#{request.line_id}",
            at=iso(now),
            request_id=request.request_id,
            grant_id=request.grant_id,
        )
        return self.logs.audit_op(entry, now)

    def _line(self, request: WorkflowRequest) -> LineState:
        line = self.lines.get(request.customer_id, request.line_id)
        if line is None:
            raise LineStateLost("the line no longer exists")
        return line

    # Steps -------------------------------------------------------------------------------------
    def begin(self, request: WorkflowRequest) -> dict[str, Any]:
        transition = TRANSITIONS[request.kind]
        now = self.clock.now()
        try:
            self.lines.begin(
                (request.customer_id, request.line_id),
                required=transition.required.value,
                from_version=request.from_version,
                pending=transition.pending.value,
                handle=request.handle,
                at=iso(now),
                audit=self._audit(request, "requested", now),
                claim_iccid=request.new_iccid if request.kind is WorkflowKind.REACTIVATION else None,
            )
        except ConditionFailed as failed:
            if failed.index == 2:
                raise IccidInUse("the new SIM is held by another line") from None
            line = self.lines.get(request.customer_id, request.line_id)
            if line is None or line.status != transition.pending.value or line.workflow != request.handle:
                raise LineNotActive("the line is not in the required status any more") from None
        return {"previous_status": transition.required.value}

    def provision(self, request: WorkflowRequest) -> dict[str, Any]:
        line = self._line(request)
        msisdn = line.number or ""
        key = f"{request.handle}.provision"
        if request.kind is WorkflowKind.SUSPENSION:
            receipt = self.provisioning.bar_sim(request.line_id, msisdn, key)
        elif request.new_iccid:
            receipt = self.provisioning.swap_sim(request.line_id, msisdn, request.new_iccid, key)
        else:
            receipt = self.provisioning.unbar_sim(request.line_id, msisdn, key)
        return {"reference": receipt.reference}

    def complete(self, request: WorkflowRequest) -> dict[str, Any]:
        transition = TRANSITIONS[request.kind]
        now = self.clock.now()
        iccid = request.new_iccid if request.kind is WorkflowKind.REACTIVATION else None
        old_iccid = self._line(request).iccid if iccid else None
        try:
            self.lines.settle(
                (request.customer_id, request.line_id),
                pending=transition.pending.value,
                handle=request.handle,
                status=transition.final.value,
                at=iso(now),
                audit=self._audit(request, "completed", now),
                iccid=iccid,
                release_iccid=old_iccid if old_iccid != iccid else None,
            )
        except ConditionFailed:
            line = self._line(request)
            if line.status != transition.final.value or line.workflow != request.handle:
                raise LineStateLost("the line is not pending under this workflow") from None
        return {"status": transition.final.value}

    def notify(self, request: WorkflowRequest) -> dict[str, Any]:
        profile = self.customers.get_profile(request.customer_id)
        # The contact email only: never the line concerned (a lost phone may be in someone else's hands).
        if profile is None or not profile.contact_email:
            logger.info("no contact email: customer not notified", extra={"handle": request.handle})
            return {"notified": False}
        line = self._line(request)
        if request.kind is WorkflowKind.SUSPENSION:
            subject = "Your mobile line is suspended"
            body = (
                f"As you asked, your mobile line {_masked(line.number)} is suspended and its SIM card is barred. "
                "Reactivate it from your customer space when you have found your phone or have a new SIM card. "
                "If you did not ask for this, call customer service."
            )
        else:
            subject = "Your mobile line is active again"
            body = (
                f"Your mobile line {_masked(line.number)} is active again"
                + (" on your new SIM card." if request.new_iccid else ".")
                + " If you did not ask for this, call customer service."
            )
        self.notifier.send(
            Notification(to=profile.contact_email, subject=subject, body=body, kind=f"line_{request.kind.value}")
        )
        return {"notified": True}

    def compensate(self, request: WorkflowRequest, provisioned: dict[str, Any] | None) -> dict[str, Any]:
        transition = TRANSITIONS[request.kind]
        line = self._line(request)
        network, undone = NetworkOutcome.NOT_REACHED, None
        if line.status == transition.pending.value and line.workflow == request.handle:
            network, undone = self._undo_on_network(request, line)
        now = self.clock.now()
        try:
            self.lines.settle(
                (request.customer_id, request.line_id),
                pending=transition.pending.value,
                handle=request.handle,
                status=transition.required.value,
                at=iso(now),
                audit=self._audit(request, "compensated", now),
                # The new SIM's claim goes with the failed reactivation (unless the line already held it).
                release_iccid=request.new_iccid if request.new_iccid and request.new_iccid != line.iccid else None,
            )
            restored: str | None = transition.required.value
        except ConditionFailed:
            restored = None  # not pending under this workflow: never reached, or already restored
        logger.info(
            "line workflow compensated",
            extra={"handle": request.handle, "restored": bool(restored), "network": network.value},
        )
        return {
            "restored": restored,
            "undone": undone,
            "network": network.value,
            # False: the provision step failed (timeout, 5xx, refusal) or never ran; `network` says what it left.
            "provision_answered": bool(provisioned),
        }

    def _undo_on_network(self, request: WorkflowRequest, line: LineState) -> tuple[NetworkOutcome, str | None]:
        """Put the network back where the line's previous status says it was, from what the network holds now."""
        sim = self.provisioning.sim_status(request.line_id)
        msisdn = line.number or ""
        key = f"{request.handle}.undo"
        if request.kind is WorkflowKind.SUSPENSION:
            # Suspension undone: the bar lifted, if the network barred the SIM.
            if not sim.barred:
                return NetworkOutcome.NOT_APPLIED, None
            return NetworkOutcome.UNDONE, self.provisioning.unbar_sim(request.line_id, msisdn, key).reference
        # Reactivation undone: the line's previous SIM, barred. A swap the network applied is reversed first.
        swapped = bool(request.new_iccid) and sim.iccid == request.new_iccid and request.new_iccid != line.iccid
        if not swapped and sim.barred:
            return NetworkOutcome.NOT_APPLIED, None
        references = []
        if swapped and line.iccid:
            references.append(self.provisioning.swap_sim(request.line_id, msisdn, line.iccid, f"{key}.swap").reference)
        references.append(self.provisioning.bar_sim(request.line_id, msisdn, key).reference)
        return NetworkOutcome.UNDONE, " ".join(references)


__all__ = ["ACTIONS", "LineStateLost", "LineTasks", "TransientStoreError"]
