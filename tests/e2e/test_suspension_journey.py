"""Loss or theft, over real HTTP against the local stack: suspend a demo line, follow the workflow until
the line is suspended, reauthenticate, reactivate it on a new SIM, follow it until the line is active.
The state machines run on the local stack's moto, their tasks in its process, provisioning on its simulator."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import Client, LocalStack

LINE = "M-377612345679"  # Jeanne's second mobile line
NEW_ICCID = "8937701000000000007"


def follow(client: Client, token: str, handle: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = client.call("GET", f"/mobile/lines/{LINE}/workflows/{handle}", token=token)
        assert reply.status == 200, reply.text
        if reply.json()["state"] != "pending":
            return dict(reply.json())
        time.sleep(0.2)
    raise AssertionError(f"{handle} still pending after {timeout}s")


def test_report_a_phone_lost_then_reactivate_the_line_on_a_new_sim(local_stack: LocalStack, client: Client) -> None:
    jeanne = local_stack.customer(0)
    token = client.login(jeanne["login_id"], jeanne["password"])["access_token"]

    # Report the phone lost: answered at once with a handle
    reply = client.call("POST", f"/mobile/lines/{LINE}/suspension", token=token)
    assert reply.status == 202, reply.text
    suspension = reply.json()
    assert suspension["state"] == "pending"
    assert follow(client, token, suspension["handle"]) == suspension | {
        "state": "succeeded",
        "line_status": "suspended",
    }

    # Reactivation needs a recent authentication: reauthenticate, then move the line to a new SIM
    fresh = client.call("POST", "/auth/reauthenticate", {"password": jeanne["password"]}, token=token)
    assert fresh.status == 200, fresh.text
    fresh_token = fresh.json()["access_token"]
    bad = client.call("POST", f"/mobile/lines/{LINE}/reactivation", {"new_iccid": "8937701000000000002"}, fresh_token)
    assert bad.status == 422 and bad.json()["error"]["details"][0]["loc"] == ["body", "new_iccid"]
    reply = client.call("POST", f"/mobile/lines/{LINE}/reactivation", {"new_iccid": NEW_ICCID}, token=fresh_token)
    assert reply.status == 202, reply.text
    reactivation = reply.json()
    assert follow(client, token, reactivation["handle"])["line_status"] == "active"

    # The notification went to the contact email, not to the line
    outbox = client.call("GET", f"/_local/outbox?to={jeanne['email']}").json()["messages"]
    subjects = {m["subject"] for m in outbox}
    assert {"Your mobile line is suspended", "Your mobile line is active again"} <= subjects
