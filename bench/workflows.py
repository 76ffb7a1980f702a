"""Suspension and reactivation: state transitions per workflow, DynamoDB calls per request and per workflow.

`transition_rows()`: (workflow, transitions counted on the ASL's success path, StateEntered events of a real
execution on moto, target). Standard workflows are billed per state transition. Target: 4 per workflow,
one state per effect that must be retried or undone on its own (conditional begin, network change,
completion with its audit entry, notification); incidents, compensation and the refusal add states on the
failure paths only.
`rows()`: (route, authorizer calls, handler calls, target), like bench/__main__.py's dynamodb_calls(),
counted with botocore before-call hooks (on the request's own thread: the workflow runs in moto's).
`task_rows()`: (workflow, DynamoDB calls of its tasks, target) over a whole successful execution.
All on in-process moto executing the state machines, the tasks in-process, provisioning on the simulator.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.counting import count_calls

LINE = "M-377612345678"
NEW_ICCID = "8937701000000000007"
TRANSITIONS_TARGET = "4"


@dataclass
class _Run:
    transitions: list[tuple[str, int, int, str]]
    requests: list[tuple[str, int, int, str]]
    tasks: list[tuple[str, int, str]]


def _env() -> None:
    for name, value in (
        ("AWS_DEFAULT_REGION", "eu-west-3"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("ARGON2_TIME_COST", "1"),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_PARALLELISM", "1"),
        ("POWERTOOLS_LOG_LEVEL", "WARNING"),
        ("POWERTOOLS_METRICS_DISABLED", "true"),
    ):
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)


@contextmanager
def _stack() -> Iterator[tuple[Any, Any, Any, Any]]:
    import boto3
    from moto import mock_aws
    from selfcare import aws

    from infra import definitions as d
    from infra.local import emulation
    from infra.local.gateway import Gateway
    from infra.local.provisioning_simulator import ProvisioningSimulator
    from infra.local.resources import create_resources, local_function_name
    from infra.local.seed import seed_demo

    _env()
    simulator = ProvisioningSimulator().start()
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            session = boto3.Session(region_name="eu-west-3")
            resources = create_resources(
                session, provisioning_endpoint=simulator.url, provisioning_api_key=simulator.api_key
            )
            os.environ.update(resources.merged_environment())
            os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the tasks' log lines would drown the tables
            aws.reset()
            world = seed_demo()
            gateway = Gateway()
            tasks = d.function_named(d.WORKFLOW_TASKS_FUNCTION)
            emulation.install_lambda_task_runner({local_function_name(tasks): gateway.handlers[tasks.name]})
            try:
                yield session, resources, world, gateway
            finally:
                emulation.uninstall_lambda_task_runner()
                aws.reset()
    finally:
        simulator.stop()


def run() -> _Run:
    from selfcare.auth.policy import StaffRole

    from infra import definitions as d
    from infra.workflows.suspension import definitions_for, success_path_transitions

    result = _Run([], [], [])
    with _stack() as (session, resources, world, gateway):
        counts = count_calls(gateway)

        def call(label: str, method: str, path: str, token: str, payload: Any = None, **kw: Any) -> Any:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"} | kw.get("headers", {})
            counts["authorizer"] = counts["handler"] = 0
            response = gateway.handle(method, path, headers, json.dumps(payload) if payload is not None else None)
            if response.status != kw.get("expect", 202):
                raise SystemExit(f"{label}: {response.status} {response.body}")
            result.requests.append((label, counts["authorizer"], counts["handler"], kw.get("target", "")))
            return json.loads(response.body)

        def wait(token: str, handle: str) -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                view = json.loads(
                    gateway.handle(
                        "GET", f"/mobile/lines/{LINE}/workflows/{handle}", {"Authorization": f"Bearer {token}"}
                    ).body
                )
                if view["state"] != "pending":
                    if view["state"] != "succeeded":
                        raise SystemExit(f"{handle}: {view}")
                    return
                time.sleep(0.05)
            raise SystemExit(f"{handle} did not finish")

        def history(kind: str, handle: str) -> int:
            machine = next(m for m in d.STATE_MACHINES if m.kind == kind)
            arn = resources.state_machine_arns[machine.name].replace(":stateMachine:", ":execution:") + f":{handle}"
            events = session.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)
            return sum(1 for e in events["events"] if "stateEnteredEventDetails" in e)

        jeanne = world.customers[0]
        login = gateway.handle(
            "POST",
            "/auth/login",
            {"Content-Type": "application/json"},
            json.dumps({"identifier": jeanne.login_id, "password": jeanne.password}),
        )
        token = json.loads(login.body)["access_token"]
        asl = definitions_for()
        handles = {}
        counts["tasks"] = 0
        suspension = call(
            "POST /mobile/lines/{line_id}/suspension",
            "POST",
            f"/mobile/lines/{LINE}/suspension",
            token,
            target="1 (read) + StartExecution",
        )
        handles["suspension"] = suspension["handle"]
        wait(token, suspension["handle"])
        result.tasks.append(
            ("suspension", counts["tasks"], "5: begin 1, provision 1 (line), complete 1, notify 2 (profile, line)")
        )
        call(
            "GET /mobile/lines/{line_id}/workflows/{handle}",
            "GET",
            f"/mobile/lines/{LINE}/workflows/{suspension['handle']}",
            token,
            expect=200,
            target="1 (read) + DescribeExecution",
        )
        fresh = json.loads(
            gateway.handle(
                "POST",
                "/auth/reauthenticate",
                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                json.dumps({"password": jeanne.password}),
            ).body
        )["access_token"]
        counts["tasks"] = 0
        reactivation = call(
            "POST /mobile/lines/{line_id}/reactivation (new SIM)",
            "POST",
            f"/mobile/lines/{LINE}/reactivation",
            fresh,
            {"new_iccid": NEW_ICCID},
            target="1 (line and SIM claim: BatchGetItem) + StartExecution",
        )
        handles["reactivation"] = reactivation["handle"]
        wait(token, reactivation["handle"])
        result.tasks.append(
            ("reactivation", counts["tasks"], "6: begin 1, provision 1, complete 2 (old SIM, transaction), notify 2")
        )
        staff = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
        staff_token = json.loads(
            gateway.handle(
                "POST",
                "/staff/auth/login",
                {"Content-Type": "application/json"},
                json.dumps({"email": staff.email, "password": staff.password}),
            ).body
        )["access_token"]
        grant = json.loads(
            gateway.handle(
                "POST",
                "/staff/assisted-access",
                {"Content-Type": "application/json", "Authorization": f"Bearer {staff_token}"},
                json.dumps({"customer_id": "C0001", "reason": "Benchmark of the line workflows"}),
            ).body
        )
        call(
            "GET /mobile/lines/{line_id}/workflows/{handle} (staff, audited)",
            "GET",
            f"/mobile/lines/{LINE}/workflows/{suspension['handle']}",
            staff_token,
            expect=200,
            headers={d.ASSISTED_ACCESS_HEADER: grant["grant_id"]},
            target="2: read + access log",
        )
        for machine in d.STATE_MACHINES:
            result.transitions.append(
                (
                    machine.kind,
                    success_path_transitions(asl[machine.name]),
                    history(machine.kind, handles[machine.kind]),
                    TRANSITIONS_TARGET,
                )
            )
    return result


def transition_rows() -> list[tuple[str, int, int, str]]:
    return run().transitions


def rows() -> list[tuple[str, int, int, str]]:
    return run().requests


def task_rows() -> list[tuple[str, int, str]]:
    return run().tasks


if __name__ == "__main__":
    outcome = run()
    print("| workflow | transitions (ASL success path) | transitions (moto history) | target |")
    for row in outcome.transitions:
        print("| {} | {} | {} | {} |".format(*row))
    print("\n| route | authorizer | handler | target (handler) |")
    for row in outcome.requests:
        print("| {} | {} | {} | {} |".format(*row))
    print("\n| workflow | DynamoDB calls of its tasks | note |")
    for row in outcome.tasks:
        print("| {} | {} | {} |".format(*row))
