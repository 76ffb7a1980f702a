"""Notification port: messages to a customer's or staff member's contact address.

Emails: production and the local stack both use the SES adapter (on the local stack, moto keeps what was
sent and the local stack shows it as an outbox: GET /_local/outbox). Unit tests use an in-memory fake (tests/fakes.py).
Messages are built by logic; adapters only deliver. Never log a message's content or recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from selfcare import aws


@dataclass(frozen=True)
class Notification:
    to: str  # email address
    subject: str
    body: str
    kind: str  # e.g. "password_recovery"; safe to log


class Notifier(Protocol):
    def send(self, notification: Notification) -> None: ...


class SesNotifier:
    def __init__(self, sender: str) -> None:
        self._sender = sender
        self._client: Any = None

    def send(self, notification: Notification) -> None:
        if self._client is None:
            self._client = aws.client("sesv2")
        self._client.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": [notification.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": notification.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": notification.body, "Charset": "UTF-8"}},
                }
            },
        )


@dataclass(frozen=True)
class Sms:
    to: str  # E.164 phone number
    body: str
    kind: str  # e.g. "contact_mobile_code"; safe to log


class SmsSender(Protocol):
    def send_sms(self, sms: Sms) -> None: ...


class SnsSmsSender:
    """SMS through SNS `Publish` to a phone number (transactional: codes must arrive, whatever the price).

    On the local stack moto keeps the messages, and GET /_local/outbox shows them with the emails."""

    def __init__(self) -> None:
        self._client: Any = None

    def send_sms(self, sms: Sms) -> None:
        if self._client is None:
            self._client = aws.client("sns")
        self._client.publish(
            PhoneNumber=sms.to,
            Message=sms.body,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
