"""Port to the operator's CRM: changes made in the customer space, published as events.

Logic publishes `CrmEvent`s (contact details, consents, postal address, billing settings changed);
the adapter puts them on the EventBridge bus the CRM listens to. Tests use an in-memory fake.
The payload may hold personal data (it is the CRM's record): never log it, log `event_type` and
`customer_id` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class CrmEvent:
    event_type: str  # e.g. "ContactEmailChanged", "ConsentChanged", "PostalAddressChanged"
    customer_id: str
    occurred_at: str  # ISO 8601, UTC
    event_id: str  # unique, for the CRM's idempotency
    payload: dict[str, Any] = field(default_factory=dict)


class CrmEvents(Protocol):
    def publish(self, event: CrmEvent) -> None: ...
