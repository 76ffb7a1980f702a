"""Suspension and reactivation, end to end in-process: the API through the emulated gateway, the state
machines executing on moto, their Lambda tasks running the in-process handler, provisioning on the
simulator (faults set per test). The fault matrix: each task failing transiently (recovers, attempts
bounded) and permanently or past its retries (compensated, incident raised); the line never stays pending.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from selfcare.dal import dynamo
from selfcare.dal.lines import TransientStoreError
from selfcare.workflows.models import PENDING_STATUSES

from infra import definitions as d
from infra.local import emulation
from infra.local.gateway import Gateway, HttpResponse
from infra.local.provisioning_simulator import ProvisioningSimulator
from infra.local.resources import LocalResources, create_resources, local_function_name
from tests.conftest import FAST_HASHING
from tests.factories import DemoWorld, grant_conditions, seed_world
from tests.integration.conftest import Api, body

REGION = "eu-west-3"
LINE = "M-377612345678"  # Jeanne's own mobile line (C0001)
OTHER_CUSTOMERS_LINE = "M-377623456780"  # Marco's (C0002)
NEW_ICCID = "8937701000000000007"  # 19 digits, Luhn check digit 7
MAX_ATTEMPTS = d.LOCAL_WORKFLOW_RETRY.max_attempts + 1  # first try + retries


@dataclass
class Stack:
    api: Api
    resources: LocalResources
    world: DemoWorld
    simulator: ProvisioningSimulator
    session: boto3.Session
    queue_url: str
    faults: dict[str, list[str]]  # task action -> errors to raise, in order (consumed)
    # Held while a task runs and while `wait` polls: moto's in-process DynamoDB is not thread-safe (a read that
    # iterates an item while a task updates it raises "dictionary changed size during iteration").
    lock: threading.Lock

    def token(self, index: int = 0) -> str:
        customer = self.world.customers[index]
        return str(self.api.login(customer.login_id, customer.password)["access_token"])

    def line(self, customer_id: str = "C0001", line_id: str = LINE) -> dict[str, Any]:
        raw = self.session.client("dynamodb").get_item(
            TableName=self.resources.table_names[d.CUSTOMERS.logical_id],
            Key={"pk": {"S": f"CUSTOMER#{customer_id}"}, "sk": {"S": f"LINE#{line_id}"}},
            ConsistentRead=True,
        )
        return dynamo.from_raw(raw["Item"])

    def wait(
        self, token: str, handle: str, line_id: str = LINE, timeout: float = 40, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                response = self.api.call(
                    "GET", f"/mobile/lines/{line_id}/workflows/{handle}", token=token, headers=headers
                )
            assert response.status == 200, response.body
            view = body(response)
            if view["state"] != "pending":
                return dict(view)
            time.sleep(0.1)
        raise AssertionError(f"workflow {handle} still pending after {timeout}s")

    def incidents(self) -> list[dict[str, Any]]:
        sqs = self.session.client("sqs")
        found = []
        for _ in range(3):
            messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            found.extend(json.loads(m["Body"]) for m in messages)
            if not messages:
                break
        return found

    def history_states(self, handle: str) -> list[str]:
        sfn = self.session.client("stepfunctions")
        kind = handle.split("-")[0]
        machine = next(m for m in d.STATE_MACHINES if m.kind == kind)
        arn = self.resources.state_machine_arns[machine.name].replace(":stateMachine:", ":execution:") + f":{handle}"
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def _faulty(
    handler: Callable[[Any, Any], Any], faults: dict[str, list[str]], lock: threading.Lock
) -> Callable[[Any, Any], Any]:
    """The line_tasks handler, failing first as the test says (a task's own failure, as Lambda reports it)."""

    class PermanentTaskFailure(Exception):
        pass

    def run(event: Any, context: Any) -> Any:
        pending = faults.get(event.get("action"), [])
        if pending:
            error = pending.pop(0)
            raise TransientStoreError("injected") if error == "transient" else PermanentTaskFailure("injected")
        with lock:
            return handler(event, context)

    return run


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    simulator = ProvisioningSimulator().start()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        session = boto3.Session(region_name=REGION)
        resources = create_resources(
            session, provisioning_endpoint=simulator.url, provisioning_api_key=simulator.api_key
        )
        for name, value in (resources.merged_environment() | FAST_HASHING).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PROVISIONING_CONNECT_TIMEOUT_SECONDS", "1")
        monkeypatch.setenv("PROVISIONING_READ_TIMEOUT_SECONDS", "1")
        dynamo.reset_client()
        world = seed_world(resources)
        gateway = Gateway()
        faults: dict[str, list[str]] = {}
        lock = threading.Lock()
        tasks = d.function_named(d.WORKFLOW_TASKS_FUNCTION)
        emulation.install_lambda_task_runner(
            {local_function_name(tasks): _faulty(gateway.handlers[tasks.name].lambda_handler, faults, lock)}
        )
        # Incidents: an SQS target on the bus (moto delivers put_events to SQS).
        sqs, events = session.client("sqs"), session.client("events")
        queue_url = sqs.create_queue(QueueName="incidents")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="all-incidents",
            EventBusName=d.INCIDENT_BUS_NAME,
            EventPattern=json.dumps({"source": [d.INCIDENT_SOURCE]}),
        )
        events.put_targets(
            Rule="all-incidents", EventBusName=d.INCIDENT_BUS_NAME, Targets=[{"Id": "queue", "Arn": queue_arn}]
        )
        try:
            yield Stack(Api(gateway), resources, world, simulator, session, queue_url, faults, lock)
        finally:
            emulation.uninstall_lambda_task_runner()
            dynamo.reset_client()
            simulator.stop()


