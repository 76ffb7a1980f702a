"""The retention periods after the end of a contract (SPEC.md, Retention), and when each step falls due.

Pure: no I/O. The code, the personal-data registry (selfcare.privacy.registry), the README and the tests read
these constants.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from selfcare.clock import add_months

# Customer-record information is no longer shown to anyone 1 calendar month after termination.
HIDE_AFTER_MONTHS = 1
# Identification data: 5 years after the end of the contract, then anonymised.
ANONYMISE_AFTER_MONTHS = 5 * 12
# EventBridge Scheduler retries a step's invocation for this long (its RetryPolicy's MaximumEventAgeInSeconds):
# the daily reconciliation only takes over a step that is overdue by more than that.
STEP_RETRY_WINDOW = timedelta(hours=24)


class Step(StrEnum):
    """A post-termination step: the command the step's one-time schedule sends to the projection function."""

    HIDE = "Hide"
    ANONYMISE = "Anonymise"


RECONCILE_COMMAND = "Reconcile"  # the daily recurring schedule's command

AFTER_MONTHS: dict[Step, int] = {Step.HIDE: HIDE_AFTER_MONTHS, Step.ANONYMISE: ANONYMISE_AFTER_MONTHS}


def due_at(step: Step, terminated_at: datetime) -> datetime:
    """Termination + the step's calendar months (31 Jan + 1 month = 28/29 Feb)."""
    return add_months(terminated_at, AFTER_MONTHS[step])


def parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))
