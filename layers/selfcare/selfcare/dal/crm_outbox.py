"""The transactional outbox of the events for the CRM (customers table).

A change made in the space (contact details, address, consents, billing settings) writes its `CrmEvent`
as an outbox item in the same DynamoDB transaction as the change itself: the change and the promise to
tell the CRM are committed together or not at all. The table's stream carries each new outbox item to
the relay (functions/crm_outbox, selfcare.crm_outbox.relay), which puts it on the CRM bus and then
deletes it; EventBridge may deliver an event twice, the CRM deduplicates by `event_id`.

Item: `pk=CUSTOMER#<id>`, `sk=OUTBOX#<occurred_at>#<event_id>` (in the customer's partition: the stream
keeps one customer's events in order, and anonymisation finds them), `event_type`, `event_id`,
`occurred_at`, `payload` (JSON text: the CRM's record, may hold personal or banking data: never logged),
`expires_at` (an item never published is kept `KEEP_DAYS` for a replay, then expires).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from selfcare.clock import epoch
from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import Item, RawItem, batch_delete, from_raw, query_all, to_raw
from selfcare.ports.crm_events import CrmEvent

OUTBOX = "OUTBOX#"  # infra.definitions.CRM_OUTBOX_SK_PREFIX (a test keeps them equal)
KEEP_DAYS = 14  # infra.definitions.CRM_OUTBOX_ITEM_DAYS


class MalformedOutboxItem(ValueError):
    """A stream record that is not an outbox item the relay can publish (carries no personal data)."""


def outbox_item(event: CrmEvent, now: datetime) -> Item:
    return {
        "pk": customer_pk(event.customer_id),
        "sk": f"{OUTBOX}{event.occurred_at}#{event.event_id}",
        "event_type": event.event_type,
        "event_id": event.event_id,
        "customer_id": event.customer_id,
        "occurred_at": event.occurred_at,
        "payload": json.dumps(event.payload, default=str, separators=(",", ":")),
        "expires_at": epoch(now) + KEEP_DAYS * 86400,
    }


def outbox_put_op(table: str, event: CrmEvent, now: datetime) -> RawItem:
    """The transaction item that records `event` for the CRM (never overwrites: event ids are unique)."""
    return {
        "Put": {
            "TableName": table,
            "Item": to_raw(outbox_item(event, now)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def event_from_image(image: RawItem) -> tuple[CrmEvent, dict[str, Any]]:
    """The event of an outbox item in DynamoDB's form (a stream record's NewImage), and the item's key."""
    try:
        item = from_raw(image)
        if not str(item["sk"]).startswith(OUTBOX):
            raise MalformedOutboxItem("not an outbox item")
        event = CrmEvent(
            event_type=str(item["event_type"]),
            customer_id=str(item["customer_id"]),
            occurred_at=str(item["occurred_at"]),
            event_id=str(item["event_id"]),
            payload=json.loads(item["payload"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, MalformedOutboxItem):
            raise
        raise MalformedOutboxItem(f"unreadable outbox item ({type(error).__name__})") from None
    return event, {"pk": image["pk"], "sk": image["sk"]}


def delete_published(table: str, keys: list[dict[str, Any]]) -> None:
    """Delete the outbox items of published events. An item left behind (DynamoDB throttling) is harmless:
    it is not published again (only INSERTs reach the relay), and it expires after KEEP_DAYS."""
    batch_delete(table, keys, attempts=3)


def pending(table: str, customer_id: str) -> list[CrmEvent]:
    """The customer's outbox items not published yet, oldest first (operators, tests)."""
    items = query_all(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues=to_raw({":pk": customer_pk(customer_id), ":prefix": OUTBOX}),
    )
    return [event_from_image(to_raw(item))[0] for item in items]
