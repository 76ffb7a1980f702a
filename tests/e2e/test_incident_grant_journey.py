"""End-to-end (issue 8, section 4): a production-team member opens an assisted-access grant on the local stack with
the open demo incident of its incident tracker (infra/local/incident_tracker.py, printed in the banner); the closed
demo incident is refused; an incident closed through the tracker's control route stops the log reads."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from infra import definitions as d
from tests.e2e.conftest import Client, LocalStack

BANNER = re.compile(r"^Incident tracker\s+(http://\S+)\s+\(open: (\S+); closed: (\S+);")


def _tracker(local_stack: LocalStack) -> tuple[str, str, str]:
    found = [BANNER.match(line) for line in local_stack.output]
    (match,) = [m for m in found if m]
    return match.group(1), match.group(2), match.group(3)


def _control(tracker_url: str, reference: str, state: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the local stack's loopback simulator
        f"{tracker_url}/_control/incidents",
        data=json.dumps({"reference": reference, "state": state}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def _grant(client: Client, token: str, customer_id: str, incident: str) -> Any:
    return client.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": customer_id, "reason": "Login failures reported", "incident_reference": incident},
        token=token,
    )


def test_a_production_grant_needs_an_open_incident_of_the_tracker(local_stack: LocalStack, client: Client) -> None:
    # Given the banner's incident tracker, with the demo incidents: INC-000001 open, INC-000002 closed
    _, open_incident, closed_incident = _tracker(local_stack)
    assert (open_incident, closed_incident) == ("INC-000001", "INC-000002")
    member = local_stack.staff("production")
    token = client.staff_login(member["email"], member["password"])["access_token"]
    customer_id = local_stack.customer(0)["customer_id"]
    # When the production-team member names the open incident: granted, the reference recorded
    granted = _grant(client, token, customer_id, open_incident)
    assert granted.status == 201, granted.text
    assert granted.json()["reference"] == f"incident:{open_incident}" and granted.json()["role"] == "production"
    # When they name the closed one: 422 at incident_reference
    refused = _grant(client, token, customer_id, closed_incident)
    assert refused.status == 422, refused.text
    assert refused.error_code == "validation_error"
    (detail,) = refused.json()["error"]["details"]
    assert (detail["loc"], detail["type"]) == (["body", "incident_reference"], "incident_not_open")


def test_closing_the_incident_in_the_tracker_stops_the_log_reads(local_stack: LocalStack, client: Client) -> None:
    tracker_url, _, _ = _tracker(local_stack)
    # Given an incident opened through the tracker's control route, and a grant naming it
    assert _control(tracker_url, "INC-000777", "open")["state"] == "open"
    member = local_stack.staff("production")
    token = client.staff_login(member["email"], member["password"])["access_token"]
    customer_id = local_stack.customer(0)["customer_id"]
    granted = _grant(client, token, customer_id, "INC-000777")
    assert granted.status == 201, granted.text
    headers = {d.ASSISTED_ACCESS_HEADER: granted.json()["grant_id"]}
    path = f"/staff/customers/{customer_id}/connection-log"
    assert client.call("GET", path, token=token, headers=headers).status == 200
    # When the incident is closed in the tracker
    assert _control(tracker_url, "INC-000777", "closed")["state"] == "closed"
    # Then the logs are no longer read under that grant
    after = client.call("GET", path, token=token, headers=headers)
    assert after.status == 403 and after.error_code == "incident_grant_required", after.text
