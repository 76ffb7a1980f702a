"""The API side of the line workflows: start a suspension or a reactivation, tell where one stands.

A request answers at once with a handle. The handle is the execution's name, derived from the line
and its status version: repeating a request while the line has not moved gives the same handle and
starts nothing (Step Functions keeps execution names unique); repeating it while that workflow runs
answers the running workflow's handle. Nothing is written here: the workflow's first step moves the
line to its pending status under a condition, with the audit entry (actor, grant, request id).
"""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, epoch, iso
from selfcare.dal.lines import LinesRepository
from selfcare.dal.logs import LogsRepository
from selfcare.errors import IccidInUse, LineNotActive, NotFound, ReauthenticationRequired, WorkflowInProgress
from selfcare.observability import logger
from selfcare.ports.workflows import Execution, Workflows
from selfcare.workflows.models import (
    COMPENSATED_ERROR,
    PENDING_STATUSES,
    REFUSED_ERROR,
    TRANSITIONS,
    LineState,
    WorkflowKind,
    WorkflowRequest,
    WorkflowState,
    WorkflowStatus,
    handle_for,
    line_digest,
    parse_handle,
)

MOBILE = "mobile"
_REFUSALS = {
    WorkflowKind.SUSPENSION: "The line is already suspended, or not active: it cannot be suspended.",
    WorkflowKind.REACTIVATION: "The line is not suspended: there is nothing to reactivate.",
}


@dataclass(frozen=True)
class LineWorkflowPolicy:
    recent_auth_seconds: int = 300


class LineWorkflowService:
    def __init__(
        self,
        lines: LinesRepository,
        logs: LogsRepository,
        workflows: Workflows,
        state_machines: dict[WorkflowKind, str],
        clock: Clock,
        policy: LineWorkflowPolicy,
    ) -> None:
        self.lines = lines
        self.logs = logs
        self.workflows = workflows
        self.state_machines = state_machines
        self.clock = clock
        self.policy = policy

    def _mobile_line(self, customer_id: str, line_id: str, new_iccid: str | None = None) -> LineState:
        """The customer's mobile line (and, with `new_iccid`, refuses a SIM another line holds): one read."""
        if new_iccid:
            line, taken = self.lines.get_with_claim(customer_id, line_id, new_iccid)
            if taken and line is not None and line.line_type == MOBILE:
                raise IccidInUse()
        else:
            line = self.lines.get(customer_id, line_id)
        if line is None or line.line_type != MOBILE:
            raise NotFound("No such mobile line.")  # another customer's line answers exactly as an unknown one
        return line

    def request(
        self,
        caller: Caller,
        request: RequestInfo,
        line_id: str,
        kind: WorkflowKind,
        new_iccid: str | None = None,
    ) -> WorkflowStatus:
        customer_id = authorize(caller, Permission.MODIFY)
        if kind is WorkflowKind.REACTIVATION and epoch(self.clock.now()) - caller.auth_time > (
            self.policy.recent_auth_seconds
        ):
            raise ReauthenticationRequired()
        line = self._mobile_line(customer_id, line_id, new_iccid)
        transition = TRANSITIONS[kind]
        if line.status in PENDING_STATUSES:
            running = parse_handle(line.workflow or "")
            if line.status == transition.pending and running is not None and running.kind is kind:
                # The same request again while its workflow runs: its handle, nothing new.
                return WorkflowStatus(line.workflow or "", kind, WorkflowState.PENDING, line.status)
            raise WorkflowInProgress()
        if line.status != transition.required:
            raise LineNotActive(_REFUSALS[kind])
        handle = handle_for(kind, customer_id, line_id, line.status_version)
        workflow = WorkflowRequest(
            kind=kind,
            handle=handle,
            customer_id=customer_id,
            line_id=line_id,
            from_version=line.status_version,
            actor=caller.actor,
            on_behalf_of=f"customer#{customer_id}",
            request_id=request.request_id,
            grant_id=caller.grant_id,
            new_iccid=new_iccid,
        )
        started = self.workflows.start(self.state_machines[kind], handle, workflow.to_input())
        logger.info("line workflow requested", extra={"handle": handle, "started": started})
        return WorkflowStatus(handle, kind, WorkflowState.PENDING, line.status)

    def status(self, caller: Caller, request: RequestInfo, line_id: str, handle: str) -> WorkflowStatus:
        customer_id = authorize(caller, Permission.READ)
        parsed = parse_handle(handle)
        line = self._mobile_line(customer_id, line_id)
        if parsed is None or parsed.digest != line_digest(customer_id, line_id):
            raise NotFound("No such workflow.")
        execution = self.workflows.describe(self.state_machines[parsed.kind], handle)
        if execution is None:
            raise NotFound("No such workflow.")
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(
                AuditEntry(
                    actor=caller.actor,
                    on_behalf_of=f"customer#{customer_id}",
                    action="line.workflow.viewed",
                    target=f"workflow#{handle}",
                    at=iso(now),
                    request_id=request.request_id,
                    grant_id=caller.grant_id,
                ),
                now,
            )
        return WorkflowStatus(handle, parsed.kind, _state_of(execution), line.status)


def _state_of(execution: Execution) -> WorkflowState:
    if execution.status in ("RUNNING", "PENDING_REDRIVE"):
        return WorkflowState.PENDING
    if execution.status == "SUCCEEDED":
        return WorkflowState.SUCCEEDED
    if execution.error == REFUSED_ERROR:
        return WorkflowState.REFUSED
    if execution.error == COMPENSATED_ERROR:
        return WorkflowState.COMPENSATED
    return WorkflowState.FAILED
