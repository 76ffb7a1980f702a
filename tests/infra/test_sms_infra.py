"""Commercial SMS infrastructure, by property: the campaign queue (encrypted, dead letters, the worker's
mapping with partial failures), the inbound topic (TLS only, the inbound function subscribed), the grants."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import definitions as d
from infra.stacks import names
from tests.infra.conftest import Synth, Template, iam_statements, resources_of_type

pytestmark = pytest.mark.infra

SERVICE = names.SERVICE_STACK


def _queue(template: Template, name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, r["Properties"])
        for logical_id, r in resources_of_type(template, "AWS::SQS::Queue").items()
        if r["Properties"].get("QueueName") == name
    ]
    return found


def _function_id(synth: Synth, name: str) -> str:
    return synth.logical_id(SERVICE, f"Functions/{names.construct_name(name)}/Function/Resource")


def _statements(synth: Synth, template: Template, name: str) -> dict[str, dict[str, Any]]:
    role_id = template["Resources"][_function_id(synth, name)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return {s["Sid"]: s for logical_id, s in iam_statements(template) if logical_id == role_id}


def test_campaign_queue_is_encrypted_with_dead_letters_and_drives_the_worker(
    synth: Synth, service_template: Template
) -> None:
    queue_id, queue = _queue(service_template, d.SMS_CAMPAIGN_QUEUE_NAME)
    dead_id, dead = _queue(service_template, d.SMS_CAMPAIGN_DEAD_LETTER_QUEUE_NAME)
    assert queue["SqsManagedSseEnabled"] is True and dead["SqsManagedSseEnabled"] is True
    assert queue["VisibilityTimeout"] == d.SMS_CAMPAIGN_VISIBILITY_SECONDS
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_id, "Arn"]},
        "maxReceiveCount": d.SMS_CAMPAIGN_MAX_RECEIVES,
    }
    (mapping,) = [
        r["Properties"]
        for r in resources_of_type(service_template, "AWS::Lambda::EventSourceMapping").values()
        if r["Properties"].get("EventSourceArn") == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": _function_id(synth, d.SMS_CAMPAIGNS.name)}
    assert mapping["BatchSize"] == d.SMS_CAMPAIGN_BATCH_SIZE
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_inbound_topic_delivers_to_the_inbound_function(synth: Synth, service_template: Template) -> None:
    (topic_id,) = [
        logical_id
        for logical_id, r in resources_of_type(service_template, "AWS::SNS::Topic").items()
        if r["Properties"].get("TopicName") == d.SMS_INBOUND_TOPIC_NAME
    ]
    (subscription,) = [
        r["Properties"]
        for r in resources_of_type(service_template, "AWS::SNS::Subscription").values()
        if r["Properties"].get("TopicArn") == {"Ref": topic_id}
    ]
    assert subscription["Protocol"] == "lambda"
    assert subscription["Endpoint"] == {"Fn::GetAtt": [_function_id(synth, d.SMS_INBOUND.name), "Arn"]}


def test_only_the_provider_api_queues_batches_and_only_the_worker_consumes_them(
    synth: Synth, service_template: Template
) -> None:
    for spec in d.FUNCTIONS:
        statements = _statements(synth, service_template, spec.name)
        assert ("QueueSmsBatches" in statements) == (spec is d.SMS_GATEWAY), spec.name
        assert ("ConsumeSmsBatches" in statements) == (spec is d.SMS_CAMPAIGNS), spec.name
    send = _statements(synth, service_template, d.SMS_GATEWAY.name)["QueueSmsBatches"]
    assert send["Action"] == "sqs:SendMessage"
    assert json.dumps(send["Resource"]).endswith(f':{d.SMS_CAMPAIGN_QUEUE_NAME}"]]}}')