def suspend(stack: Stack, token: str, line_id: str = LINE, **kwargs: Any) -> HttpResponse:
    return stack.api.call("POST", f"/mobile/lines/{line_id}/suspension", token=token, **kwargs)


def reactivate(stack: Stack, token: str, payload: Any = None, line_id: str = LINE, **kwargs: Any) -> HttpResponse:
    return stack.api.call("POST", f"/mobile/lines/{line_id}/reactivation", payload, token=token, **kwargs)


def suspended(stack: Stack, token: str) -> None:
    handle = body(suspend(stack, token))["handle"]
    assert stack.wait(token, handle)["state"] == "succeeded"


# --- Suspension, success ------------------------------------------------------------------------
def test_suspension_bars_the_sim_marks_the_line_audits_and_notifies_elsewhere(stack: Stack) -> None:
    # Given Jeanne, logged in, and her active mobile line
    token = stack.token()

    # When she reports her phone lost
    response = suspend(stack, token)

    # Then the answer comes at once with a handle, and the workflow ends with the line suspended
    assert response.status == 202, response.body
    accepted = body(response)
    assert accepted["state"] == "pending" and accepted["kind"] == "suspension"
    view = stack.wait(token, accepted["handle"])
    assert view == accepted | {"state": "succeeded", "line_status": "suspended"}
    line = stack.line()
    assert line["status"] == "suspended" and line["status_version"] == 2 and line["workflow"] == accepted["handle"]
    # The SIM is barred, once
    assert stack.simulator.sim(LINE)["barred"] is True
    assert [a.operation for a in stack.simulator.applied(LINE)] == ["bar_sim"]
    # Audited, with the customer as actor
    trail = stack.session.client("dynamodb").query(
        TableName=stack.resources.table_names[d.AUDIT_LOG.logical_id],
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": "customer#C0001"}},
    )["Items"]
    actions = sorted(item["action"]["S"] for item in trail if item["action"]["S"].startswith("line."))
    assert actions == ["line.suspension.completed", "line.suspension.requested"]
    # Notified on the contact email, never on the suspended number
    from infra.local.emulation import outbox

    sent = [m for m in outbox() if m["subject"] == "Your mobile line is suspended"]
    assert len(sent) == 1 and sent[0]["to"] == ["jeanne.dupont@example.mc"]
    assert "+377612345678" not in sent[0]["body"]
    # Four state transitions on the success path, no incident
    assert stack.history_states(accepted["handle"]) == ["Begin", "Provision", "Complete", "Notify"]
    assert stack.incidents() == []


