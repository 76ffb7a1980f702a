"""Function `crm_outbox` (no route): the relay of the transactional outbox. The customers table's stream,
filtered to new outbox items (definitions.CRM_OUTBOX_FILTER), invokes it with batches of records; it puts
their events on the outbound CRM bus, deletes the published items, and answers the first record it could
not publish (`batchItemFailures`: Lambda retries the batch from there, then hands it to the dead-letter
queue)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfcare import coldstart
from selfcare.config import CrmOutboxSettings
from selfcare.crm_outbox.wiring import build_relay
from selfcare.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

relay = build_relay(CrmOutboxSettings.from_env())


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    failed = relay.relay(list(event.get("Records") or []))
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded()
