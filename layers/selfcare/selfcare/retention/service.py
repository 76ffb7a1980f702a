"""The post-termination steps (SPEC.md, Retention), driven by EventBridge Scheduler and a daily reconciliation.

- `CustomerTerminated` (selfcare.projection.service): the termination's transaction also writes one pending-step
  item per step (`termination_ops`); then a one-time schedule per step is created (`schedule_steps`): **hide** at
  termination + 1 calendar month, **anonymise** at + 5 years.
- `CustomerReinstated`: its transaction deletes the pending steps (`cancel_ops`); then the schedules are deleted
  and the credential reopened (`after_reinstatement`). A step that fires anyway finds no termination: NOT_DUE.
- **hide**: the profile gets `hidden_at`; the credential, every session (revoked) and every assisted-access grant
  of the customer get `account_closed`, which the authorizer reads in its one BatchGetItem and the login reads with
  the credential: from then on every route of that account, staff reads included, answers 410 `account_closed`.
- **anonymise**: hide first if it has not completed, then the registry-driven erasure of every store
  (selfcare.dal.erasure), then the profile's identification data, whose marker says it is done.
- Each step completes by deleting its pending item, last: a step that failed midway is simply run again, by the
  schedule's retries or by the **daily reconciliation**, which reads the pending steps overdue by more than the
  schedules' retry window from a sparse index (one Query, no scan) and runs them. It counts what it caught
  (metric `RetentionStepsCaught`, and per step) and what failed again (`RetentionStepsFailed`).
Every step is idempotent: it may run twice, or concurrently with its schedule's retry.
Nothing here logs personal data: customer ids, steps, counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from selfcare.account.models import CustomerProfile
from selfcare.audit.system import SystemAction, system_entry
from selfcare.auth.models import AuditEntry
from selfcare.clock import Clock, iso
from selfcare.observability import count, logger
from selfcare.projection.models import Outcome, WriteResult
from selfcare.retention.rules import STEP_RETRY_WINDOW, Step, due_at, parse


class Customers(Protocol):
    def get_profile(self, customer_id: str) -> CustomerProfile | None: ...

    def anonymise(self, customer_id: str, terminated_at: str, at: str) -> WriteResult: ...

    def is_anonymised(self, customer_id: str) -> bool: ...


class Erasure(Protocol):
    """Everything of the customer beyond the profile (selfcare.dal.erasure): idempotent."""

    def erase(self, customer_id: str) -> Any: ...


class Pending(Protocol):
    @property
    def customer_id(self) -> str: ...

    @property
    def step(self) -> Step: ...


class Steps(Protocol):
    """The steps' state and the hide step's marks (selfcare.dal.retention)."""

    def pending_ops(self, customer_id: str, terminated_at: str, due: dict[Step, str]) -> list[dict[str, Any]]: ...

    def cancel_ops(self, customer_id: str) -> list[dict[str, Any]]: ...

    def pending(self, customer_id: str, step: Step) -> Any: ...

    def complete(self, customer_id: str, step: Step) -> None: ...

    def overdue(self, before: str) -> Sequence[Pending]: ...

    def hide_profile(self, customer_id: str, terminated_at: str, at: str) -> bool: ...

    def close_credential(self, customer_id: str, closed: bool) -> None: ...

    def close_sessions(self, customer_id: str, at: str) -> int: ...


class Schedules(Protocol):
    def schedule(self, customer_id: str, step: Step, at: datetime, target_arn: str) -> None: ...

    def cancel(self, customer_id: str, step: Step) -> None: ...


@dataclass
class ReconciliationReport:
    caught: dict[Step, int] = field(default_factory=lambda: {step: 0 for step in Step})
    failed: int = 0
    outcomes: list[tuple[str, Step, Outcome | None]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.caught.values())


class ReconciliationIncomplete(Exception):
    """Some overdue steps failed again: they stay pending for the next run (the invocation is retried)."""


class AuditTrail(Protocol):
    """selfcare.dal.logs.LogsRepository: the one writer of the audit trail."""

    def audit_op(self, entry: AuditEntry, collected_at: datetime) -> dict[str, Any]: ...

    def audit(self, entry: AuditEntry, collected_at: datetime) -> None: ...


class RetentionService:
    def __init__(
        self,
        *,
        customers: Customers,
        steps: Steps,
        erasure: Erasure,
        schedules: Schedules,
        clock: Clock,
        audit: AuditTrail | None = None,
    ):
        self.customers = customers
        self.steps = steps
        self.erasure = erasure
        self.schedules = schedules
        self.clock = clock
        self.audit = audit  # termination, reinstatement, hide and anonymisation are audited (issue 9)

    def _audit_ops(self, customer_id: str, action: SystemAction, cause: str) -> list[dict[str, Any]]:
        """The step's audit entry, for its own transaction (none without an audit trail: unit tests)."""
        if self.audit is None:
            return []
        now = self.clock.now()
        return [self.audit.audit_op(system_entry("projection", customer_id, action, now, cause), now)]

    def _audit(self, customer_id: str, action: SystemAction, cause: str) -> None:
        if self.audit is not None:
            now = self.clock.now()
            self.audit.audit(system_entry("projection", customer_id, action, now, cause), now)

    # Termination and reinstatement (called by the projection) --------------------------------------------------
    def termination_ops(self, customer_id: str, terminated_at: datetime, cause: str = "") -> list[dict[str, Any]]:
        """The pending steps and the termination's audit entry, written in the termination's transaction."""
        due = {step: iso(due_at(step, terminated_at)) for step in Step}
        ops = self.steps.pending_ops(customer_id, iso(terminated_at), due)
        return ops + self._audit_ops(customer_id, SystemAction.TERMINATED, cause)

    def schedule_steps(self, customer_id: str, terminated_at: datetime, target_arn: str) -> None:
        for step in Step:
            self.schedules.schedule(customer_id, step, due_at(step, terminated_at), target_arn)

    def cancel_ops(self, customer_id: str, cause: str = "") -> list[dict[str, Any]]:
        return self.steps.cancel_ops(customer_id) + self._audit_ops(customer_id, SystemAction.REINSTATED, cause)

    def after_reinstatement(self, customer_id: str) -> None:
        for step in Step:
            self.schedules.cancel(customer_id, step)
        self.steps.close_credential(customer_id, closed=False)

    # Steps ---------------------------------------------------------------------------------------------------------
    def run(self, step: Step, customer_id: str) -> Outcome | None:
        """None: the customer is not in the read model."""
        return self.hide(customer_id) if step is Step.HIDE else self.anonymise(customer_id)

    def _due(self, step: Step, profile: CustomerProfile) -> bool:
        return profile.terminated_at is not None and self.clock.now() >= due_at(step, parse(profile.terminated_at))

    def hide(self, customer_id: str) -> Outcome | None:
        profile = self.customers.get_profile(customer_id)
        if profile is None:
            return None
        if not self._due(Step.HIDE, profile):
            return Outcome.NOT_DUE  # reinstated since, or not yet
        assert profile.terminated_at is not None
        at = iso(self.clock.now())
        if not self.steps.hide_profile(customer_id, profile.terminated_at, at):
            return Outcome.NOT_DUE  # reinstated meanwhile
        self.steps.close_credential(customer_id, closed=True)
        marked = self.steps.close_sessions(customer_id, at)
        # Audited before the step is marked done: a failure in between audits it again, never not at all.
        self._audit(customer_id, SystemAction.HIDDEN, f"schedule:{Step.HIDE.value}")
        self.steps.complete(customer_id, Step.HIDE)
        logger.info("customer space hidden", extra={"customer_id": customer_id, "sessions_and_grants": marked})
        count("RetentionHidden")
        return Outcome.APPLIED

    def anonymise(self, customer_id: str) -> Outcome | None:
        profile = self.customers.get_profile(customer_id)
        if profile is None:
            return None
        if self.customers.is_anonymised(customer_id):
            self.steps.complete(customer_id, Step.ANONYMISE)
            return Outcome.ALREADY_DONE
        if not self._due(Step.ANONYMISE, profile):
            return Outcome.NOT_DUE
        assert profile.terminated_at is not None
        if self.steps.pending(customer_id, Step.HIDE) is not None:
            self.hide(customer_id)  # hidden before anonymised, whatever became of the hide step's schedule
        # Every store of the registry beyond the profile first, and again on a retried step.
        report = self.erasure.erase(customer_id)
        logger.info("customer data erased", extra={"customer_id": customer_id, "report": repr(report)})
        result = self.customers.anonymise(customer_id, profile.terminated_at, iso(self.clock.now()))
        if result is not WriteResult.APPLIED:
            return Outcome.ALREADY_DONE
        self._audit(customer_id, SystemAction.ANONYMISED, f"schedule:{Step.ANONYMISE.value}")
        self.steps.complete(customer_id, Step.ANONYMISE)
        count("RetentionAnonymised")
        return Outcome.APPLIED

    # Daily reconciliation ------------------------------------------------------------------------------------------
    def reconcile(self) -> ReconciliationReport:
        """Run every step overdue by more than the schedules' retry window (their schedule lost, or its runs
        failed past their retries); count them."""
        report = ReconciliationReport()
        before = iso(self.clock.now() - STEP_RETRY_WINDOW)
        for pending in self.steps.overdue(before):
            report.caught[pending.step] += 1
            try:
                outcome = self.run(pending.step, pending.customer_id)
            except Exception:  # noqa: BLE001 - one customer's failure must not stop the others; re-raised below
                report.failed += 1
                logger.exception(
                    "overdue retention step failed again",
                    extra={"customer_id": pending.customer_id, "step": pending.step.value},
                )
                continue
            if outcome is None:  # the customer left the read model: nothing to run, forget the step
                self.steps.complete(pending.customer_id, pending.step)
            report.outcomes.append((pending.customer_id, pending.step, outcome))
            logger.info(
                "overdue retention step run",
                extra={
                    "customer_id": pending.customer_id,
                    "step": pending.step.value,
                    "outcome": outcome.value if outcome else "unknown_customer",
                },
            )
        count("RetentionStepsCaught", report.total)
        for step, caught in report.caught.items():
            count(f"RetentionStepsCaught_{step.value}", caught)
        count("RetentionStepsFailed", report.failed)
        if report.failed:
            raise ReconciliationIncomplete(f"{report.failed} overdue step(s) failed again")
        return report
