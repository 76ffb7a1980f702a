"""Driving the local stack from outside, as a newcomer following the README would, on a stack of its own
(it terminates and anonymises a demo customer, then stops the stack and times the stop):
- POST /_local/crm-inbound with the samples of events/demo/ (a CRM event onto the inbound bus);
- POST /_local/schedules/fire (the anonymisation schedules due at a given time);
- Ctrl-C (SIGINT) stops the whole stack within STOP_BUDGET_SECONDS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from selfcare.projection import events as crm

from infra.definitions import ANONYMISATION_SCHEDULE_GROUP, CRM_INBOUND_BUS_NAME, ROOT
from tests.e2e.conftest import STOP_BUDGET_SECONDS, Client, LocalStack, launch_local_stack, stop_local_stack

DEMO_SAMPLES = ROOT / "events" / "demo"
MARCO = 1  # the demo customer C0002, whom the samples update and terminate


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((DEMO_SAMPLES / f"{name}.json").read_text()))


@pytest.fixture(scope="module")
def own_stack() -> Iterator[LocalStack]:
    stack = launch_local_stack(("--quiet",), ready_timeout=240)  # a second stack: the machine may be busy
    try:
        yield stack
    finally:
        if stack.process.poll() is None:  # the last test stops it; stop it anyway when that test failed early
            stop_local_stack(stack)


@pytest.fixture(scope="module")
def own_client(own_stack: LocalStack) -> Client:
    return Client(own_stack.base_url)


def embedded_aws_client(stack: LocalStack, service: str) -> Any:
    """A boto3 client of the stack's moto (the banner's "moto (AWS)" URL), with the README's region and credentials."""
    import boto3

    endpoint = next(line.split()[-1] for line in stack.output if line.strip().startswith("moto (AWS)"))
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-3")
    return session.client(service, endpoint_url=endpoint)


