"""Commercial SMS over real HTTP against the local stack (issue 11, "Done when"): declare a provider, submit a
campaign where some messages lack the mention and some recipients opted out, see the exact outcomes, reply STOP
from a recipient, see the next message refused, suspend the provider, see its next call refused, download the
report. Numbers are unique to this test (the local stack is shared by the e2e suite)."""

from __future__ import annotations

import http.client
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from tests.e2e.conftest import Client, LocalStack

GOOD = "Riviera Shop : -30% ce week-end ! STOP au {short}"
BAD = "Riviera Shop : -30% ce week-end !"


def _wait_done(client: Client, authorization: str, campaign_id: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        campaign = client.call(
            "GET", f"/sms/provider/campaigns/{campaign_id}", headers={"Authorization": authorization}
        ).json()
        if campaign["status"] == "done":
            return
        assert time.monotonic() < deadline, campaign
        time.sleep(0.2)


def test_the_whole_commercial_sms_loop(client: Client, local_stack: LocalStack) -> None:
    sales = local_stack.staff("sales")
    staff = client.staff_login(sales["email"], sales["password"])["access_token"]
    short = str(36000 + uuid.uuid4().int % 900)
    prefix = f"+3367{uuid.uuid4().int % 10_000:04d}"
    numbers = [f"{prefix}{n:03d}" for n in range(4)]

    # Declare a provider and issue its credentials (shown once)
    declared = client.call(
        "POST",
        "/sms/providers",
        {
            "legal_name": "Riviera Promo SARL",
            "declaration_number": "ARCEP-2026-0042",
            "contract_reference": "VAS-2026-007",
            "contract_start": "2026-01-01",
            "sender_ids": ["RIVIERA"],
            "opt_out_number": short,
            "throughput_per_second": 50,
        },
        token=staff,
    )
    assert declared.status == 201, declared.text
    provider_id = declared.json()["provider_id"]
    issued = client.call("POST", f"/sms/providers/{provider_id}/credentials", token=staff)
    authorization = issued.json()["authorization"]
    as_provider: dict[str, Any] = {"headers": {"Authorization": authorization}}

    # A recipient opted out earlier (STOP to the provider's short number, through the local inbound route)
    stopped = client.call("POST", "/_local/sms/inbound", {"from": numbers[2], "to": short, "text": "ARRÊT"})
    assert stopped.json()["handled"] == [{"keyword": "stop", "changed": True}]

    # A campaign: one recipient's text lacks the mention, one recipient opted out
    campaign = client.call(
        "POST", "/sms/provider/campaigns", {"sender_id": "RIVIERA", "text": GOOD.format(short=short)}, **as_provider
    ).json()
    recipients = [{"to": numbers[0]}, {"to": numbers[1], "text": BAD}, {"to": numbers[2]}, {"to": numbers[3]}]
    path = f"/sms/provider/campaigns/{campaign['campaign_id']}"
    assert client.call("POST", f"{path}/recipients", {"recipients": recipients}, **as_provider).status == 202
    assert client.call("POST", f"{path}/start", **as_provider).status == 202
    _wait_done(client, authorization, campaign["campaign_id"])
    outcomes = client.call("GET", f"{path}/outcomes", **as_provider).json()["outcomes"]
    assert [(o["to"], o["status"], o["reason"]) for o in outcomes] == [
        (numbers[0], "sent", None),
        (numbers[1], "refused", "missing_opt_out_mention"),
        (numbers[2], "refused", "opted_out"),
        (numbers[3], "sent", None),
    ]
    outbox = client.call("GET", f"/_local/outbox?to={quote(numbers[0])}").json()["messages"]
    assert [m["body"] for m in outbox] == [GOOD.format(short=short)]
    assert client.call("GET", f"/_local/outbox?to={quote(numbers[1])}").json()["messages"] == []

    # The recipient replies STOP: one confirmation, then the next message to them is refused
    client.call("POST", "/_local/sms/inbound", {"from": numbers[0], "to": short, "text": " stop! "})
    replies = client.call("GET", f"/_local/outbox?to={quote(numbers[0])}").json()["messages"]
    assert len(replies) == 2 and "START" in replies[0]["body"]
    again = client.call(
        "POST",
        "/sms/provider/messages",
        {"sender_id": "RIVIERA", "to": numbers[0], "text": GOOD.format(short=short)},
        **as_provider,
    )
    assert again.status == 200 and again.json()["reason"] == "opted_out"

    # Suspend the provider: its next call is refused
    client.call("POST", f"/sms/providers/{provider_id}/suspension", {"reason": "Missing mentions"}, token=staff)
    refused = client.call(
        "POST",
        "/sms/provider/messages",
        {"sender_id": "RIVIERA", "to": numbers[3], "text": GOOD.format(short=short)},
        **as_provider,
    )
    assert refused.status == 403 and refused.error_code == "provider_not_allowed"

    # Download the report
    month = datetime.now(UTC).strftime("%Y-%m")
    report = client.call("GET", f"/sms/providers/{provider_id}/reports/{month}", token=staff).json()
    assert (report["submitted"], report["sent"], report["opt_outs"]) == (5, 2, 2)
    assert report["refused"] == {"missing_opt_out_mention": 1, "opted_out": 2}
    csv_reply = client.call("GET", f"/sms/providers/{provider_id}/reports/{month}/csv", token=staff)
    assert csv_reply.status == 200 and "refused_opted_out,2" in csv_reply.text
    status, content_type, pdf = _download(client, f"/sms/providers/{provider_id}/reports/{month}/pdf", staff)
    assert (status, content_type) == (200, "application/pdf") and pdf.startswith(b"%PDF")


def _download(client: Client, path: str, token: str) -> tuple[int, str, bytes]:
    """A binary answer (Client decodes bodies as text)."""
    url = urlsplit(client.base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, str(response.getheader("Content-Type")), response.read()
    finally:
        connection.close()
