"""The export queue of the requests of access (issue 10): one message per export to build, read by the
`rights_export` worker (SQS, dead-letter queue after a few receives). The adapter and the port."""

from __future__ import annotations

import json
from typing import Protocol

from selfcare import aws


class ExportQueue(Protocol):
    def enqueue(self, customer_id: str, request_id: str) -> None: ...


class SqsExportQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def enqueue(self, customer_id: str, request_id: str) -> None:
        aws.client("sqs").send_message(
            QueueUrl=self.queue_url, MessageBody=json.dumps({"customer_id": customer_id, "request_id": request_id})
        )
