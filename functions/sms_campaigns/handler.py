"""Capability `sms` (worker): the campaigns' batches, from their SQS queue (no route).

Each SQS message names one batch ({"campaign_id", "batch"}). A batch that raises is reported in
`batchItemFailures` and SQS delivers it again: processing is safe to repeat (claims before sending,
selfcare.sms.sending), so a crash midway resumes without sending a message twice. A batch that meets the
night window is paused: its delivery's visibility is set to the end of the window and it is reported in
`batchItemFailures` too (not an error: no exception escapes, even when it is the invocation's only record).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from selfcare import coldstart
from selfcare.config import SmsSettings
from selfcare.observability import count, logger, metrics
from selfcare.sms.sending import CampaignPaused
from selfcare.sms.wiring import build_sms_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

services = build_sms_services(SmsSettings.from_env())
# A paused batch is a reported failure, not an error of the invocation (the default raises when all fail).
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _record(record: SQSRecord) -> None:
    job = json.loads(record.body)
    try:
        outcomes = services.sending.process_batch(str(job["campaign_id"]), int(job["batch"]))
    except CampaignPaused as paused:
        assert services.sending.queue is not None, "the worker holds the campaign queue"
        services.sending.queue.pause(record.receipt_handle, paused.seconds)
        count("SmsBatchPaused")
        logger.info(
            "sms batch paused by the night window",
            extra={"campaign_id": job["campaign_id"], "batch": job["batch"], "until": paused.until.isoformat()},
        )
        raise
    count("SmsBatchProcessed")
    logger.info(
        "sms batch processed",
        extra={"campaign_id": job["campaign_id"], "batch": job["batch"], "messages": len(outcomes)},
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=_record, processor=processor, context=context))


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded()