# --- Fault matrix ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    provisioning: tuple[str, int] | None = None  # (mode, times) on the provisioning call
    task: tuple[str, list[str]] | None = None  # (action, errors) injected in the line_tasks function
    state: str = "succeeded"
    line_status: str = "suspended"
    incident: str | None = None
    provisioning_attempts: int | None = None
    network: str | None = None  # what the compensated incident says compensation found on the network


SUSPENSION_CASES = [
    Case("provisioning transient once: retried, succeeds", ("transient", 1), provisioning_attempts=2),
    Case("provisioning timeout once: retried, succeeds", ("timeout", 1), provisioning_attempts=2),
    Case(
        "provisioning applied then timed out once: the retry is a replay, succeeds",
        ("applied_timeout", 1),
        provisioning_attempts=2,
    ),
    Case(
        "provisioning timeout past the retries: compensated, nothing to undo on the network",
        ("timeout", MAX_ATTEMPTS),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
        provisioning_attempts=MAX_ATTEMPTS,
        network="not_applied",
    ),
    Case(
        "provisioning applied then timed out past the retries: compensated, the bar the network applied lifted",
        ("applied_timeout", MAX_ATTEMPTS),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
        provisioning_attempts=MAX_ATTEMPTS,
        network="undone",
    ),
    Case(
        "provisioning transient past the retries: compensated",
        ("transient", MAX_ATTEMPTS),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
        provisioning_attempts=MAX_ATTEMPTS,
    ),
    Case(
        "provisioning permanent: compensated without retry",
        ("permanent", 0),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
        provisioning_attempts=1,
    ),
    Case("begin transient once: retried, succeeds", task=("begin", ["transient"])),
    Case(
        "begin permanent: compensated (nothing to undo)",
        task=("begin", ["permanent"]),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
        provisioning_attempts=0,
    ),
    Case("complete transient once: retried, succeeds", task=("complete", ["transient"])),
    Case(
        "complete transient past the retries: compensated, SIM unbarred",
        task=("complete", ["transient"] * MAX_ATTEMPTS),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
    ),
    Case(
        "complete permanent: compensated, SIM unbarred",
        task=("complete", ["permanent"]),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
    ),
    Case("notify transient once: retried, succeeds", task=("notify", ["transient"])),
    Case(
        "notify permanent: the line stays suspended, incident raised",
        task=("notify", ["permanent"] * MAX_ATTEMPTS),
        incident=d.INCIDENT_NOTIFICATION_FAILED,
    ),
    Case(
        "compensation transient once: retried, compensated",
        ("permanent", 0),
        task=("compensate", ["transient"]),
        state="failed_compensated",
        line_status="active",
        incident=d.INCIDENT_COMPENSATED,
    ),
]


@pytest.mark.parametrize("case", SUSPENSION_CASES, ids=lambda c: c.name)
def test_suspension_fault_matrix(stack: Stack, case: Case) -> None:
    # Given a fault on one task
    token = stack.token()
    if case.provisioning:
        mode, times = case.provisioning
        stack.simulator.set_fault("bar_sim", mode, times=times, delay_seconds=2.0)
    if case.task:
        action, errors = case.task
        stack.faults[action] = list(errors)

    # When the line is suspended
    handle = body(suspend(stack, token))["handle"]
    view = stack.wait(token, handle)

    # Then the workflow ends as expected, the line in a consistent (never pending) status
    assert (view["state"], view["line_status"]) == (case.state, case.line_status)
    line = stack.line()
    assert line["status"] == case.line_status and line["status"] not in PENDING_STATUSES
    # the network agrees with the line, attempts are bounded
    assert stack.simulator.sim(LINE)["barred"] is (case.line_status == "suspended")
    if case.provisioning_attempts is not None:
        assert len(stack.simulator.attempts(LINE, "bar_sim")) == case.provisioning_attempts
    assert all(not errors for errors in stack.faults.values()), "every injected fault was met"
    # an incident when (and only when) something was compensated or left undone
    incidents = stack.incidents()
    assert [i["detail-type"] for i in incidents] == ([case.incident] if case.incident else [])
    for incident in incidents:
        assert incident["source"] == d.INCIDENT_SOURCE
        assert incident["detail"]["handle"] == handle and incident["detail"]["kind"] == "suspension"
        assert "+377" not in json.dumps(incident), "no phone number in an incident"
        if case.network is not None:
            assert incident["detail"]["network"] == case.network
            assert incident["detail"]["provision_answered"] is False


