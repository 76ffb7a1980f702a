"""Integration (issue 8, section 4): staff grants bound to an OPEN incident of the operator's incident tracker.

The handlers run in-process on moto; the tracker is this process's simulator (infra/local/incident_tracker.py,
started by create_resources), reached over loopback HTTP through the production adapter. A closed or unknown
incident is refused at `incident_reference` (422); a tracker that cannot say answers 503
incident_tracker_unavailable (fail closed, never a 500); the log reads an incident grant opens stop once the
incident is closed.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from selfcare.auth.policy import StaffRole

from infra import definitions as d
from infra.local.gateway import Gateway
from infra.local.incident_tracker import DEMO_CLOSED_INCIDENT, DEMO_OPEN_INCIDENT, IncidentTrackerSimulator, shared
from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body

GRANT = d.ASSISTED_ACCESS_HEADER
LOGS = ("/staff/customers/C0001/connection-log", "/staff/customers/C0001/audit-trail")


@pytest.fixture
def tracker(aws: LocalResources) -> Iterator[IncidentTrackerSimulator]:
    """The simulator the resources point at, with the demo incidents; put back as it was afterwards."""
    simulator = shared()
    assert aws.incident_tracker_url == simulator.url
    simulator.reset()
    yield simulator
    simulator.reset()


def _token(api: Api, world: DemoWorld, role: StaffRole) -> str:
    member = world.staff[role]
    return str(api.staff_login(member.email, member.password)["access_token"])


def _grant(api: Api, token: str, incident: str | None) -> Any:
    extra = {"incident_reference": incident} if incident else {}
    return api.call(
        "POST", "/staff/assisted-access", {"customer_id": "C0001", "reason": "Login failures"} | extra, token=token
    )


def _problem(response: Any) -> tuple[list[str | int], str]:
    (detail,) = body(response)["error"]["details"]
    return detail["loc"], detail["type"]


def _grants_in_trail(aws: LocalResources) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names[d.AUDIT_LOG.logical_id])
    items = table.query(KeyConditionExpression="subject = :s", ExpressionAttributeValues={":s": "customer#C0001"})
    return [i for i in items["Items"] if str(i["action"]).startswith(("assisted_access.", "logs."))]


def _control(tracker: IncidentTrackerSimulator, reference: str, state: str) -> dict[str, Any]:
    """The simulator's documented control route (README: POST /_control/incidents)."""
    request = urllib.request.Request(  # noqa: S310 - the loopback simulator
        f"{tracker.url}/_control/incidents",
        data=json.dumps({"reference": reference, "state": state}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def test_a_production_grant_on_the_open_demo_incident_is_granted_and_records_it(
    tracker: IncidentTrackerSimulator, api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given the demo incident INC-000001, open in the tracker
    assert tracker.incidents()[DEMO_OPEN_INCIDENT] == "open"
    asked = tracker.state.questions
    # When a production-team member opens a grant naming it
    granted = _grant(api, _token(api, world, StaffRole.PRODUCTION), DEMO_OPEN_INCIDENT)
    # Then it is granted, the grant and its audit entry name the incident, and the tracker was asked once
    assert granted.status == 201, granted.body
    assert body(granted)["reference"] == f"incident:{DEMO_OPEN_INCIDENT}"
    (entry,) = _grants_in_trail(aws)
    assert entry["reference"] == f"incident:{DEMO_OPEN_INCIDENT}"
    assert tracker.state.questions == asked + 1


@pytest.mark.parametrize("role", [StaffRole.PRODUCTION, StaffRole.INFRASTRUCTURE])
@pytest.mark.parametrize("incident", [DEMO_CLOSED_INCIDENT, "INC-424242"])
def test_a_closed_or_unknown_incident_is_refused_at_its_field(
    tracker: IncidentTrackerSimulator,
    api: Api,
    world: DemoWorld,
    aws: LocalResources,
    role: StaffRole,
    incident: str,
) -> None:
    # Given an incident the tracker has closed (INC-000002) or does not know
    # When a grant names it (production, or infrastructure, whose incident grants open the logs)
    refused = _grant(api, _token(api, world, role), incident)
    # Then 422 at incident_reference, and no grant, no audit entry
    assert refused.status == 422, refused.body
    assert _problem(refused) == (["body", "incident_reference"], "incident_not_open")
    assert _grants_in_trail(aws) == []


@pytest.mark.parametrize("mode", ["down", "garbage"])
def test_a_tracker_that_cannot_say_refuses_the_grant_with_503(
    tracker: IncidentTrackerSimulator, api: Api, world: DemoWorld, aws: LocalResources, mode: str
) -> None:
    token = _token(api, world, StaffRole.PRODUCTION)
    # Given the tracker answers 503, or a page that is not the contract's JSON
    tracker.set_mode(mode)
    # When a grant names the open demo incident
    refused = _grant(api, token, DEMO_OPEN_INCIDENT)
    # Then 503 incident_tracker_unavailable (fail closed, not a 500), nothing granted
    assert refused.status == 503, refused.body
    assert body(refused)["error"]["code"] == "incident_tracker_unavailable"
    assert _grants_in_trail(aws) == []


def test_a_slow_tracker_times_out_into_the_503(
    tracker: IncidentTrackerSimulator, aws: LocalResources, monkeypatch: pytest.MonkeyPatch, world: DemoWorld
) -> None:
    # Given a tracker slower than the adapter's timeout (lowered to 0.3 s for the test)
    monkeypatch.setenv("INCIDENT_TRACKER_TIMEOUT_SECONDS", "0.3")
    api = Api(Gateway())
    token = _token(api, world, StaffRole.PRODUCTION)
    tracker.set_mode("slow", delay_seconds=2.0)
    refused = _grant(api, token, DEMO_OPEN_INCIDENT)
    assert refused.status == 503 and body(refused)["error"]["code"] == "incident_tracker_unavailable"


@pytest.mark.parametrize("url", ["", "http://127.0.0.1:9"])
def test_no_tracker_configured_or_reachable_refuses_the_grant_with_503(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch, world: DemoWorld, url: str
) -> None:
    # Given no incident tracker configured (no CDK context), or one that does not listen
    monkeypatch.setenv("INCIDENT_TRACKER_URL", url)
    api = Api(Gateway())
    refused = _grant(api, _token(api, world, StaffRole.PRODUCTION), DEMO_OPEN_INCIDENT)
    # Then the production grant is refused with 503, never opened without the check
    assert refused.status == 503 and body(refused)["error"]["code"] == "incident_tracker_unavailable"
    assert _grants_in_trail(aws) == []


def test_the_log_reads_stop_once_the_incident_is_closed(
    tracker: IncidentTrackerSimulator, api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given a production grant on an incident opened for the test, and the logs read under it
    tracker.set_state("INC-700001", "open")
    token = _token(api, world, StaffRole.PRODUCTION)
    granted = _grant(api, token, "INC-700001")
    assert granted.status == 201, granted.body
    headers = {GRANT: str(body(granted)["grant_id"])}
    for path in LOGS:
        assert api.call("GET", path, token=token, headers=headers).status == 200
    # When the incident is closed in the tracker (its control route), though the grant still runs
    assert _control(tracker, "INC-700001", "closed")["state"] == "closed"
    # Then each read is refused with incident_grant_required, and no read is recorded
    for path in LOGS:
        response = api.call("GET", path, token=token, headers=headers)
        assert response.status == 403, response.body
        assert body(response)["error"]["code"] == "incident_grant_required"
    reads = [e["action"] for e in _grants_in_trail(aws) if str(e["action"]).startswith("logs.")]
    assert sorted(reads) == ["logs.audit_trail.viewed", "logs.connection_log.viewed"]  # the two before the close
    # And the rest of the grant (the customer's space) is not the incident's business: it still works
    assert api.call("GET", "/account", token=token, headers=headers).status == 200


def test_a_log_read_when_the_tracker_is_down_is_a_503_and_reads_nothing(
    tracker: IncidentTrackerSimulator, api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    token = _token(api, world, StaffRole.PRODUCTION)
    granted = _grant(api, token, DEMO_OPEN_INCIDENT)
    assert granted.status == 201, granted.body
    tracker.set_mode("down")
    response = api.call("GET", LOGS[0], token=token, headers={GRANT: str(body(granted)["grant_id"])})
    assert response.status == 503 and body(response)["error"]["code"] == "incident_tracker_unavailable"
    assert not [e for e in _grants_in_trail(aws) if str(e["action"]).startswith("logs.")]
