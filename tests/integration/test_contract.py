"""Bad input never answers 5xx (issue 12, section 2), and the contract's runtime side: a body in another
content type answers 415, a body that cannot be parsed safely 400, booleans and integers are strict,
email addresses are checked as mail systems do (a provider's refusal keeps nothing), a ticket's
invoice is checked like its line, and a 204 has neither body nor Content-Type."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from selfcare.billing.models import Invoice
from selfcare.clock import iso
from selfcare.dal.billing import BillingRepository
from selfcare.errors import EmailAddressRefused
from selfcare.ports.notifications import Notification

from infra.local.resources import LocalResources
from infra.local.seed import demo_request_id
from tests.factories import DemoWorld
from tests.fakes import InMemoryNotifier
from tests.integration.conftest import Api, HttpResponse, body

ERROR_KEYS = {"code", "message", "request_id"}


def token_of(api: Api, world: DemoWorld, index: int = 0) -> str:
    customer = world.customers[index]
    return str(api.login(customer.email, customer.password)["access_token"])


def error_of(response: HttpResponse) -> dict[str, Any]:
    """The one error shape's content (fails when the body has another shape)."""
    found = body(response)
    assert set(found) == {"error"}, found
    assert set(found["error"]) >= ERROR_KEYS, found
    assert response.headers.get("Content-Type") == "application/json"
    return dict(found["error"])


def stored_items(aws: LocalResources, customer_id: str, prefix: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names["CustomersTable"])
    items = table.scan()["Items"]
    return [i for i in items if i["pk"] == f"CUSTOMER#{customer_id}" and str(i["sk"]).startswith(prefix)]


# 415: a body in another content type ---------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/xml"]
)
def test_a_body_in_another_content_type_answers_415_in_the_error_shape(
    api: Api, world: DemoWorld, content_type: str
) -> None:
    # Given a customer, When they send a valid JSON body labelled with another content type
    token = token_of(api, world)
    response = api.call(
        "PUT", "/account/consents/newsletter", token=token, raw_body='{"granted": true}',
        headers={"Content-Type": content_type},
    )  # fmt: skip
    # Then 415 unsupported_media_type, and nothing changed
    assert response.status == 415, response.body
    assert error_of(response)["code"] == "unsupported_media_type"
    assert stored_items_count_of_consents(api, token) == 0


def stored_items_count_of_consents(api: Api, token: str) -> int:
    return len(body(api.call("GET", "/account/consents/history", token=token))["records"])


def test_415_also_on_a_public_route_and_json_variants_are_accepted(api: Api, world: DemoWorld) -> None:
    customer = world.customers[0]
    login = {"identifier": customer.email, "password": customer.password}

    refused = api.call("POST", "/auth/login", raw_body=json.dumps(login), headers={"Content-Type": "text/plain"})
    assert refused.status == 415 and error_of(refused)["code"] == "unsupported_media_type"
    # media types are case-insensitive (RFC 9110): the upper-case forms are JSON too
    for content_type in (
        "application/json; charset=utf-8",
        "application/json",
        "APPLICATION/JSON",
        "Application/Json; charset=UTF-8",
    ):
        accepted = api.call("POST", "/auth/login", raw_body=json.dumps(login), headers={"Content-Type": content_type})
        assert accepted.status == 200, (content_type, accepted.body)


# 400: bodies that cannot be parsed safely ------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("[" * 6_000 + "]" * 6_000, "nesting deeper than the recursion limit"),
        ('{"granted": ' + "[" * 5_000 + "]" * 5_000 + "}", "nested inside a field"),
        ('{"granted": ' + "9" * 5_000 + "}", "an integer of 5,000 digits"),
    ],
    ids=["deep-nesting", "deep-nesting-in-a-field", "huge-integer"],
)
def test_a_body_that_cannot_be_parsed_safely_answers_400_bad_request(
    api: Api, world: DemoWorld, raw: str, why: str
) -> None:
    token = token_of(api, world)
    response = api.call("PUT", "/account/consents/newsletter", token=token, raw_body=raw)
    assert response.status == 400, (why, response.status, response.body[:200])
    assert error_of(response)["code"] == "bad_request"


def test_malformed_json_still_answers_422_with_its_location(api: Api, world: DemoWorld) -> None:
    token = token_of(api, world)
    response = api.call("PUT", "/account/consents/newsletter", token=token, raw_body='{"granted": tru')
    assert response.status == 422
    error = error_of(response)
    assert error["code"] == "validation_error" and error["details"][0]["type"] == "json_invalid"


# Strict booleans and integers ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["yes", "true", 0, 1, 1.0, None])
def test_a_boolean_is_only_true_or_false(api: Api, world: DemoWorld, value: Any) -> None:
    token = token_of(api, world)
    response = api.call("PUT", "/account/consents/newsletter", {"granted": value, "channel": "web"}, token=token)
    assert response.status == 422, (value, response.body)
    assert error_of(response)["details"][0]["loc"] == ["body", "granted"]
    assert stored_items_count_of_consents(api, token) == 0


def test_true_and_enums_from_json_keep_working(api: Api, world: DemoWorld) -> None:
    token = token_of(api, world)
    response = api.call("PUT", "/account/consents/newsletter", {"granted": True, "channel": "web"}, token=token)
    assert response.status == 200, response.body
    assert body(response)["granted"] is True and body(response)["purpose"] == "newsletter"