def test_compensation_failing_for_good_raises_its_own_incident(stack: Stack) -> None:
    # Given a provisioning refusal, and a compensation that fails at every attempt
    token = stack.token()
    stack.simulator.set_fault("bar_sim", "permanent", times=0)
    stack.faults["compensate"] = ["permanent"] * (d.LOCAL_WORKFLOW_RETRY.max_attempts + 1)

    handle = body(suspend(stack, token))["handle"]
    view = stack.wait(token, handle)

    # Then the workflow says failed (not compensated) and the operators get a compensation-failure incident
    assert view["state"] == "failed"
    assert [i["detail-type"] for i in stack.incidents()] == [d.INCIDENT_COMPENSATION_FAILED]


# --- Reactivation -----------------------------------------------------------------------------------
def test_reactivation_on_a_new_sim_after_reauthentication(stack: Stack) -> None:
    # Given Jeanne's suspended line
    jeanne = stack.world.customers[0]
    token = stack.token()
    suspended(stack, token)

    old_iccid = stack.line().get("iccid")
    assert old_iccid != NEW_ICCID

    # When she reauthenticates and reactivates it on a new SIM
    fresh = body(stack.api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token))
    response = reactivate(stack, fresh["access_token"], {"new_iccid": NEW_ICCID})

    # Then it is active again on the new SIM, the SIM is claimed by the line, the network swapped it
    assert response.status == 202, response.body
    handle = body(response)["handle"]
    assert handle.startswith("reactivation-")
    assert stack.wait(token, handle) == {
        "handle": handle,
        "kind": "reactivation",
        "state": "succeeded",
        "line_status": "active",
    }
    line = stack.line()
    assert line["iccid"] == NEW_ICCID and line["status_version"] == 4
    claim = stack.session.client("dynamodb").get_item(
        TableName=stack.resources.table_names[d.CUSTOMERS.logical_id],
        Key={"pk": {"S": f"ICCID#{NEW_ICCID}"}, "sk": {"S": f"ICCID#{NEW_ICCID}"}},
    )["Item"]
    assert claim["line_id"]["S"] == LINE
    if old_iccid:  # the old SIM is free again
        old_claim = stack.session.client("dynamodb").get_item(
            TableName=stack.resources.table_names[d.CUSTOMERS.logical_id],
            Key={"pk": {"S": f"ICCID#{old_iccid}"}, "sk": {"S": f"ICCID#{old_iccid}"}},
        )
        assert "Item" not in old_claim
    assert stack.simulator.sim(LINE) == {"barred": False, "iccid": NEW_ICCID}
    assert stack.history_states(handle) == ["Begin", "Provision", "Complete", "Notify"]


def test_reactivation_without_new_sim_lifts_the_bar(stack: Stack) -> None:
    jeanne = stack.world.customers[0]
    token = stack.token()
    suspended(stack, token)
    fresh = body(stack.api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token))
    handle = body(reactivate(stack, fresh["access_token"]))["handle"]
    assert stack.wait(token, handle)["line_status"] == "active"
    assert stack.simulator.sim(LINE)["barred"] is False
    assert [a.operation for a in stack.simulator.applied(LINE)] == ["bar_sim", "unbar_sim"]


