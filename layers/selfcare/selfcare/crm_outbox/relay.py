"""The outbox relay: a batch of the customers table's stream records (outbox items only: the event
source mapping's filter, definitions.CRM_OUTBOX_FILTER) -> one PutEvents on the CRM bus -> the published
items deleted.

Stream semantics: records of a shard come in order and Lambda resumes a failed batch from the sequence
number we report (`batchItemFailures`), so a failure reports the first record that was not published;
the ones after it are sent again on the retry (duplicates the CRM drops by `event_id`). An unreadable
outbox item can never succeed: it is logged (no content), counted and skipped, and stays in the table
(it expires after KEEP_DAYS) rather than holding back every later change of the shard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from selfcare.dal import crm_outbox as outbox
from selfcare.observability import count, logger
from selfcare.ports.crm_events import CrmEvent, CrmEventsNotPublished


class BatchCrmEvents(Protocol):
    def publish_all(self, events: Sequence[CrmEvent]) -> None: ...


@dataclass(frozen=True)
class _Pending:
    sequence_number: str
    event: CrmEvent
    key: dict[str, Any]


class OutboxRelay:
    def __init__(self, table: str, crm: BatchCrmEvents) -> None:
        self.table = table
        self.crm = crm

    def relay(self, records: list[dict[str, Any]]) -> list[str]:
        """Publish the batch; answers the sequence numbers to report as failed (at most one: the first)."""
        batch: list[_Pending] = []
        for record in records:
            stream = record.get("dynamodb") or {}
            sequence = str(stream.get("SequenceNumber", ""))
            if record.get("eventName") != "INSERT":
                continue  # the filter lets only INSERTs through; a REMOVE (our own delete, TTL) is nothing to do
            try:
                event, key = outbox.event_from_image(stream.get("NewImage") or {})
            except outbox.MalformedOutboxItem as error:
                logger.error("crm outbox item skipped", extra={"reason": str(error), "sequence_number": sequence})
                count("CrmOutboxItemSkipped")
                continue
            batch.append(_Pending(sequence, event, key))
        if not batch:
            return []
        try:
            self.crm.publish_all([p.event for p in batch])
        except CrmEventsNotPublished as error:
            failed = {event_id for event_id, _ in error.failed}
            first = next(i for i, p in enumerate(batch) if p.event.event_id in failed)
            return self._done(batch[:first], failed_at=batch[first], reason=sorted({c for _, c in error.failed}))
        except Exception as error:  # noqa: BLE001 - EventBridge unreachable, throttled: retry the whole batch
            return self._done([], failed_at=batch[0], reason=[type(error).__name__])
        return self._done(batch, failed_at=None, reason=[])

    def _done(self, published: list[_Pending], failed_at: _Pending | None, reason: list[str]) -> list[str]:
        if published:
            outbox.delete_published(self.table, [p.key for p in published])
            count("CrmEventsPublished", len(published))
            logger.info(
                "crm events published",
                extra={"event_types": sorted({p.event.event_type for p in published}), "count": len(published)},
            )
        if failed_at is None:
            return []
        count("CrmOutboxRetries")
        logger.warning(
            "crm events not published: retried from this record",
            extra={"sequence_number": failed_at.sequence_number, "error_codes": reason},
        )
        return [failed_at.sequence_number]
