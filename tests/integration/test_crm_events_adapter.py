"""The CRM events adapter on moto: events reach a rule of the outbound bus (an SQS target here), in
batches of 10; entries EventBridge refuses are retried, then raised."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from selfcare.ports.crm_events import SOURCE, CrmEvent, CrmEventsNotPublished, EventBridgeCrmEvents

from infra import definitions as d
from infra.local.resources import LocalResources


def event(number: int) -> CrmEvent:
    return CrmEvent(
        event_type="ContactEmailChanged",
        customer_id="C0001",
        occurred_at="2026-11-23T01:00:00.000Z",
        event_id=f"evt-{number:04d}",
        payload={"contact_email": f"new-{number}@example.mc"},
    )


@pytest.fixture
def crm_listener(aws: LocalResources) -> str:
    """A rule on the outbound bus, as the CRM's would be, sending everything from the space to a queue."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="crm-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="crm-listener",
        EventBusName=d.CRM_OUTBOUND_BUS_NAME,
        EventPattern=json.dumps({"source": [d.CRM_OUTBOUND_SOURCE]}),
    )
    events.put_targets(Rule="crm-listener", EventBusName=d.CRM_OUTBOUND_BUS_NAME, Targets=[{"Id": "q", "Arn": arn}])
    return str(url)


def received(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_events_reach_the_crm_rule_in_batches(aws: LocalResources, crm_listener: str) -> None:
    adapter = EventBridgeCrmEvents(aws.grant_values()["CRM_EVENT_BUS_NAME"])
    adapter.publish_all([event(n) for n in range(12)])
    adapter.publish(event(12))
    delivered = received(crm_listener)
    assert len(delivered) == 13
    assert {e["source"] for e in delivered} == {SOURCE}
    assert {e["detail-type"] for e in delivered} == {"ContactEmailChanged"}
    assert sorted(e["detail"]["event_id"] for e in delivered) == [f"evt-{n:04d}" for n in range(13)]
    first = next(e for e in delivered if e["detail"]["event_id"] == "evt-0000")
    assert first["detail"] == {
        "event_id": "evt-0000",
        "customer_id": "C0001",
        "occurred_at": "2026-11-23T01:00:00.000Z",
        "payload": {"contact_email": "new-0@example.mc"},
    }


class FlakyEvents:
    """An EventBridge client whose PutEvents refuses the first entry of each call `failures` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        results: list[dict[str, Any]] = [{"EventId": f"id-{i}"} for i in range(len(Entries))]
        failed = 0
        if self.failures:
            self.failures -= 1
            results[0] = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
            failed = 1
        return {"FailedEntryCount": failed, "Entries": results}


def test_refused_entries_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    flaky = FlakyEvents(failures=2)
    monkeypatch.setattr("selfcare.aws.client", lambda service: flaky)
    EventBridgeCrmEvents("bus", attempts=3, backoff_seconds=0).publish_all([event(n) for n in range(3)])
    assert [len(call) for call in flaky.calls] == [3, 1, 1]
    assert json.loads(flaky.calls[-1][0]["Detail"])["event_id"] == "evt-0000"


def test_entries_still_refused_are_raised_never_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    flaky = FlakyEvents(failures=10)
    monkeypatch.setattr("selfcare.aws.client", lambda service: flaky)
    with pytest.raises(CrmEventsNotPublished) as raised:
        EventBridgeCrmEvents("bus", attempts=3, backoff_seconds=0).publish(event(1))
    assert raised.value.failed == [("evt-0001", "InternalFailure")]


def test_an_unknown_bus_is_raised(aws: LocalResources) -> None:
    with pytest.raises((CrmEventsNotPublished, ClientError)):
        EventBridgeCrmEvents("no-such-bus", attempts=1).publish(event(1))