@pytest.mark.parametrize("mode", ["transient", "permanent"])
def test_reactivation_failing_is_compensated_back_to_suspended(stack: Stack, mode: str) -> None:
    # Given a suspended line and a swap the network refuses (or keeps failing)
    jeanne = stack.world.customers[0]
    token = stack.token()
    old_iccid = stack.line().get("iccid")
    suspended(stack, token)
    stack.simulator.set_fault("swap_sim", mode, times=MAX_ATTEMPTS if mode == "transient" else 0)
    fresh = body(stack.api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token))

    handle = body(reactivate(stack, fresh["access_token"], {"new_iccid": NEW_ICCID}))["handle"]
    view = stack.wait(token, handle)

    # Then it is suspended again, still barred, its new SIM's claim released, an incident raised
    assert (view["state"], view["line_status"]) == ("failed_compensated", "suspended")
    line = stack.line()
    assert line["status"] == "suspended" and line.get("iccid") == old_iccid
    assert stack.simulator.sim(LINE)["barred"] is True
    claim = stack.session.client("dynamodb").get_item(
        TableName=stack.resources.table_names[d.CUSTOMERS.logical_id],
        Key={"pk": {"S": f"ICCID#{NEW_ICCID}"}, "sk": {"S": f"ICCID#{NEW_ICCID}"}},
    )
    assert "Item" not in claim
    incidents = stack.incidents()
    assert [(i["detail-type"], i["detail"]["kind"]) for i in incidents] == [(d.INCIDENT_COMPENSATED, "reactivation")]


# --- Uncertain outcomes: the network applied the change, the answer was lost -------------------------------
# The simulator's `applied_timeout` applies the operation, then answers after `delay_seconds`, beyond the
# adapter's read timeout (1 s in these tests, from PROVISIONING_READ_TIMEOUT_SECONDS; 8 s deployed).
UNCERTAIN_DELAY_SECONDS = 1.5


def test_a_suspension_whose_bar_applied_but_timed_out_is_undone_and_the_incident_says_so(stack: Stack) -> None:
    # Given a network that bars the SIM but never answers in time, at every attempt
    token = stack.token()
    stack.simulator.set_fault("bar_sim", "applied_timeout", times=MAX_ATTEMPTS, delay_seconds=UNCERTAIN_DELAY_SECONDS)

    # When Jeanne reports her phone lost
    handle = body(suspend(stack, token))["handle"]
    view = stack.wait(token, handle)

    # Then the workflow is compensated: the line active again AND its SIM unbarred (the network agrees)
    assert (view["state"], view["line_status"]) == ("failed_compensated", "active")
    assert stack.line()["status"] == "active"
    assert stack.simulator.sim(LINE)["barred"] is False
    assert [a.operation for a in stack.simulator.applied(LINE)] == ["bar_sim", "unbar_sim"]
    assert [a.outcome for a in stack.simulator.attempts(LINE, "bar_sim")] == ["applied_timeout"] * MAX_ATTEMPTS
    # And the incident says the provision step never answered, and that the bar it applied was lifted
    incidents = stack.incidents()
    assert [i["detail-type"] for i in incidents] == [d.INCIDENT_COMPENSATED]
    detail = incidents[0]["detail"]
    assert detail == {
        "kind": "suspension",
        "handle": handle,
        "customer_id": "C0001",
        "error": "ProvisioningTimeout",
        "network": "undone",
        "provision_answered": False,
    }


@pytest.mark.parametrize("new_sim", [True, False], ids=["swap", "unbar"])
def test_a_reactivation_applied_but_timed_out_is_undone_back_to_the_barred_old_sim(stack: Stack, new_sim: bool) -> None:
    # Given Jeanne's suspended line, and a network that applies the reactivation but never answers in time
    jeanne = stack.world.customers[0]
    token = stack.token()
    old_iccid = stack.line()["iccid"]
    suspended(stack, token)
    operation = "swap_sim" if new_sim else "unbar_sim"
    stack.simulator.set_fault(operation, "applied_timeout", times=MAX_ATTEMPTS, delay_seconds=UNCERTAIN_DELAY_SECONDS)
    fresh = body(stack.api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token))

    # When she reactivates it (on a new SIM, or the same one)
    payload = {"new_iccid": NEW_ICCID} if new_sim else None
    handle = body(reactivate(stack, fresh["access_token"], payload))["handle"]
    view = stack.wait(token, handle)

    # Then it is suspended again, and the network is back to the old SIM, barred: the lost phone stays useless
    assert (view["state"], view["line_status"]) == ("failed_compensated", "suspended")
    line = stack.line()
    assert line["status"] == "suspended" and line["iccid"] == old_iccid
    assert stack.simulator.sim(LINE)["barred"] is True
    if new_sim:
        assert stack.simulator.sim(LINE)["iccid"] == old_iccid
        applied = ["bar_sim", "swap_sim", "swap_sim", "bar_sim"]  # suspension, the lost swap, swapped back, barred
    else:
        applied = ["bar_sim", "unbar_sim", "bar_sim"]
    assert [a.operation for a in stack.simulator.applied(LINE)] == applied
    # And the incident says the change had reached the network and was undone
    incidents = stack.incidents()
    assert [(i["detail-type"], i["detail"]["kind"]) for i in incidents] == [(d.INCIDENT_COMPENSATED, "reactivation")]
    assert incidents[0]["detail"]["network"] == "undone"
    assert incidents[0]["detail"]["provision_answered"] is False


