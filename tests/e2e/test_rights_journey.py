"""Right of access over real HTTP against the local stack (issue 10): the customer asks, watches the request
until the worker (the export queue drained by the local stack) has built it, and downloads both files through
the presigned links, which the embedded S3 (moto server) serves; the "ready" email is in the local outbox."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import quote, urlsplit

from tests.e2e.conftest import Client, LocalStack


def _get(url: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_customer_asks_for_their_data_waits_and_downloads_both_files(client: Client, local_stack: LocalStack) -> None:
    # Given a logged-in customer
    customer = local_stack.customer(0)
    token = client.login(customer["login_id"], customer["password"])["access_token"]

    # When they ask for their data
    asked = client.call("POST", "/account/data-requests", {"kind": "access"}, token=token)
    assert asked.status == 201, asked.text
    request = asked.json()
    assert request["status"] == "queued" and request["days_left"] >= 27

    # Then the request becomes ready within seconds (the worker runs from the queue)
    deadline = time.monotonic() + 60
    while True:
        seen = client.call("GET", f"/account/data-requests/{request['request_id']}", token=token).json()
        if seen["status"] == "ready":
            break
        assert seen["status"] in ("queued", "building", "failed"), seen
        assert time.monotonic() < deadline, seen
        time.sleep(0.5)
    # both files download through their links
    links = {link["format"]: link["url"] for link in seen["downloads"]}
    assert set(links) == {"json", "pdf"}
    status, document = _get(links["json"])
    assert status == 200, document[:300]
    exported = json.loads(document)
    assert exported["customer_id"] == customer["customer_id"] and exported["request_id"] == request["request_id"]
    assert customer["email"] in document.decode()
    status, pdf = _get(links["pdf"])
    assert status == 200 and pdf.startswith(b"%PDF")
    # and the customer is told by email (sent just after the request is marked ready)
    deadline = time.monotonic() + 15
    while True:
        messages = client.call("GET", f"/_local/outbox?to={quote(customer['email'])}").json()["messages"]
        if any(request["request_id"] in m["body"] for m in messages):
            break
        assert time.monotonic() < deadline, [m["subject"] for m in messages]
        time.sleep(0.5)
