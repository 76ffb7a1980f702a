"""Changes made in the space reach the CRM through the transactional outbox: the change and its event are
written in one transaction, the customers table's stream (filtered to outbox items) feeds the relay
function, which puts the events on the outbound CRM bus and deletes what it published.

The stream -> function delivery is the local stack's `StreamRelay` (moto keeps the stream, never invokes);
the CRM is a rule on the outbound bus to a queue (`CrmListener`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from selfcare.crm_outbox.relay import OutboxRelay
from selfcare.dal import crm_outbox
from selfcare.dal.dynamo import to_raw
from selfcare.ports.crm_events import CrmEvent, CrmEventsNotPublished, EventBridgeCrmEvents

from infra import definitions as d
from infra.local.emulation import CrmListener, StreamRelay, matches_filter
from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api

ADDRESS_FR = {"line1": "3 rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}


def customers_table(aws: LocalResources) -> str:
    return aws.table_names[d.CUSTOMERS.logical_id]


def relay_for(api: Api, aws: LocalResources) -> StreamRelay:
    handler = api.gateway.handlers[d.CRM_OUTBOX.name].lambda_handler
    return StreamRelay(boto3.Session(region_name="eu-west-3"), customers_table(aws), d.CRM_OUTBOX, handler)


def token_of(api: Api, world: DemoWorld, index: int = 0) -> str:
    customer = world.customers[index]
    return str(api.login(customer.email, customer.password)["access_token"])


def test_a_change_and_its_event_are_one_write_and_the_relay_publishes_then_deletes_it(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    crm = CrmListener(boto3.Session(region_name="eu-west-3"))
    relay = relay_for(api, aws)
    relay.poll_once()  # whatever the seed wrote (no outbox item: the seed goes through the projection)
    token = token_of(api, world, 1)  # the customer living outside Monaco
    me = world.customers[1].customer_id
    assert api.call("PUT", "/account/contact/landline", {"landline": "+377 93 15 00 00"}, token=token).status == 200
    assert api.call("PUT", "/account/address", ADDRESS_FR, token=token).status == 200
    assert api.call("PUT", "/account/consents/newsletter", {"granted": True}, token=token).status == 200
    # Written with the changes, not yet published.
    pending = crm_outbox.pending(customers_table(aws), me)
    assert [e.event_type for e in pending] == ["ContactLandlineChanged", "PostalAddressChanged", "ConsentChanged"]
    assert crm.drain() == []

    assert relay.poll_once() == 3
    received = crm.drain()
    assert [(e["event_type"], e["customer_id"]) for e in received] == [
        ("ContactLandlineChanged", me),
        ("PostalAddressChanged", me),
        ("ConsentChanged", me),
    ]
    assert received[0]["payload"]["contact_landline"] == "+37793150000"
    assert received[1]["payload"]["address"]["city"] == "Paris"
    assert [e["event_id"] for e in received] == [e.event_id for e in pending]
    # Published, then deleted: the deletions (REMOVE records) are filtered out, nothing is sent twice.
    assert crm_outbox.pending(customers_table(aws), me) == []
    assert relay.poll_once() == 0
    assert len(crm.drain()) == 3


def test_a_refused_change_writes_no_event(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    token = token_of(api, world)
    monaco = {"line1": "1 avenue Princesse Grace", "postal_code": "98000", "city": "Monaco", "country": "MC"}
    assert api.call("PUT", "/account/address", monaco, token=token).status == 422
    # The profile vanishes between the read and the write: the transaction (change + event) is cancelled whole.
    client = boto3.client("dynamodb", region_name="eu-west-3")
    original = api.gateway.handlers["account"].services.contact.customers.get_profile

    def read_then_vanish(customer_id: str) -> Any:
        found = original(customer_id)
        client.delete_item(
            TableName=customers_table(aws), Key={"pk": {"S": f"CUSTOMER#{customer_id}"}, "sk": {"S": "PROFILE"}}
        )
        return found

    api.gateway.handlers["account"].services.contact.customers.get_profile = read_then_vanish
    try:
        answer = api.call("PUT", "/account/contact/landline", {"landline": "+377 93 15 00 00"}, token=token)
    finally:
        del api.gateway.handlers["account"].services.contact.customers.get_profile
    assert answer.status == 404, answer.body
    assert crm_outbox.pending(customers_table(aws), "C0001") == []


def test_billing_settings_changes_go_through_the_outbox_too(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    token = token_of(api, world)
    answer = api.call("PUT", "/billing/settings/invoice-type", {"invoice_type": "paper"}, token=token)
    assert answer.status == 200, answer.body
    (event,) = crm_outbox.pending(customers_table(aws), "C0001")
    assert event.event_type == "InvoiceTypeChanged" and event.payload["invoice_type"] == "paper"
    crm = CrmListener(boto3.Session(region_name="eu-west-3"))
    relay_for(api, aws).poll_once()
    assert [e["event_type"] for e in crm.drain()] == ["InvoiceTypeChanged"]


class FlakyBus:
    """EventBridge refusing the entries of the events named, a number of times."""

    def __init__(self, bus: EventBridgeCrmEvents, refuse: set[str], times: int) -> None:
        self.bus, self.refuse, self.times = bus, refuse, times

    def publish_all(self, events: Sequence[CrmEvent]) -> None:
        if self.times > 0:
            self.times -= 1
            accepted = [e for e in events if e.event_type not in self.refuse]
            self.bus.publish_all(accepted)
            refused = [(e.event_id, "ThrottlingException") for e in events if e.event_type in self.refuse]
            if refused:
                raise CrmEventsNotPublished(refused)
            return
        self.bus.publish_all(events)


def test_an_event_eventbridge_refuses_is_retried_from_that_record_and_none_is_lost(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    crm = CrmListener(boto3.Session(region_name="eu-west-3"))
    token = token_of(api, world)
    for granted in (True, False):
        assert api.call("PUT", "/account/consents/surveys", {"granted": granted}, token=token).status == 200
    assert api.call("PUT", "/account/contact/landline", {"landline": "+377 93 15 00 00"}, token=token).status == 200
    flaky = FlakyBus(EventBridgeCrmEvents(d.CRM_OUTBOUND_BUS_NAME), {"ContactLandlineChanged"}, times=2)
    relay = OutboxRelay(customers_table(aws), flaky)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": s} for s in relay.relay(event["Records"])]}

    stream = StreamRelay(boto3.Session(region_name="eu-west-3"), customers_table(aws), d.CRM_OUTBOX, handler)
    assert stream.poll_once() == 2  # the two consents; the landline's event refused: kept, resumed from it
    assert [e.event_type for e in crm_outbox.pending(customers_table(aws), "C0001")] == ["ContactLandlineChanged"]
    assert stream.poll_once() == 0  # refused again
    assert stream.poll_once() == 1
    assert [e["event_type"] for e in crm.drain()] == ["ConsentChanged", "ConsentChanged", "ContactLandlineChanged"]
    assert crm_outbox.pending(customers_table(aws), "C0001") == []


def test_an_unreadable_outbox_item_is_skipped_without_holding_back_the_others(aws: LocalResources) -> None:
    published: list[CrmEvent] = []

    class Bus:
        def publish_all(self, events: Sequence[CrmEvent]) -> None:
            published.extend(events)

    relay = OutboxRelay(customers_table(aws), Bus())
    good = crm_outbox.outbox_item(
        CrmEvent("ConsentChanged", "C0001", "2026-11-23T10:00:00.000Z", "e1", {"purpose": "surveys"}),
        datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    )
    broken = to_raw(good | {"sk": "OUTBOX#2026-11-23T09:00:00.000Z#e0", "payload": "{not json"})
    records = [
        {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "1", "NewImage": broken}},
        {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "2", "NewImage": to_raw(good)}},
    ]
    assert relay.relay(records) == []
    assert [e.event_id for e in published] == ["e1"]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"eventName": "INSERT", "dynamodb": {"NewImage": {"sk": {"S": "OUTBOX#2026#e"}}}}, True),
        ({"eventName": "REMOVE", "dynamodb": {"NewImage": {"sk": {"S": "OUTBOX#2026#e"}}}}, False),
        ({"eventName": "INSERT", "dynamodb": {"NewImage": {"sk": {"S": "PROFILE"}}}}, False),
        ({"eventName": "MODIFY", "dynamodb": {"NewImage": {"sk": {"S": "OUTBOX#2026#e"}}}}, False),
        ({"eventName": "INSERT", "dynamodb": {"Keys": {}}}, False),
    ],
)
def test_the_filter_lets_only_new_outbox_items_through(record: dict[str, Any], expected: bool) -> None:
    assert matches_filter(record, d.CRM_OUTBOX_FILTER) is expected


def test_the_outbox_prefix_and_lifetime_are_the_definitions() -> None:
    assert crm_outbox.OUTBOX == d.CRM_OUTBOX_SK_PREFIX
    assert crm_outbox.KEEP_DAYS == d.CRM_OUTBOX_ITEM_DAYS