def test_a_refused_reactivation_leaves_the_network_alone_and_says_so(stack: Stack) -> None:
    # Given a suspended line and a swap the network refuses
    jeanne = stack.world.customers[0]
    token = stack.token()
    suspended(stack, token)
    stack.simulator.set_fault("swap_sim", "permanent", times=0)
    fresh = body(stack.api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token))

    handle = body(reactivate(stack, fresh["access_token"], {"new_iccid": NEW_ICCID}))["handle"]
    stack.wait(token, handle)

    # Then compensation read the network, found nothing to undo, and sent nothing
    assert [a.operation for a in stack.simulator.applied(LINE)] == ["bar_sim"]
    assert [i["detail"]["network"] for i in stack.incidents()] == ["not_applied"]


def test_reactivation_needs_a_recent_authentication(stack: Stack) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.fakes import FixedClock

    token = stack.token()
    suspended(stack, token)
    stack.api.gateway.handlers["suspension"].service.clock = FixedClock(datetime.now(UTC) + timedelta(minutes=6))
    response = reactivate(stack, token)
    assert response.status == 401
    assert body(response)["error"]["code"] == "reauthentication_required"
    assert stack.line()["status"] == "suspended"


def test_a_bad_iccid_answers_422_with_its_location(stack: Stack) -> None:
    token = stack.token()
    suspended(stack, token)
    wrong_check_digit = NEW_ICCID[:-1] + str((int(NEW_ICCID[-1]) + 1) % 10)
    for payload, location in (
        ({"new_iccid": wrong_check_digit}, ["body", "new_iccid"]),
        ({"new_iccid": "1234567890123456789"}, ["body", "new_iccid"]),
        ({"new_iccid": NEW_ICCID, "pin": "0000"}, ["body", "pin"]),
    ):
        response = reactivate(stack, token, payload)
        assert response.status == 422, response.body
        assert body(response)["error"]["details"][0]["loc"] == location
    assert stack.line()["status"] == "suspended"


def test_a_sim_held_by_another_line_is_refused(stack: Stack) -> None:
    jeanne = stack.world.customers[0]
    token = stack.token()
    suspended(stack, token)
    stack.session.client("dynamodb").put_item(
        TableName=stack.resources.table_names[d.CUSTOMERS.logical_id],
        Item={
            "pk": {"S": f"ICCID#{NEW_ICCID}"},
            "sk": {"S": f"ICCID#{NEW_ICCID}"},
            "customer_id": {"S": "C0002"},
            "line_id": {"S": OTHER_CUSTOMERS_LINE},
        },
    )
    fresh = body(stack.api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token))
    response = reactivate(stack, fresh["access_token"], {"new_iccid": NEW_ICCID})
    assert response.status == 409 and body(response)["error"]["code"] == "iccid_in_use"