@pytest.mark.parametrize("value", ["30", 30.0, True])
def test_an_integer_is_only_a_json_integer(api: Api, world: DemoWorld, value: Any) -> None:
    staff = next(iter(world.staff.values()))
    token = api.staff_login(staff.email, staff.password)["access_token"]
    payload = {"customer_id": "C0001", "reason": "Customer called about a lost phone", "duration_minutes": value}
    response = api.call("POST", "/staff/assisted-access", payload, token=token)
    assert response.status == 422, (value, response.body)
    assert error_of(response)["details"][0]["loc"] == ["body", "duration_minutes"]
    accepted = api.call("POST", "/staff/assisted-access", payload | {"duration_minutes": 30}, token=token)
    assert accepted.status == 201, accepted.body


# Email addresses: as mail systems check them; a provider's refusal keeps nothing --------------------
@pytest.mark.parametrize("address", ["a;b@c.de", "jean@localhost", "jean..dupont@example.mc", "é@example.mc"])
def test_an_address_that_mail_systems_refuse_answers_422_and_keeps_nothing(
    api: Api, world: DemoWorld, aws: LocalResources, address: str
) -> None:
    # Given a customer (the real SES adapter on moto)
    token = token_of(api, world)
    # When they ask to move their contact email to an address SES would refuse
    response = api.call("PUT", "/account/contact/email", {"email": address}, token=token)
    # Then 422 at body.email, without the input echoed, and no pending code is stored
    assert response.status == 422, response.body
    error = error_of(response)
    assert error["details"][0]["loc"] == ["body", "email"]
    assert address not in response.body
    assert stored_items(aws, "C0001", "VERIFY#") == []


class RefusingNotifier(InMemoryNotifier):
    """The notification port when the provider refuses the recipient (SesNotifier raises this)."""

    def send(self, notification: Notification) -> None:
        raise EmailAddressRefused()


def test_a_provider_refusal_answers_422_email_address_refused_and_keeps_no_code(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given a customer whose new address the email provider refuses
    token = token_of(api, world)
    api.gateway.handlers["account"].services.contact.notifier = RefusingNotifier()
    # When they ask for the change
    response = api.call("PUT", "/account/contact/email", {"email": "jeanne.new@example.mc"}, token=token)
    # Then a clear 4xx, and no code is left behind to confirm
    assert response.status == 422, response.body
    error = error_of(response)
    assert error["code"] == "email_address_refused" and error["details"][0]["loc"] == ["body", "email"]
    assert stored_items(aws, "C0001", "VERIFY#") == []
    assert body(api.call("GET", "/account", token=token))["contact_email"] == "jeanne.dupont@example.mc"


def test_a_valid_address_still_gets_its_code_stored(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    token = token_of(api, world)
    response = api.call("PUT", "/account/contact/email", {"email": "Jeanne.New@Example.MC"}, token=token)
    assert response.status == 202, response.body
    [pending] = stored_items(aws, "C0001", "VERIFY#")
    assert pending["value"] == "jeanne.new@example.mc"


# Tickets: related_invoice_id is checked like related_line_id ------------------------------------------
def _invoice(customer_id: str, invoice_id: str) -> None:
    issued = datetime.now(UTC) - timedelta(days=10)
    BillingRepository(os.environ["CUSTOMERS_TABLE"]).put_invoice(
        Invoice(invoice_id, customer_id, iso(issued), 4990, "EUR", (issued + timedelta(days=20)).date().isoformat()),
        1,
    )


@pytest.mark.parametrize("invoice_id", ["INV-C0002-1", "INV-UNKNOWN-1"])
def test_a_ticket_naming_another_customers_or_an_unknown_invoice_is_refused(
    api: Api, world: DemoWorld, aws: LocalResources, invoice_id: str
) -> None:
    # Given an invoice of each customer
    _invoice("C0001", "INV-C0001-1")
    _invoice("C0002", "INV-C0002-1")
    token = token_of(api, world)
    ticket = {"category": "billing", "subject": "About my bill", "description": "Why is it higher?"}
    # When the first customer names another customer's (or an unknown) invoice
    refused = api.call("POST", "/account/tickets", ticket | {"related_invoice_id": invoice_id}, token=token)
    # Then 422 unknown_invoice at body.related_invoice_id, the same for both, and no ticket is stored
    assert refused.status == 422, refused.body
    assert error_of(refused)["details"] == [
        {"loc": ["body", "related_invoice_id"], "message": "No such invoice.", "type": "unknown_invoice"}
    ]
    # nothing stored beside the demo customer's open request (a ticket taken by phone)
    assert [i for i in stored_items(aws, "C0001", "TICKET#") if i["sk"] != f"TICKET#{demo_request_id('C0001')}"] == []
    # And their own invoice is accepted
    created = api.call("POST", "/account/tickets", ticket | {"related_invoice_id": "INV-C0001-1"}, token=token)
    assert created.status == 201, created.body
    assert body(created)["related_invoice_id"] == "INV-C0001-1"


# 204: no body, no Content-Type ---------------------------------------------------------------------
def test_a_204_has_no_body_and_no_content_type(api: Api, world: DemoWorld) -> None:
    token = token_of(api, world)
    response = api.call("POST", "/auth/logout", token=token)
    assert response.status == 204
    assert response.body == ""
    assert "content-type" not in {name.lower() for name in response.headers}
