"""Suspension and reactivation, end to end in-process: the API through the emulated gateway, the state
machines executing on moto, their Lambda tasks running the in-process handler, provisioning on the
simulator (faults set per test). The fault matrix: each task failing transiently (recovers, attempts
bounded) and permanently or past its retries (compensated, incident raised); the line never stays pending.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from selfcare.dal import dynamo
from selfcare.dal.lines import TransientStoreError

from infra import definitions as d
from infra.local import emulation
from infra.local.gateway import Gateway, HttpResponse
from infra.local.provisioning_simulator import ProvisioningSimulator
from infra.local.resources import LocalResources, create_resources, local_function_name
from tests.conftest import FAST_HASHING
from tests.factories import DemoWorld, seed_world
from tests.integration.conftest import Api, body

REGION = "eu-west-3"
LINE = "M-377612345678"  # Jeanne's own mobile line (C0001)
OTHER_CUSTOMERS_LINE = "M-377623456780"  # Marco's (C0002)
NEW_ICCID = "8937701000000000002"  # 19 digits, Luhn ok
MAX_ATTEMPTS = d.LOCAL_WORKFLOW_RETRY.max_attempts + 1  # first try + retries


def luhn_completed(prefix: str) -> str:
    for digit in "0123456789":
        from selfcare.types import luhn_valid

        if luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError


@dataclass
class Stack:
    api: Api
    resources: LocalResources
    world: DemoWorld
    simulator: ProvisioningSimulator
    session: boto3.Session
    queue_url: str
    faults: dict[str, list[str]]  # task action -> errors to raise, in order (consumed)

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

    def wait(self, token: str, handle: str, line_id: str = LINE, timeout: float = 40) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.api.call("GET", f"/mobile/lines/{line_id}/workflows/{handle}", token=token)
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


def _faulty(handler: Callable[[Any, Any], Any], faults: dict[str, list[str]]) -> Callable[[Any, Any], Any]:
    """The line_tasks handler, failing first as the test says (a task's own failure, as Lambda reports it)."""

    class PermanentTaskFailure(Exception):
        pass

    def run(event: Any, context: Any) -> Any:
        pending = faults.get(event.get("action"), [])
        if pending:
            error = pending.pop(0)
            raise TransientStoreError("injected") if error == "transient" else PermanentTaskFailure("injected")
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
        monkeypatch.setenv("PROVISIONING_READ_TIMEOUT_SECONDS", "0.5")
        dynamo.reset_client()
        world = seed_world(resources)
        gateway = Gateway()
        faults: dict[str, list[str]] = {}
        tasks = d.function_named(d.WORKFLOW_TASKS_FUNCTION)
        emulation.install_lambda_task_runner(
            {local_function_name(tasks): _faulty(gateway.handlers[tasks.name].lambda_handler, faults)}
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
            yield Stack(Api(gateway), resources, world, simulator, session, queue_url, faults)
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
