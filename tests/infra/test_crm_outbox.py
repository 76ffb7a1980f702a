"""The CRM outbox's infrastructure, by property: the customers table's stream, the relay's event source
mapping (filter, batches, partial failures, retries, dead-letter queue) and the relay's grants."""

from __future__ import annotations

import json

import pytest

from infra import definitions as d
from infra.stacks import names
from tests.infra.conftest import Synth, Template, get_att, resources_of_type
from tests.infra.test_projection import one, statements_of_function

pytestmark = pytest.mark.infra


def test_the_customers_table_streams_new_images_and_expires_items(data_template: Template) -> None:
    table = data_template["Resources"][d.CUSTOMERS.logical_id]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_the_relay_reads_only_new_outbox_items_in_batches_with_partial_failures_and_a_dead_letter_queue(
    synth: Synth, service_template: Template
) -> None:
    relay_id = synth.logical_id(
        names.SERVICE_STACK, f"Functions/{names.construct_name(d.CRM_OUTBOX.name)}/Function/Resource"
    )
    # The relay's mapping (the SMS campaign worker has its own, on its queue).
    (mapping,) = [
        m
        for m in resources_of_type(service_template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": relay_id}
    ]
    properties = mapping["Properties"]
    queue_id, queue = one(service_template, "AWS::SQS::Queue", QueueName=d.CRM_OUTBOX_DEAD_LETTER_QUEUE_NAME)
    assert properties["FunctionName"] == {"Ref": relay_id}
    assert "Fn::ImportValue" in json.dumps(properties["EventSourceArn"])  # the data stack's table stream
    assert [json.loads(f["Pattern"]) for f in properties["FilterCriteria"]["Filters"]] == [d.CRM_OUTBOX_FILTER]
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["BatchSize"] == d.CRM_OUTBOX_BATCH_SIZE
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == d.CRM_OUTBOX_RETRIES
    assert properties["MaximumRecordAgeInSeconds"] == d.CRM_OUTBOX_MAX_RECORD_AGE_SECONDS
    assert properties["DestinationConfig"] == {"OnFailure": {"Destination": get_att(queue_id, "Arn")}}
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == d.DEAD_LETTER_RETENTION_DAYS * 24 * 3600


def test_the_relay_reads_the_stream_puts_on_the_crm_bus_and_deletes_outbox_items_only(
    synth: Synth, service_template: Template
) -> None:
    statements = statements_of_function(synth, service_template, d.CRM_OUTBOX.name)
    stream = statements["ReadCustomersStream"]
    assert sorted(stream["Action"]) == ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    assert "StreamArn" in json.dumps(stream["Resource"])
    assert statements["ListStreams"]["Action"] == "dynamodb:ListStreams"
    send = statements["SendOutboxDeadLetters"]
    assert json.dumps(send["Resource"]).endswith(f':{d.CRM_OUTBOX_DEAD_LETTER_QUEUE_NAME}"]]}}')
    assert json.dumps(statements["PutCrmEvents"]["Resource"]).endswith(f':event-bus/{d.CRM_OUTBOUND_BUS_NAME}"]]}}')
    # No read of the table itself: everything the relay needs is in the stream record.
    assert f"Read{d.CUSTOMERS.logical_id}" not in statements and f"Write{d.CUSTOMERS.logical_id}" in statements


def test_no_function_that_changes_customer_data_publishes_to_the_crm_itself() -> None:
    """Changes reach the CRM through the outbox only: a direct PutEvents after the write could be lost."""
    for spec in d.FUNCTIONS:
        assert ("crm_events" in spec.grants) == (spec is d.CRM_OUTBOX), spec.name
