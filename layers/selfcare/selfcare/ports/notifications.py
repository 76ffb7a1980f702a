"""Notification port: messages to a customer's or staff member's contact address.

Emails: production and the local stack both use the SES adapter (on the local stack, moto keeps what was
sent and the local stack shows it as an outbox: GET /_local/outbox). Unit tests use an in-memory fake (tests/fakes.py).
Messages are built by logic; adapters only deliver. Never log a message's content or recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from selfcare import aws
from selfcare.errors import EmailAddressRefused

# What SES answers when it refuses a recipient (SES v1 and v2 names; moto answers InvalidParameterValue).
REFUSED_RECIPIENT_CODES = frozenset({"MessageRejected", "InvalidParameterValue", "BadRequestException"})


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
        """Raises EmailAddressRefused when SES refuses the recipient (the caller keeps nothing then)."""
        if self._client is None:
            self._client = aws.client("sesv2")
        try:
            self._send(notification)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in REFUSED_RECIPIENT_CODES:
                raise EmailAddressRefused() from None
            raise

    def _send(self, notification: Notification) -> None:
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