def eventually(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_the_demo_samples_are_valid_crm_events_of_demo_customers(own_stack: LocalStack) -> None:
    demo_ids = {c["customer_id"] for c in own_stack.credentials["customers"]}
    for path in sorted(DEMO_SAMPLES.glob("*.json")):
        envelope = crm.Envelope.model_validate(json.loads(path.read_text()))
        detail = crm.DETAIL_MODELS[envelope.detail_type].model_validate(envelope.detail)
        customer_id = getattr(detail, "customer_id", None) or detail.customer.customer_id  # type: ignore[attr-defined]
        assert customer_id in demo_ids, path.name


def test_a_crm_event_posted_from_outside_reaches_the_read_model(own_stack: LocalStack, own_client: Client) -> None:
    # Given Marco, logged in, with no landline
    marco = own_stack.customer(MARCO)
    token = own_client.login(marco["login_id"], marco["password"])["access_token"]
    before = own_client.call("GET", "/account", token=token).json()
    assert before["account_number"] == "100200400" and before["contact_landline"] is None

    # When the CRM's CustomerUpdated sample is posted to the local inbound route
    reply = own_client.call("POST", "/_local/crm-inbound", sample("CustomerUpdated"))

    # Then the bus took it, and the projection writes the new landline and trade name into his account
    assert reply.status == 202, reply.text
    assert reply.json()["bus"] == CRM_INBOUND_BUS_NAME and len(reply.json()["event_ids"]) == 1

    def updated() -> dict[str, Any] | None:
        account = own_client.call("GET", "/account", token=token).json()
        return account if account.get("contact_landline") == "+37798981234" else None

    account = eventually(updated)
    assert account, "the CustomerUpdated event never reached the read model"
    assert account["trade_name"] == "Riviera Yachting & Charter"


def test_what_is_not_a_crm_event_is_refused_in_the_error_shape(own_client: Client) -> None:
    for raw in ("{not json", "[]", '{"detail-type": "CustomerUpdated"}', json.dumps([sample("CustomerUpdated")] * 11)):
        reply = own_client.call("POST", "/_local/crm-inbound", raw=raw)
        assert reply.status == 400, raw
        assert reply.error_code == "bad_request"
    for raw in ('{"now": "tomorrow"}', '{"now": 5}', "[1]"):
        reply = own_client.call("POST", "/_local/schedules/fire", raw=raw)
        assert reply.status == 400 and reply.error_code == "bad_request", raw


def test_a_termination_then_the_schedules_fired_five_years_later_anonymise_the_customer(
    own_stack: LocalStack, own_client: Client
) -> None:
    marco = own_stack.customer(MARCO)
    token = own_client.login(marco["login_id"], marco["password"])["access_token"]
    assert own_client.call("GET", "/account", token=token).status == 200
    # Given the CRM's CustomerTerminated sample for Marco (terminated 2026-11-25), posted from outside
    assert own_client.call("POST", "/_local/crm-inbound", sample("CustomerTerminated")).status == 202
    # (seen through the embedded AWS, as the README says to reach it: the projection scheduled his anonymisation)
    scheduler = embedded_aws_client(own_stack, "scheduler")

    def scheduled() -> list[dict[str, Any]]:
        return list(scheduler.list_schedules(GroupName=ANONYMISATION_SCHEDULE_GROUP)["Schedules"])

    assert eventually(scheduled), "the CustomerTerminated event never reached the projection"
    expressions = {
        scheduler.get_schedule(GroupName=ANONYMISATION_SCHEDULE_GROUP, Name=s["Name"])["ScheduleExpression"]
        for s in scheduled()
    }
    # two steps: hide one calendar month after the termination, anonymise five years after it
    assert expressions == {"at(2026-12-25T00:00:00)", "at(2031-11-25T00:00:00)"}

    # When the schedules due the day before the fifth anniversary fire: only the hide step is due
    early = own_client.call("POST", "/_local/schedules/fire", {"now": "2031-11-24T00:00:00Z"})
    assert early.status == 200 and early.json() == {
        "now": "2031-11-24T00:00:00+00:00",
        "fired": [{"outcome": "applied"}],
    }

    # When those due the day after fire
    due = own_client.call("POST", "/_local/schedules/fire", {"now": "2031-11-26T00:00:00Z"})

    # Then Marco's anonymisation ran (once: the schedule is gone), and his credentials with it
    assert due.status == 200, due.text
    assert due.json()["fired"] == [{"outcome": "applied"}]
    assert own_client.call("POST", "/_local/schedules/fire", {"now": "2031-11-26T00:00:00Z"}).json()["fired"] == []
    refused = own_client.call("POST", "/auth/login", {"identifier": marco["login_id"], "password": marco["password"]})
    assert refused.status == 401
    # Jeanne is untouched
    jeanne = own_stack.customer(0)
    assert own_client.login(jeanne["login_id"], jeanne["password"])["access_token"]


def test_ctrl_c_stops_the_whole_stack_within_the_budget(own_stack: LocalStack, own_client: Client) -> None:
    # Given a stack in the middle of a suspension whose provisioning call hangs (a timeout fault of 30 s)
    simulator = next(line.split()[2] for line in own_stack.output if line.startswith("Provisioning simulator"))
    fault = {"operation": "bar_sim", "mode": "timeout", "times": 5, "delay_seconds": 30}
    assert Client(simulator).call("POST", "/_control/faults", fault).status == 200
    jeanne = own_stack.customer(0)
    token = own_client.login(jeanne["login_id"], jeanne["password"])["access_token"]
    assert own_client.call("POST", "/mobile/lines/M-377612345678/suspension", token=token).status == 202
    eventually(lambda: Client(simulator).call("GET", "/_control/attempts").json()["attempts"], timeout=10)
    # When Ctrl-C (SIGINT) reaches it, Then it exits cleanly within the budget
    took = stop_local_stack(own_stack, timeout=STOP_BUDGET_SECONDS + 10)
    assert took < STOP_BUDGET_SECONDS, f"the local stack took {took:.1f}s to stop"
