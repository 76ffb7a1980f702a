"""The projection's dead-letter queue (SQS, encrypted): events it refused, each with its reason.

The message body is the DeadLetter as JSON (reason code, explanation, event id, detail-type, the event);
the reason code is also a message attribute, `reason`, so consumers route on it without parsing. The body
holds the CRM's event (personal data): the queue is encrypted and its retention bounded; never log it.
"""

from __future__ import annotations

import json

from selfcare import aws
from selfcare.projection.models import DeadLetter


class SqsDeadLetters:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, letter: DeadLetter) -> None:
        attributes = {"reason": {"DataType": "String", "StringValue": letter.reason.value}}
        if letter.detail_type:
            attributes["detail_type"] = {"DataType": "String", "StringValue": letter.detail_type[:256]}
        aws.client("sqs").send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(letter.body(), default=str),
            MessageAttributes=attributes,
        )
