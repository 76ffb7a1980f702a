"""Outbound ports of commercial SMS: the network (the SMS port) and the campaigns' batch queue.

SMS port: SNS `Publish` to a phone number as a Promotional SMS with the provider's sender id (production and
the local stack, where moto keeps the messages and GET /_local/outbox shows them). Tests use in-memory fakes
(tests/fakes.py). Adapters only deliver: the decision to send is the logic's. Never log a number or a text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from selfcare import aws


@dataclass(frozen=True)
class CommercialSms:
    to: str  # E.164
    body: str
    sender_id: str  # alphanumeric sender id, or the short number replies come from
    kind: str  # "campaign", "single", "opt_out_confirmation"...: safe to log


class SmsNetwork(Protocol):
    def send(self, sms: CommercialSms) -> str:
        """Hand the SMS to the network; its message id. Raises SmsRejected when the network refuses it."""
        ...


class SmsRejected(Exception):
    """The network refused this message for good (invalid number, opted out at the carrier...)."""


class SnsSmsNetwork:
    def __init__(self) -> None:
        self._client: Any = None

    def send(self, sms: CommercialSms) -> str:
        if self._client is None:
            self._client = aws.client("sns")
        try:
            answer = self._client.publish(
                PhoneNumber=sms.to,
                Message=sms.body,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Promotional"},
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": sms.sender_id},
                },
            )
        except self._client.exceptions.InvalidParameterException as error:
            raise SmsRejected("invalid_parameter") from error
        return str(answer["MessageId"])


@dataclass(frozen=True)
class BatchJob:
    campaign_id: str
    batch: int


# SQS's longest visibility timeout is 12 hours from the message's receipt: a pause asks for at most this (a
# longer night window pauses the batch again when it comes back).
MAX_PAUSE_SECONDS = 12 * 3600 - 60


class CampaignQueue(Protocol):
    def enqueue(self, jobs: list[BatchJob]) -> None: ...

    def pause(self, receipt_handle: str, seconds: int) -> None:
        """The batch being processed (`receipt_handle`: its delivery) comes back in `seconds` (capped)."""
        ...


class SqsCampaignQueue:
    """One SQS message per batch (SendMessageBatch, 10 a call); the worker function is the queue's consumer."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def enqueue(self, jobs: list[BatchJob]) -> None:
        sqs = aws.client("sqs")
        for start in range(0, len(jobs), 10):
            entries = [
                {"Id": str(i), "MessageBody": json.dumps({"campaign_id": job.campaign_id, "batch": job.batch})}
                for i, job in enumerate(jobs[start : start + 10])
            ]
            answer = sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"{len(answer['Failed'])} batch jobs could not be queued")

    def pause(self, receipt_handle: str, seconds: int) -> None:
        """ChangeMessageVisibility of the delivery: the event source mapping leaves a failed message to its
        visibility timeout, so the worker reports the batch failed and it comes back when asked."""
        aws.client("sqs").change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, MAX_PAUSE_SECONDS)),
        )