# --- Idempotency, conflicts, 404 ----------------------------------------------------------------------
def test_the_same_suspension_request_starts_nothing_new(stack: Stack) -> None:
    token = stack.token()
    first = body(suspend(stack, token))
    again = suspend(stack, token)
    assert again.status == 202 and body(again)["handle"] == first["handle"]
    assert stack.wait(token, first["handle"])["state"] == "succeeded"
    assert len(stack.simulator.applied(LINE)) == 1
    executions = stack.session.client("stepfunctions").list_executions(
        stateMachineArn=stack.resources.state_machine_arns[d.SUSPENSION_STATE_MACHINE_NAME]
    )["executions"]
    assert len(executions) == 1
    # Once suspended, a new suspension is refused with a clear error
    done = suspend(stack, token)
    assert done.status == 409 and body(done)["error"]["code"] == "line_not_active"


def test_the_same_reactivation_request_starts_nothing_new(stack: Stack) -> None:
    jeanne = stack.world.customers[0]
    token = stack.token()
    suspended(stack, token)
    fresh = body(stack.api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=token))
    first = body(reactivate(stack, fresh["access_token"], {"new_iccid": NEW_ICCID}))
    again = reactivate(stack, fresh["access_token"], {"new_iccid": NEW_ICCID})
    assert again.status == 202 and body(again)["handle"] == first["handle"]
    assert stack.wait(token, first["handle"])["state"] == "succeeded"
    assert [a.operation for a in stack.simulator.applied(LINE)] == ["bar_sim", "swap_sim"]
    # An active line is not reactivated
    done = reactivate(stack, fresh["access_token"])
    assert done.status == 409 and body(done)["error"]["code"] == "line_not_active"


def test_another_customers_line_answers_404_as_an_unknown_one(stack: Stack) -> None:
    token = stack.token()
    others = suspend(stack, token, line_id=OTHER_CUSTOMERS_LINE)
    unknown = suspend(stack, token, line_id="M-000000000")
    not_mobile = suspend(stack, token, line_id="F-37797970000")
    for response in (others, unknown, not_mobile):
        assert response.status == 404
        assert body(response)["error"]["code"] == "not_found"
    assert body(others)["error"]["message"] == body(unknown)["error"]["message"]
    # and another customer's handle, on my line or theirs
    marco = stack.token(1)
    handle = body(suspend(stack, marco, line_id=OTHER_CUSTOMERS_LINE))["handle"]
    for line_id in (LINE, OTHER_CUSTOMERS_LINE):
        response = stack.api.call("GET", f"/mobile/lines/{line_id}/workflows/{handle}", token=token)
        assert response.status == 404
    stack.wait(marco, handle, line_id=OTHER_CUSTOMERS_LINE)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("sales", False),
        ("production", True),
        ("infrastructure", True),
        ("customer_service_staff", False),
        ("customer_service_advisor", True),
    ],
)
def test_staff_role_matrix_for_suspension(stack: Stack, role: str, allowed: bool) -> None:
    from selfcare.auth.policy import StaffRole

    staff = stack.world.staff[StaffRole(role)]
    staff_token = stack.api.staff_login(staff.email, staff.password)["access_token"]
    grant = body(
        stack.api.call(
            "POST",
            "/staff/assisted-access",
            {"customer_id": "C0001", "reason": "Customer reported a stolen phone"} | grant_conditions("C0001"),
            token=staff_token,
        )
    )
    headers = {d.ASSISTED_ACCESS_HEADER: grant["grant_id"]}
    response = suspend(stack, staff_token, headers=headers)
    if not allowed:
        assert response.status == 403 and body(response)["error"]["code"] == "forbidden"
        assert stack.line()["status"] == "active"
        return
    assert response.status == 202, response.body
    handle = body(response)["handle"]
    stack.wait(staff_token, handle, headers=headers)
    # Audited with the staff identity and the grant
    trail = stack.session.client("dynamodb").query(
        TableName=stack.resources.table_names[d.AUDIT_LOG.logical_id],
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": "customer#C0001"}},
    )["Items"]
    requested = [item for item in trail if item["action"]["S"] == "line.suspension.requested"]
    assert len(requested) == 1
    assert requested[0]["actor"]["S"] == f"staff#{staff.staff_id}"
    assert requested[0]["grant_id"]["S"] == grant["grant_id"]
