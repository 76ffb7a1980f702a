"""Account over real HTTP against the local stack: the contact email changes with the code read from
the local outbox; the previous address is told; the mobile code arrives by SMS in the same outbox.
Each test puts the contact details back as they were (the local stack is shared by the e2e suite)."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import quote

from tests.e2e.conftest import Client, LocalStack

CODE = re.compile(r"Your confirmation code: (\d{6})")
SMS_CODE = re.compile(r"your code is (\d{6})")


def _latest_code(client: Client, to: str, pattern: re.Pattern[str]) -> str:
    messages = client.call("GET", f"/_local/outbox?to={quote(to)}").json()["messages"]
    assert messages, f"nothing was sent to {to}"
    match = pattern.search(messages[0]["body"])
    assert match, messages[0]["body"]
    return match.group(1)


def _crm_events_until(client: Client, customer_id: str, event_type: str, value: str) -> dict[str, Any]:
    """The newest event of this type for the customer carrying `value`, once the relay has published it."""
    deadline = time.monotonic() + 10
    while True:
        events = client.call("GET", f"/_local/crm-events?customer_id={customer_id}").json()["events"]
        found = [e for e in events if e["event_type"] == event_type and value in json.dumps(e["payload"])]
        if found:
            return dict(found[0])
        assert time.monotonic() < deadline, f"no {event_type} for {customer_id} reached the CRM: {events}"
        time.sleep(0.2)


def _change_email(client: Client, token: str, address: str) -> dict[str, object]:
    asked = client.call("PUT", "/account/contact/email", {"email": address}, token=token)
    assert asked.status == 202, asked.text
    code = _latest_code(client, address, CODE)
    confirmed = client.call("POST", "/account/contact/email/confirmation", {"code": code}, token=token)
    assert confirmed.status == 200, confirmed.text
    again = client.call("POST", "/account/contact/email/confirmation", {"code": code}, token=token)
    assert again.status == 400 and again.error_code == "invalid_verification_code"  # single use
    return dict(confirmed.json())


def test_contact_email_changes_with_the_code_from_the_outbox(local_stack: LocalStack, client: Client) -> None:
    # Given: a customer just logged in (a recent authentication)
    jeanne = local_stack.customer(0)
    token = client.login(jeanne["login_id"], jeanne["password"])["access_token"]
    before = str(client.call("GET", "/account", token=token).json()["contact_email"])
    new_address = "jeanne.e2e@example.mc"

    # When: the change is asked, the code read from the outbox and confirmed
    changed = _change_email(client, token, new_address)

    # Then: the new address is the contact email, and the previous one was told
    assert changed["contact_email"] == new_address
    assert client.call("GET", "/account", token=token).json()["contact_email"] == new_address
    told = client.call("GET", f"/_local/outbox?to={quote(before)}").json()["messages"]
    assert told and told[0]["subject"] == "Your contact email was changed"
    # And the CRM heard of it: the outbox item, relayed from the table's stream to the CRM bus
    published = _crm_events_until(client, jeanne["customer_id"], "ContactEmailChanged", new_address)
    assert published["payload"]["contact_email"] == new_address

    # And back (the other journeys read this customer's emails at the original address)
    assert _change_email(client, token, before)["contact_email"] == before


def test_contact_mobile_code_arrives_by_sms_in_the_outbox(local_stack: LocalStack, client: Client) -> None:
    marco = local_stack.customer(1)
    token = client.login(marco["login_id"], marco["password"])["access_token"]
    before = str(client.call("GET", "/account", token=token).json()["contact_mobile"])
    for number in ("+33698765432", before):
        asked = client.call("PUT", "/account/contact/mobile", {"mobile": number}, token=token)
        assert asked.status == 202, asked.text
        code = _latest_code(client, number, SMS_CODE)
        confirmed = client.call("POST", "/account/contact/mobile/confirmation", {"code": code}, token=token)
        assert confirmed.status == 200 and confirmed.json()["contact_mobile"] == number, confirmed.text
