"""The SES adapter turns a provider's refusal of the recipient into a domain error (422, nothing kept)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from selfcare.errors import EmailAddressRefused
from selfcare.ports.notifications import Notification, SesNotifier

MESSAGE = Notification(to="jeanne.new@example.mc", subject="Code", body="123456", kind="contact_email_code")


def _notifier() -> tuple[SesNotifier, Stubber]:
    client = boto3.client("sesv2", region_name="eu-west-3")
    notifier = SesNotifier("no-reply@selfcare.example")
    notifier._client = client
    return notifier, Stubber(client)


@pytest.mark.parametrize("code", ["MessageRejected", "InvalidParameterValue", "BadRequestException"])
def test_a_refused_recipient_raises_email_address_refused(code: str) -> None:
    notifier, stub = _notifier()
    stub.add_client_error("send_email", service_error_code=code, http_status_code=400)
    with stub, pytest.raises(EmailAddressRefused) as raised:
        notifier.send(MESSAGE)
    assert raised.value.problems[0].loc == ("body", "email")
    assert "jeanne" not in str(raised.value)


def test_other_provider_failures_are_not_blamed_on_the_address() -> None:
    notifier, stub = _notifier()
    stub.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
    with stub, pytest.raises(ClientError):
        notifier.send(MESSAGE)


def test_an_accepted_message_is_sent_once() -> None:
    notifier, stub = _notifier()
    stub.add_response("send_email", {"MessageId": "m-1"})
    with stub:
        notifier.send(MESSAGE)
    stub.assert_no_pending_responses()
