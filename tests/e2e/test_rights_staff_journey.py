"""Requests received by email or letter, handled by staff end to end over real HTTP against the local stack
(issue 10, "Done when"): the code path (the code read from the local outbox, the export built by the local
worker, downloaded by the customer) and the document path (the document PUT through its presigned link to the
stack's S3, shown once, deleted on verification: checked with boto3 against the stack's moto), a rectification
that reaches the CRM (`/_local/crm-events`) and is closed by the CRM's answer (`/_local/crm-inbound`)."""

from __future__ import annotations

import http.client
import json
import re
import time
from typing import Any
from urllib.parse import quote, urlsplit

from infra.definitions import ROOT
from tests.e2e.conftest import Client, LocalStack

ADVISOR = "customer_service_advisor"
CODE = re.compile(r"\b([0-9]{6})\b")


def _http(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    """A presigned link, followed as a browser or curl would (no extra header: the signature covers the URL)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, parts.path + ("?" + parts.query if parts.query else ""), body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _moto(stack: LocalStack, service: str) -> Any:
    """A boto3 client of the stack's moto (the banner's "moto (AWS)" URL)."""
    import boto3

    endpoint = next(line.split()[-1] for line in stack.output if line.strip().startswith("moto (AWS)"))
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-3")
    return session.client(service, endpoint_url=endpoint)


def _until(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.5)


def _staff_token(client: Client, stack: LocalStack) -> str:
    advisor = stack.staff(ADVISOR)
    return str(client.staff_login(advisor["email"], advisor["password"])["access_token"])


def _register(client: Client, token: str, body: dict[str, Any]) -> dict[str, Any]:
    registered = client.call("POST", "/staff/data-requests", body, token=token)
    assert registered.status == 201, registered.text
    request = dict(registered.json())
    assert request["status"] == "awaiting_identity" and request["channel"] == body["channel"]
    assert 27 <= request["days_left"] <= 31
    return request


def _queued_ids(client: Client, token: str) -> list[str]:
    queue = client.call("GET", "/staff/data-requests", token=token)
    assert queue.status == 200, queue.text
    return [r["request_id"] for r in queue.json()["requests"]]


def test_staff_handle_an_emailed_access_request_with_the_code_path(client: Client, local_stack: LocalStack) -> None:
    # Given a demo customer (their contact email on record, as the space shows it) and a logged-in advisor
    customer = local_stack.customer(0)
    customer_token = client.login(customer["login_id"], customer["password"])["access_token"]
    email = str(client.call("GET", "/account", token=customer_token).json()["contact_email"])
    staff = _staff_token(client, local_stack)

    # When the advisor registers the access request that arrived by email
    request = _register(client, staff, {"customer_id": customer["customer_id"], "kind": "access", "channel": "email"})
    request_id = request["request_id"]
    base = f"/staff/customers/{customer['customer_id']}/data-requests/{request_id}"
    # Then it is on the staff queue
    assert request_id in _queued_ids(client, staff)

    # When the advisor sends the identity code to the contact email on record
    sent = client.call("POST", f"{base}/identity-code", {"to": "email"}, token=staff)
    assert sent.status == 202, sent.text
    assert sent.json()["to"] == "email" and "***" in sent.json()["sent_to"]

    # Then the code reaches that address (the local outbox), with the request's reference
    def code_mail() -> dict[str, Any] | None:
        messages = client.call("GET", f"/_local/outbox?to={quote(email)}").json()["messages"]
        return next((m for m in messages if request_id in m["body"] and CODE.search(m["body"])), None)

    code = CODE.search(_until(code_mail, "the identity code email")["body"]).group(1)  # type: ignore[union-attr]
    # a wrong code is refused
    wrong = "000000" if code != "000000" else "111111"
    refused = client.call("POST", f"{base}/identity-code/verification", {"code": wrong}, token=staff)
    assert refused.status == 400 and refused.error_code == "invalid_verification_code", refused.text
    # the right one is accepted and queues the export
    verified = client.call("POST", f"{base}/identity-code/verification", {"code": code}, token=staff)
    assert verified.status == 200, verified.text
    assert verified.json()["status"] == "queued" and verified.json()["identity_method"] == "code_email"
    # and works once
    again = client.call("POST", f"{base}/identity-code/verification", {"code": code}, token=staff)
    assert again.status == 409, again.text

    # When the local worker has built the export, the customer sees the request ready with two links
    def ready() -> dict[str, Any] | None:
        seen = client.call("GET", f"/account/data-requests/{request_id}", token=customer_token)
        assert seen.status == 200, seen.text
        assert seen.json()["status"] in ("queued", "building", "failed", "ready"), seen.text
        return dict(seen.json()) if seen.json()["status"] == "ready" else None

    shown = _until(ready, "the export")
    assert shown["channel"] == "email" and shown["kind"] == "access"
    links = {link["format"]: link["url"] for link in shown["downloads"]}
    assert set(links) == {"json", "pdf"}
    # Then both files download: the JSON names the customer, the PDF is a PDF
    status, document = _http("GET", links["json"])
    assert status == 200, document[:300]
    exported = json.loads(document)
    assert exported["customer_id"] == customer["customer_id"] and exported["request_id"] == request_id
    assert email in document.decode()
    status, pdf = _http("GET", links["pdf"])
    assert status == 200 and pdf.startswith(b"%PDF"), pdf[:100]
    # and the answered request has left the staff queue
    assert request_id not in _queued_ids(client, staff)


def test_staff_handle_a_letter_with_the_document_path_and_the_crm_closes_the_rectification(
    client: Client, local_stack: LocalStack
) -> None:
    # Given a letter asking to rectify the birth date of a demo customer, registered by an advisor
    customer = local_stack.customer(1)
    customer_id = customer["customer_id"]
    staff = _staff_token(client, local_stack)
    changes = {"birth_date": "1971-03-14"}
    request = _register(
        client, staff, {"customer_id": customer_id, "kind": "rectification", "channel": "letter", "changes": changes}
    )
    request_id = request["request_id"]
    base = f"/staff/customers/{customer_id}/data-requests/{request_id}"
    s3 = _moto(local_stack, "s3")
    object_key = f"identity-documents/{request_id}"

    # When the advisor asks for an upload link and the identity document is PUT to it over HTTP
    upload = client.call("POST", f"{base}/identity-document", token=staff)
    assert upload.status == 201, upload.text
    assert upload.json()["expires_in"] == 300
    scan = b"%PDF-1.4 identity card of the requester"
    status, answer = _http("PUT", upload.json()["url"], scan)
    assert status == 200, answer[:300]
    # Then it is in the rights bucket
    bucket = urlsplit(upload.json()["url"]).path.split("/")[1]
    assert s3.head_object(Bucket=bucket, Key=object_key)["ContentLength"] == len(scan)

    # When the verifying advisor views it: the link serves the document, once
    view = client.call("GET", f"{base}/identity-document", token=staff)
    assert view.status == 200, view.text
    status, downloaded = _http("GET", view.json()["url"])
    assert status == 200 and downloaded == scan
    second = client.call("GET", f"{base}/identity-document", token=staff)
    assert second.status == 409, second.text

    # When the advisor accepts it
    decided = client.call("POST", f"{base}/identity-document/verification", {"accepted": True}, token=staff)
    assert decided.status == 200, decided.text
    # Then the document is gone from the bucket (boto3 against the stack's moto)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=object_key).get("KeyCount", 0) == 0
    # and the rectification proceeds: sent to the CRM, the event published with the request's clock
    assert decided.json()["status"] == "sent_to_crm" and decided.json()["identity_method"] == "document"

    def published() -> dict[str, Any] | None:
        events = client.call("GET", f"/_local/crm-events?customer_id={customer_id}").json()["events"]
        return next(
            (
                e
                for e in events
                if e["event_type"] == "RectificationRequested" and e["payload"].get("request_id") == request_id
            ),
            None,
        )

    event = _until(published, "RectificationRequested on the CRM bus", timeout=20)
    assert event["payload"]["changes"] == changes and event["payload"]["due_at"]
    # it waits for the CRM's answer on the staff queue, with its clock
    assert request_id in _queued_ids(client, staff)

    # When the CRM answers that it applied the rectification (the sample event, with this request's id)
    answer_event = json.loads((ROOT / "events" / "RectificationCompleted.json").read_text())
    answer_event["detail"] |= {"customer_id": customer_id, "request_id": request_id}
    posted = client.call("POST", "/_local/crm-inbound", answer_event)
    assert posted.status == 202, posted.text

    # Then the customer sees it completed, and it leaves the staff queue
    customer_token = client.login(customer["login_id"], customer["password"])["access_token"]

    def completed() -> dict[str, Any] | None:
        seen = client.call("GET", f"/account/data-requests/{request_id}", token=customer_token).json()
        return dict(seen) if seen["status"] == "completed" else None

    closed = _until(completed, "the rectification completed", timeout=20)
    assert closed["closed_at"] and closed["changes"] == changes
    assert request_id not in _queued_ids(client, staff)
