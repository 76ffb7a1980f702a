"""Function `line_tasks`: the steps of the suspension and reactivation workflows (Step Functions tasks,
not behind API Gateway). The event is `{"action": ..., "request": {...}}` (or `"state"` to compensate);
an error leaves as a Lambda function error named after its class, which the state machines retry or catch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfcare import coldstart
from selfcare.config import LineTasksSettings
from selfcare.observability import logger
from selfcare.workflows.wiring import build_line_tasks

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

tasks = build_line_tasks(LineTasksSettings.from_env())


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return tasks.run(event)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded()
