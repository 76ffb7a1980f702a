"""Ticket creation with an Idempotency-Key, through the emulated API Gateway: the same key and body answer the
same ticket (201, then 200) with one ticket stored; another body with the key is refused (422 at the header);
keys are per customer and expire after 24 hours; without a key, nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selfcare.auth.policy import StaffRole
from selfcare.observability import metrics

from infra.local.resources import LocalResources
from infra.local.seed import demo_request_id
from tests.factories import DemoWorld
from tests.fakes import FixedClock
from tests.integration.conftest import Api, HttpResponse, body
from tests.integration.test_account import audit_actions, error_code, table, token_of

KEY = "ticket-7f3a9c21-0001"
TICKET = {"category": "billing", "subject": "Invoice of March", "description": "The amount looks wrong."}


@pytest.fixture(autouse=True)
def _no_metrics_build_up() -> Iterator[None]:
    yield
    metrics.clear_metrics()


def create(api: Api, token: str, payload: dict[str, Any] = TICKET, key: str | None = KEY) -> HttpResponse:
    headers = {"Idempotency-Key": key} if key else None
    return api.call("POST", "/account/tickets", payload, token=token, headers=headers)


def stored_tickets(aws: LocalResources, customer_id: str) -> list[dict[str, Any]]:
    items = table(aws, "CustomersTable").query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :t)",
        ExpressionAttributeValues={":pk": f"CUSTOMER#{customer_id}", ":t": "TICKET#"},
    )["Items"]
    # Leave out the demo customer's open request (a ticket taken by phone: what customer-service grants name).
    return [item for item in items if item.get("ticket_id") != demo_request_id(customer_id)]


def test_the_same_key_and_body_answer_the_same_ticket_and_store_one(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    token = token_of(api, world)
    first = create(api, token)
    assert first.status == 201, first.body
    again = create(api, token)
    assert again.status == 200, again.body
    assert body(again) == body(first)
    assert [t["ticket_id"] for t in stored_tickets(aws, "C0001")] == [body(first)["ticket_id"]]
    assert audit_actions(aws).count("ticket.created") == 1
    listed = body(api.call("GET", "/account/tickets", token=token))["tickets"]
    assert [t["ticket_id"] for t in listed] == [body(first)["ticket_id"]]
    # The key's record: a digest of the request, the ticket, an expiry 24 hours on (the table's TTL attribute).
    record = table(aws, "CustomersTable").get_item(Key={"pk": "CUSTOMER#C0001", "sk": f"TICKET_REQUEST#{KEY}"})["Item"]
    assert record["ticket_id"] == body(first)["ticket_id"]
    assert TICKET["description"] not in str(record)
    assert abs(int(record["expires_at"]) - (datetime.now(UTC).timestamp() + 24 * 3600)) < 60


@pytest.mark.parametrize(
    "other",
    [
        {**TICKET, "subject": "Invoice of April"},
        {**TICKET, "category": "technical"},
        {**TICKET, "related_line_id": "M-377612345678"},
    ],
)
def test_the_same_key_with_another_body_is_refused_at_the_header(
    api: Api, world: DemoWorld, aws: LocalResources, other: dict[str, Any]
) -> None:
    token = token_of(api, world)
    assert create(api, token).status == 201
    refused = create(api, token, other)
    assert refused.status == 422 and error_code(refused) == "idempotency_key_reused"
    assert [d["loc"] for d in body(refused)["error"]["details"]] == [["header", "Idempotency-Key"]]
    assert len(stored_tickets(aws, "C0001")) == 1


def test_keys_are_per_customer(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne, marco = token_of(api, world), token_of(api, world, 1)
    hers, his = create(api, jeanne), create(api, marco)
    assert hers.status == his.status == 201
    assert body(hers)["ticket_id"] != body(his)["ticket_id"]
    assert len(stored_tickets(aws, "C0001")) == len(stored_tickets(aws, "C0002")) == 1
    # Neither answers the other's ticket.
    assert body(create(api, marco))["ticket_id"] == body(his)["ticket_id"]


def test_without_a_key_every_request_creates_a_ticket(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    token = token_of(api, world)
    assert create(api, token, key=None).status == create(api, token, key=None).status == 201
    assert len(stored_tickets(aws, "C0001")) == 2
    assert not [i for i in table(aws, "CustomersTable").scan()["Items"] if str(i["sk"]).startswith("TICKET_REQUEST#")]


def test_a_key_expires_after_24_hours(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    token = token_of(api, world)
    first = body(create(api, token))
    tickets = api.gateway.handlers["account"].services.tickets
    tickets.clock = FixedClock(datetime.now(UTC) + timedelta(hours=24, seconds=1))
    later = create(api, token, {**TICKET, "subject": "Something else"})
    assert later.status == 201 and body(later)["ticket_id"] != first["ticket_id"]
    assert len(stored_tickets(aws, "C0001")) == 2


@pytest.mark.parametrize("key", ["short", "x" * 65, "not a key!"])
def test_a_malformed_key_answers_422_at_the_header(api: Api, world: DemoWorld, aws: LocalResources, key: str) -> None:
    refused = create(api, token_of(api, world), key=key)
    assert refused.status == 422, refused.body
    assert [d["loc"][0] for d in body(refused)["error"]["details"]] == ["header"]
    assert stored_tickets(aws, "C0001") == []


def test_a_staff_member_repeating_a_customers_key_is_another_request(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    assert create(api, token_of(api, world)).status == 201
    advisor = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
    staff = api.staff_login(advisor.email, advisor.password)["access_token"]
    grant = api.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": "C0001", "reason": "Customer called about the invoice", "duration_minutes": 30},
        token=staff,
    )
    refused = api.call(
        "POST",
        "/account/tickets",
        TICKET,
        token=staff,
        headers={"X-Assisted-Access": body(grant)["grant_id"], "Idempotency-Key": KEY},
    )
    assert refused.status == 422 and error_code(refused) == "idempotency_key_reused"
    assert len(stored_tickets(aws, "C0001")) == 1
