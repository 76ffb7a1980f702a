"""Port to the operator's CRM: changes made in the customer space, published as events.

Logic publishes `CrmEvent`s (contact details, consents, postal address, billing settings changed);
the adapter, `EventBridgeCrmEvents`, puts them on the outbound CRM bus (source
"selfcare.customer-space", detail-type the event type), 10 entries per PutEvents; entries EventBridge
did not accept are retried, and still failing ones raise `CrmEventsNotPublished`: an event is never
silently lost. Tests use an in-memory fake (tests/fakes.py, `InMemoryCrmEvents`).
The payload may hold personal data (it is the CRM's record): never log it, log `event_type` and
`customer_id` only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from selfcare import aws

SOURCE = "selfcare.customer-space"
MAX_ENTRIES_PER_CALL = 10  # PutEvents' limit


@dataclass(frozen=True)
class CrmEvent:
    event_type: str  # e.g. "ContactEmailChanged", "ConsentChanged", "PostalAddressChanged"
    customer_id: str
    occurred_at: str  # ISO 8601, UTC
    event_id: str  # unique, for the CRM's idempotency
    payload: dict[str, Any] = field(default_factory=dict)


class CrmEvents(Protocol):
    def publish(self, event: CrmEvent) -> None: ...


class CrmEventsNotPublished(Exception):
    """EventBridge refused some entries, after retries. `failed`: (event id, error code) of each."""

    def __init__(self, failed: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(failed)} CRM event(s) not published: {sorted({code for _, code in failed})}")
        self.failed = failed


def detail_of(event: CrmEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "customer_id": event.customer_id,
        "occurred_at": event.occurred_at,
        "payload": event.payload,
    }


class EventBridgeCrmEvents:
    """The adapter: PutEvents on the outbound CRM bus, batched, failed entries retried then raised."""

    def __init__(self, bus_name: str, attempts: int = 3, backoff_seconds: float = 0.1) -> None:
        self.bus_name = bus_name
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds

    def publish(self, event: CrmEvent) -> None:
        self.publish_all([event])

    def publish_all(self, events: Sequence[CrmEvent]) -> None:
        failed: list[tuple[str, str]] = []
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            failed.extend(self._put(list(events[start : start + MAX_ENTRIES_PER_CALL])))
        if failed:
            raise CrmEventsNotPublished(failed)

    def _entry(self, event: CrmEvent) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": event.event_type,
            "Detail": json.dumps(detail_of(event), default=str),
            "EventBusName": self.bus_name,
        }

    def _put(self, batch: list[CrmEvent]) -> list[tuple[str, str]]:
        """Put one batch; retry the entries EventBridge did not accept. Returns those still failing."""
        pending = batch
        last: list[tuple[str, str]] = []
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            response = aws.client("events").put_events(Entries=[self._entry(event) for event in pending])
            if not response.get("FailedEntryCount"):
                return []
            results = response.get("Entries", [])
            failures = [
                (event, str(result.get("ErrorCode") or "unknown"))
                for event, result in zip(pending, results, strict=True)
                if "EventId" not in result or result.get("ErrorCode")
            ]
            pending = [event for event, _ in failures]
            last = [(event.event_id, code) for event, code in failures]
            if not pending:
                return []
        return last
