"""Function `projection` (no route): the operator's CRM events and its product inventory's events (lines and
services), delivered by the EventBridge rule of the inbound bus, written into the read model; the retention
steps' commands of the per-customer schedules (Hide, Anonymise) and of the daily reconciliation schedule
(Reconcile).

A refused event goes to the dead-letter queue with its reason and the invocation succeeds; an
infrastructure failure raises, so Lambda retries it and then hands it to the on-failure destination. So does
an inventory status event meeting a line that a suspension or reactivation workflow owns
(selfcare.projection.inventory.LineBusy): it applies once the workflow is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfcare import coldstart
from selfcare.config import ProjectionSettings
from selfcare.observability import logger, metrics
from selfcare.projection.wiring import build_projection

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

projection = build_projection(ProjectionSettings.from_env())


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    outcome = projection.handle(event, target_arn=context.invoked_function_arn)
    return {"outcome": outcome.value}


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded()
