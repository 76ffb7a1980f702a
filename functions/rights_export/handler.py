"""Capability `rights` (worker): the exports of the requests of access, from their SQS queue (no route).

Each message names one request ({"customer_id", "request_id"}). A build that raises is reported in
`batchItemFailures` (the request is marked `failed`, audited) and SQS delivers it again: the build starts over
(selfcare.rights.service.RightsService.build_export is safe to repeat); after a few receives the message goes
to the dead-letter queue (alarmed). Invoked by its daily schedule instead (no `Records`): the count of open
requests due within 5 days, published as the metric AccessRequestsDueSoon (alarmed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from selfcare import coldstart
from selfcare.config import RightsExportSettings
from selfcare.observability import logger, metrics
from selfcare.rights.wiring import build_rights_service

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

service = build_rights_service(RightsExportSettings.from_env())
processor = BatchProcessor(event_type=EventType.SQS)


def _record(record: SQSRecord) -> None:
    job = json.loads(record.body)
    outcome = service.build_export(str(job["customer_id"]), str(job["request_id"]))
    logger.info(
        "access export handled",
        extra={"request_id": outcome.request_id, "status": outcome.status.value, "items": outcome.items},
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:
        # The daily schedule (definitions.RIGHTS_DUE_SOON_COMMAND; locally a PeriodicInvoker): the due-soon count,
        # and the access requests whose export message was lost, sent again.
        return {"due_soon": service.count_due_soon(), "requeued": service.requeue_stalled()}
    return dict(process_partial_response(event=event, record_handler=_record, processor=processor, context=context))


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded()
