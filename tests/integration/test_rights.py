"""Data-subject rights (issue 10, section 1): the right of access from the space, end to end in-process.

The customer asks (recent authentication), sees the request's clock, the worker (its SQS queue drained as the
local stack does) builds the export from every store of the personal-data registry, the customer is told by
email and downloads both files through presigned links. The export of a customer with a marker in every
personal field of every store (the PII sweep's seeding) holds every store, field and marker, and nothing of
another customer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlparse

import boto3
import pytest
from selfcare.clock import add_months, iso
from selfcare.privacy import registry
from selfcare.privacy.registry import Locator

from infra import definitions as d
from infra.local import emulation
from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body
from tests.integration.test_pii_sweep import CUSTOMER, MARKERS, scan, seed_the_customer
from tests.integration.test_retention import crm


def drain(aws: LocalResources) -> int:
    """The export queue -> the worker, as the local stack's delivery thread does (infra/local/emulation.py)."""
    from infra.local.gateway import load_handler

    handler = load_handler(d.RIGHTS_EXPORT).lambda_handler
    return emulation.deliver_sms_batches(
        boto3.client("sqs"), aws.rights_export_queue_url, handler, function=d.RIGHTS_EXPORT
    )


def download(aws: LocalResources, url: str) -> bytes:
    parsed = urlparse(url)
    assert "X-Amz-Expires=300" in parsed.query or "Expires=" in parsed.query
    object_key = unquote(parsed.path.lstrip("/").removeprefix(aws.rights_bucket + "/"))
    if parsed.netloc.startswith(aws.rights_bucket + "."):
        object_key = unquote(parsed.path.lstrip("/"))
    return bytes(boto3.client("s3").get_object(Bucket=aws.rights_bucket, Key=object_key)["Body"].read())


def ask(api: Api, token: str, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return api.call("POST", "/account/data-requests", {"kind": "access"}, token=token, headers=headers)


def test_a_customer_asks_watches_the_clock_and_downloads_both_files(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given a logged-in customer (a fresh login: a recent authentication)
    customer = world.customers[0]
    token = api.login(customer.login_id, customer.password)["access_token"]

    # When they ask for their data
    before = datetime.now(UTC)
    created = ask(api, token, key="access-key-0001")

    # Then the request is recorded, queued, due one calendar month after receipt
    assert created.status == 201, created.body
    request = body(created)
    assert request["kind"] == "access" and request["status"] == "queued" and request["channel"] == "space"
    received = datetime.fromisoformat(request["received_at"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= received <= datetime.now(UTC)
    assert request["due_at"] == iso(add_months(received, 1))
    assert 27 <= request["days_left"] <= 31 and request["downloads"] == []
    # the same Idempotency-Key answers the same request, creating nothing
    again = ask(api, token, key="access-key-0001")
    assert again.status == 200 and body(again)["request_id"] == request["request_id"]
    listed = body(api.call("GET", "/account/data-requests", token=token))["requests"]
    assert [r["request_id"] for r in listed] == [request["request_id"]]
    assert listed[0]["due_at"] == request["due_at"] and listed[0]["days_left"] == request["days_left"]

    # When the worker runs
    assert drain(aws) == 1

    # Then the request is ready, the customer was told by email, and both files download through short links
    ready = body(api.call("GET", f"/account/data-requests/{request['request_id']}", token=token))
    assert ready["status"] == "ready" and ready["ready_at"] and ready["files_expire_at"]
    expire = datetime.fromisoformat(ready["files_expire_at"].replace("Z", "+00:00"))
    assert expire - datetime.fromisoformat(ready["ready_at"].replace("Z", "+00:00")) == timedelta(days=7)
    assert sorted(link["format"] for link in ready["downloads"]) == ["json", "pdf"]
    assert all(link["expires_in"] == 300 for link in ready["downloads"])
    files = {link["format"]: download(aws, link["url"]) for link in ready["downloads"]}
    exported = json.loads(files["json"])
    assert exported["customer_id"] == customer.customer_id and exported["request_id"] == request["request_id"]
    assert customer.email in files["json"].decode()
    assert files["pdf"].startswith(b"%PDF")
    mails = emulation.outbox(to=customer.email)
    assert mails and request["request_id"] in mails[0]["body"] and mails[0]["subject"].startswith("Your personal data")
    # a second delivery of the same message changes nothing, and does not tell the customer twice
    boto3.client("sqs").send_message(
        QueueUrl=aws.rights_export_queue_url,
        MessageBody=json.dumps({"customer_id": customer.customer_id, "request_id": request["request_id"]}),
    )
    assert drain(aws) == 1
    assert len(emulation.outbox(to=customer.email)) == len(mails)
    # every step is audited: asked, started, ready, notified, links issued
    trail = [
        i["action"]["S"]
        for i in scan(aws.table_names[d.AUDIT_LOG.logical_id])
        if i["subject"]["S"] == f"customer#{customer.customer_id}" and i["action"]["S"].startswith("rights.")
    ]
    assert set(trail) == {
        "rights.access.requested",
        "rights.access.export_started",
        "rights.access.export_ready",
        "rights.access.notified",
        "rights.access.links_issued",
    }
    # another customer sees nothing of it
    other = world.customers[1]
    other_token = api.login(other.login_id, other.password)["access_token"]
    assert body(api.call("GET", "/account/data-requests", token=other_token))["requests"] == []
    assert api.call("GET", f"/account/data-requests/{request['request_id']}", token=other_token).status == 404


def test_a_failed_build_is_marked_failed_and_the_retry_finishes_it(
    api: Api, world: DemoWorld, aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a request whose first build fails midway (the PDF cannot be written)
    customer = world.customers[0]
    token = api.login(customer.login_id, customer.password)["access_token"]
    request_id = body(ask(api, token))["request_id"]
    from selfcare.rights import export

    real = export.to_pdf
    monkeypatch.setattr(export, "to_pdf", lambda document: (_ for _ in ()).throw(RuntimeError("disk full")))
    # When the worker runs: the message stays for a retry, the request says failed, with no link
    assert drain(aws) == 0
    failed = body(api.call("GET", f"/account/data-requests/{request_id}", token=token))
    assert failed["status"] == "failed" and failed["downloads"] == []
    # When the retry runs with the fault gone: ready
    monkeypatch.setattr(export, "to_pdf", real)
    assert drain(aws) == 1
    done = body(api.call("GET", f"/account/data-requests/{request_id}", token=token))
    assert done["status"] == "ready" and len(done["downloads"]) == 2


def test_the_export_holds_every_store_field_and_marker_of_the_customer_and_nothing_of_another(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given the customer with a marker in every personal field of every store (the PII sweep's seeding)
    tokens = seed_the_customer(api, world, aws)
    # and another customer with markers of their own, in the profile and the usage
    crm(
        "CustomerCreated",
        event_id="rights-evt-1",
        entity_version=1,
        customer={
            "customer_id": "C0888",
            "account_number": "100200888",
            "customer_type": "individual",
            "last_name": "Qwvlast",
            "first_name": "Qwvfirst",
            "address": {"line1": "9 rue Qwv", "postal_code": "06000", "city": "Nice", "country": "FR"},
            "contact_email": "qwv.mail@example.org",
            "contact_mobile": "+33612888444",
        },
    )
    # and reports of unwanted commercial SMS: the customer's (a declared provider's sender, an unknown one) and
    # another customer's, in the same provider's partition
    from selfcare.dal.dynamo import transact
    from selfcare.dal.sms import SmsRepository
    from selfcare.sms.models import Complaint

    sms = SmsRepository(aws.table_names[d.SMS.logical_id])
    boto3.client("dynamodb").put_item(
        TableName=aws.table_names[d.SMS.logical_id], Item={"pk": {"S": "PROVIDERS"}, "sk": {"S": "PROVIDER#VAS1"}}
    )
    now = datetime.now(UTC)
    for n, (provider, customer_id, text) in enumerate(
        [("VAS1", CUSTOMER, "smsmarkerprovider"), (None, CUSTOMER, "smsmarkerunknown"), ("VAS1", "C0888", "qwvsms")]
    ):
        complaint = Complaint(f"K{n}", provider, customer_id, "M-1", "PROMO", iso(now), iso(now), text)
        transact([sms.complaint_op(complaint, now)])
    # and a usage record only a per-type partition holds (the per-line copy lost): the export reads those by key
    from tests.integration.test_pii_sweep import LINE_ID

    boto3.client("dynamodb").put_item(
        TableName=aws.table_names[d.CUSTOMERS.logical_id],
        Item={
            "pk": {"S": f"USAGE#{CUSTOMER}#{LINE_ID}#SMS"},
            "sk": {"S": "2026-11-01T10:00:00.000Z#typeonlyrecord"},
            "record_id": {"S": "typeonlyrecord"},
            "called_number": {"S": "+33600typeonly"},
        },
    )
    # When the customer asks for their data and the worker runs
    created = ask(api, tokens["access_token"])
    assert created.status == 201, created.body
    assert drain(aws) == 1
    ready = body(api.call("GET", f"/account/data-requests/{body(created)['request_id']}", token=tokens["access_token"]))
    files = {link["format"]: download(aws, link["url"]) for link in ready["downloads"]}
    exported = json.loads(files["json"])
    text = files["json"].decode().lower()
    assert text.count("typeonlyrecord") == 1 and "+33600typeonly" in text  # exported once

    # Then every store of the registry is there, per category, with its declared fields, purpose and retention
    sections = {s["store"]: (c["category"], s) for c in exported["categories"] for s in c["stores"]}
    for store in registry.REGISTRY:
        category, section = sections[store.name]
        assert category == store.category.value
        assert section["fields"] == list(store.fields)
        assert section["purpose"] == store.purpose and section["retention"] == store.retention
    # every marker of the customer's data appears, their two reports of unwanted SMS among them
    assert [m for m in MARKERS if m not in text] == []
    assert "smsmarkerprovider" in text and "smsmarkerunknown" in text
    # every store the customer has items in (found by scanning every table) has its items in the export
    expected: set[str] = set()
    for table in d.TABLES:
        for item in scan(aws.table_names[table.logical_id]):
            pk = item[table.partition_key.name]["S"]
            sk = item[table.sort_key.name]["S"] if table.sort_key else None
            store = registry.store_of(table.logical_id, pk, sk)
            if store is None or store.locator is Locator.NOT_LINKED:
                continue
            if CUSTOMER in json.dumps(item) and store.name != "data-subject requests":
                expected.add(store.name)
    expected.add("invoice PDFs")
    missing = sorted(name for name in expected if not sections[name][1]["items"])
    assert missing == []
    # the secrets held as digests are said to be held, never shown
    credential = sections["credential"][1]["items"][0]
    assert credential["password_hash"].startswith("(held") and "argon2" not in text
    # nothing of another customer: the other customer's markers, Jeanne's (C0001) contact email
    assert "qwv" not in text and "612888444" not in text  # the other customer's report included
    assert world.customers[0].email.lower() not in text
    # the PDF is a readable document, one section per category
    assert files["pdf"].startswith(b"%PDF") and len(files["pdf"]) > 2000


# --- Staff: requests by email or letter, the proof of identity, the queue; rectification --------------------------
def staff_token(api: Api, world: DemoWorld, role: str = "customer_service_advisor") -> str:
    member = next(s for r, s in world.staff.items() if r.value == role)
    return str(api.staff_login(member.email, member.password)["access_token"])


def last_code(to: str) -> str:
    import re

    message = emulation.outbox(to=to)[0]
    found = re.search(r"\b(\d{6})\b", message["body"])
    assert found, message
    return found.group(1)


def test_staff_register_an_emailed_request_prove_identity_by_code_and_the_export_follows(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given an access request received by email eight days ago, registered by a customer-service advisor
    customer = world.customers[0]
    token = staff_token(api, world)
    received = datetime.now(UTC) - timedelta(days=8)
    registered = api.call(
        "POST",
        "/staff/data-requests",
        {"customer_id": customer.customer_id, "kind": "access", "channel": "email", "received_at": iso(received)},
        token=token,
    )
    assert registered.status == 201, registered.body
    request = body(registered)
    assert request["status"] == "awaiting_identity" and request["channel"] == "email"
    assert request["due_at"] == iso(
        add_months(datetime.fromisoformat(request["received_at"].replace("Z", "+00:00")), 1)
    )
    base = f"/staff/customers/{customer.customer_id}/data-requests/{request['request_id']}"
    # the queue shows it, with its days left
    queue = body(api.call("GET", "/staff/data-requests", token=token))["requests"]
    mine = [r for r in queue if r["request_id"] == request["request_id"]]
    assert mine and mine[0]["days_left"] == request["days_left"] and 18 <= mine[0]["days_left"] <= 23
    # another role may not (sales)
    sales = staff_token(api, world, "sales")
    assert api.call("GET", "/staff/data-requests", token=sales).status == 403

    # When staff send a code to the contact email on record, and a wrong code is entered
    sent = api.call("POST", f"{base}/identity-code", {"to": "email"}, token=token)
    assert sent.status == 202, sent.body
    assert body(sent)["sent_to"].endswith("@" + customer.email.split("@")[1]) and "***" in body(sent)["sent_to"]
    code = last_code(customer.email)
    wrong = "000000" if code != "000000" else "111111"
    refused = api.call("POST", f"{base}/identity-code/verification", {"code": wrong}, token=token)
    assert refused.status == 400
    # Then the right code proves the identity and queues the export
    verified = api.call("POST", f"{base}/identity-code/verification", {"code": code}, token=token)
    assert verified.status == 200, verified.body
    assert body(verified)["status"] == "queued" and body(verified)["identity_method"] == "code_email"
    # the code works once
    assert api.call("POST", f"{base}/identity-code/verification", {"code": code}, token=token).status == 409
    assert drain(aws) == 1
    customer_token = api.login(customer.login_id, customer.password)["access_token"]
    ready = body(api.call("GET", f"/account/data-requests/{request['request_id']}", token=customer_token))
    assert ready["status"] == "ready" and len(ready["downloads"]) == 2
    # answered: off the queue
    queue = body(api.call("GET", "/staff/data-requests", token=token))["requests"]
    assert request["request_id"] not in [r["request_id"] for r in queue]


def test_the_identity_document_is_shown_once_and_deleted_on_verification(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given a letter asking for a rectification, from a customer no code can reach
    customer = world.customers[1]
    token = staff_token(api, world, "customer_service_staff")
    request = body(
        api.call(
            "POST",
            "/staff/data-requests",
            {
                "customer_id": customer.customer_id,
                "kind": "rectification",
                "channel": "letter",
                "changes": {"last_name": "Nouveau-Nom", "birth_date": "1980-02-29"},
            },
            token=token,
        )
    )
    base = f"/staff/customers/{customer.customer_id}/data-requests/{request['request_id']}"
    # When staff get an upload link and the document is uploaded to it
    upload = api.call("POST", f"{base}/identity-document", token=token)
    assert upload.status == 201, upload.body
    assert "X-Amz-Expires=300" in body(upload)["url"]
    s3 = boto3.client("s3")
    object_key = f"identity-documents/{request['request_id']}"
    s3.put_object(Bucket=aws.rights_bucket, Key=object_key, Body=b"%PDF identity card")
    # Then it is shown once; a second view is refused
    shown = api.call("GET", f"{base}/identity-document", token=token)
    assert shown.status == 200 and object_key in unquote(body(shown)["url"])
    assert api.call("GET", f"{base}/identity-document", token=token).status == 409
    # When the verifying staff member accepts it: the document is deleted, the rectification goes to the CRM
    decided = api.call("POST", f"{base}/identity-document/verification", {"accepted": True}, token=token)
    assert decided.status == 200, decided.body
    assert body(decided)["status"] == "sent_to_crm" and body(decided)["identity_method"] == "document"
    assert s3.list_objects_v2(Bucket=aws.rights_bucket, Prefix="identity-documents/").get("KeyCount", 0) == 0
    outbox = [
        i
        for i in scan(aws.table_names[d.CUSTOMERS.logical_id])
        if i["pk"]["S"] == f"CUSTOMER#{customer.customer_id}" and i["sk"]["S"].startswith("OUTBOX#")
    ]
    events = [json.loads(i["payload"]["S"]) for i in outbox if i["event_type"]["S"] == "RectificationRequested"]
    assert events and events[0]["changes"] == {"last_name": "Nouveau-Nom", "birth_date": "1980-02-29"}
    assert events[0]["request_id"] == request["request_id"] and events[0]["due_at"]
    # every step audited on the customer's trail, without the document or the code
    trail = [
        i["action"]["S"]
        for i in scan(aws.table_names[d.AUDIT_LOG.logical_id])
        if i["subject"]["S"] == f"customer#{customer.customer_id}" and i["action"]["S"].startswith("rights.")
    ]
    assert trail.count("rights.rectification.registered") == 1
    assert {"rights.identity.document_upload", "rights.identity.document_shown", "rights.identity.verified"} <= set(
        trail
    )


def test_a_customer_asks_for_a_rectification_from_the_space(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    # Given a logged-in customer
    customer = world.customers[0]
    token = api.login(customer.login_id, customer.password)["access_token"]
    # When they ask to rectify their birth date
    created = api.call(
        "POST",
        "/account/data-requests",
        {"kind": "rectification", "changes": {"birth_date": "1975-05-04"}},
        token=token,
    )
    # Then it is routed to the CRM at once, with the same clock
    assert created.status == 201, created.body
    request = body(created)
    assert request["kind"] == "rectification" and request["status"] == "sent_to_crm"
    assert request["changes"] == {"birth_date": "1975-05-04"} and 27 <= request["days_left"] <= 31
    # a rectification without changes, or an access request with some, is refused (422, located)
    empty = api.call("POST", "/account/data-requests", {"kind": "rectification"}, token=token)
    assert empty.status == 422 and body(empty)["error"]["details"][0]["loc"] == ["body", "changes"]
    mixed = api.call("POST", "/account/data-requests", {"kind": "access", "changes": {"last_name": "X"}}, token=token)
    assert mixed.status == 422


def test_the_daily_check_counts_the_requests_due_soon(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    # Given a letter received 27 days ago (due in 4 days or less) and one received today
    token = staff_token(api, world)
    for days in (27, 0):
        received = datetime.now(UTC) - timedelta(days=days)
        response = api.call(
            "POST",
            "/staff/data-requests",
            {
                "customer_id": world.customers[0].customer_id,
                "kind": "access",
                "channel": "letter",
                "received_at": iso(received),
            },
            token=token,
        )
        assert response.status == 201, response.body
    # When the daily schedule invokes the worker
    from infra.local.gateway import load_handler

    answer = load_handler(d.RIGHTS_EXPORT).lambda_handler(
        d.RIGHTS_DUE_SOON_COMMAND, emulation._sms_context(d.RIGHTS_EXPORT)
    )
    # Then one request is counted as due soon; the queue puts it first
    assert answer == {"due_soon": 1, "requeued": 0}
    queue = body(api.call("GET", "/staff/data-requests", token=token))["requests"]
    assert [r["days_left"] for r in queue] == sorted(r["days_left"] for r in queue) and queue[0]["days_left"] <= 5


def test_a_request_whose_export_message_was_lost_is_sent_again_by_the_daily_check(
    api: Api, world: DemoWorld, aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selfcare.ports.rights_queue import SqsExportQueue
    from selfcare.rights import service as rights_service

    from infra.local.gateway import load_handler

    # Given a request recorded while the export queue could not be reached
    customer = world.customers[0]
    token = api.login(customer.login_id, customer.password)["access_token"]
    sent = SqsExportQueue.enqueue

    def unreachable(self: Any, customer_id: str, request_id: str) -> None:
        raise ConnectionError("the queue is unreachable")

    monkeypatch.setattr(SqsExportQueue, "enqueue", unreachable)
    created = ask(api, token)
    # Then the customer still gets their request (recorded, queued), and no message waits
    assert created.status == 201, created.body
    request_id = body(created)["request_id"]
    assert body(created)["status"] == "queued"
    assert drain(aws) == 0
    # When the daily check runs, once the request is older than STALLED_AFTER (here: at once)
    monkeypatch.setattr(SqsExportQueue, "enqueue", sent)
    monkeypatch.setattr(rights_service, "STALLED_AFTER", timedelta(0))
    answer = load_handler(d.RIGHTS_EXPORT).lambda_handler(
        d.RIGHTS_DUE_SOON_COMMAND, emulation._sms_context(d.RIGHTS_EXPORT)
    )
    # Then it is sent again, and the worker builds it
    assert answer["requeued"] == 1
    assert drain(aws) == 1
    shown = body(api.call("GET", f"/account/data-requests/{request_id}", token=token))
    assert shown["status"] == "ready" and len(shown["downloads"]) == 2
    # and a second daily check finds nothing left to send
    again = load_handler(d.RIGHTS_EXPORT).lambda_handler(
        d.RIGHTS_DUE_SOON_COMMAND, emulation._sms_context(d.RIGHTS_EXPORT)
    )
    assert again["requeued"] == 0


def _rectify(api: Api, token: str, changes: dict[str, Any]) -> dict[str, Any]:
    created = api.call("POST", "/account/data-requests", {"kind": "rectification", "changes": changes}, token=token)
    assert created.status == 201, created.body
    return dict(body(created))


def _crm_answer(name: str, event_id: str, **detail: Any) -> None:
    """The sample answer of events/ (a CRM event on the inbound bus), with this test's request and event id."""
    from tests.integration.test_projection import put, sample

    event = sample(name)
    event["detail"] |= {"event_id": event_id, **detail}
    put(event)


def test_a_notification_that_failed_after_the_answer_is_sent_by_the_replay(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    from selfcare.clock import SystemClock
    from selfcare.dal.customers import CustomersRepository
    from selfcare.dal.logs import LogsRepository
    from selfcare.dal.rights import RightsRepository
    from selfcare.ports.notifications import Notification
    from selfcare.projection.models import WriteResult
    from selfcare.rights.crm import RectificationAnswers

    class Mail:
        def __init__(self, down: bool = False) -> None:
            self.down, self.sent = down, list[Notification]()

        def send(self, notification: Notification) -> None:
            if self.down:
                raise RuntimeError("SES unavailable")
            self.sent.append(notification)

    def answers(mail: Mail) -> RectificationAnswers:
        customers = aws.table_names[d.CUSTOMERS.logical_id]
        return RectificationAnswers(
            requests=RightsRepository(customers),
            receipts_table=aws.table_names[d.IDEMPOTENCY.logical_id],
            audit=LogsRepository(None, aws.table_names[d.AUDIT_LOG.logical_id]),
            clock=SystemClock(),
            profiles=CustomersRepository(customers),
            notifier=mail,
        )

    # Given a rectification sent to the CRM
    jeanne = world.customers[0]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    request_id = _rectify(api, token, {"first_name": "Jeanne-Marie"})["request_id"]
    event = {"completed": True, "at": datetime(2026, 11, 27, 9, 0, tzinfo=UTC), "event_id": f"rect-{request_id}"}
    # When the CRM's answer is applied but SES fails before the customer is told
    with pytest.raises(RuntimeError):
        answers(Mail(down=True)).close(jeanne.customer_id, request_id, **event)  # type: ignore[arg-type]
    assert body(api.call("GET", f"/account/data-requests/{request_id}", token=token))["status"] == "completed"
    # Then the event's replay (Lambda's retry) is a duplicate that sends the notice still owed, once
    mail = Mail()
    assert answers(mail).close(jeanne.customer_id, request_id, **event) is WriteResult.DUPLICATE  # type: ignore[arg-type]
    assert answers(mail).close(jeanne.customer_id, request_id, **event) is WriteResult.DUPLICATE  # type: ignore[arg-type]
    assert [(n.to, n.kind) for n in mail.sent] == [(jeanne.email, "rights_rectification_completed")]
    assert request_id in mail.sent[0].body


def test_the_crm_answer_closes_a_rectification_once(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    from tests.integration.test_projection import dead_letters

    dead_letters(aws)  # what other tests left
    # Given two customers who asked for a rectification from the space: sent to the CRM, on the staff queue
    jeanne, marco = world.customers[0], world.customers[1]
    jeanne_token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    marco_token = api.login(marco.login_id, marco.password)["access_token"]
    first = _rectify(api, jeanne_token, {"last_name": "Dupont-Martin"})
    second = _rectify(api, marco_token, {"birth_date": "1970-01-02"})
    staff = staff_token(api, world)
    queued = [r["request_id"] for r in body(api.call("GET", "/staff/data-requests", token=staff))["requests"]]
    assert first["status"] == "sent_to_crm" and {first["request_id"], second["request_id"]} <= set(queued)

    # When the CRM answers that it applied Jeanne's (the sample RectificationCompleted), twice (a replay)
    tag = first["request_id"][-8:]
    for _ in range(2):
        _crm_answer(
            "RectificationCompleted",
            f"rect-done-{tag}",
            customer_id=jeanne.customer_id,
            request_id=first["request_id"],
            completed_at="2026-11-27T09:00:00Z",
        )
    # Then Jeanne sees it completed, when; the staff queue no longer lists it; the replay changed nothing
    seen = body(api.call("GET", f"/account/data-requests/{first['request_id']}", token=jeanne_token))
    assert seen["status"] == "completed" and seen["closed_at"].startswith("2026-11-27T09:00:00")
    assert seen["refusal_reason"] is None and seen["changes"] == {"last_name": "Dupont-Martin"}
    queued = [r["request_id"] for r in body(api.call("GET", "/staff/data-requests", token=staff))["requests"]]
    assert first["request_id"] not in queued and second["request_id"] in queued
    assert dead_letters(aws) == []
    # audited once, in the change's transaction, by the projection, with the event as cause
    trail = [
        i
        for i in scan(aws.table_names[d.AUDIT_LOG.logical_id])
        if i["subject"]["S"] == f"customer#{jeanne.customer_id}"
        and i["action"]["S"] == "rights.rectification.completed"
    ]
    assert len(trail) == 1 and trail[0]["target"]["S"] == f"rights#{first['request_id']}"
    assert trail[0]["actor"]["S"] == "system#projection" and trail[0]["request_id"]["S"] == f"rect-done-{tag}"
    # And Jeanne was told once, at her contact email, that the request was carried out (the notice audited)
    told = [m for m in emulation.outbox(to=jeanne.email) if first["request_id"] in m["body"]]
    assert len(told) == 1 and told[0]["subject"] == "Your personal data was corrected"
    assert "carried out" in told[0]["body"]
    notices = [
        i
        for i in scan(aws.table_names[d.AUDIT_LOG.logical_id])
        if i["subject"]["S"] == f"customer#{jeanne.customer_id}" and i["action"]["S"] == "rights.rectification.notified"
    ]
    assert [n["target"]["S"] for n in notices] == [f"rights#{first['request_id']}"]

    # When the CRM refuses Marco's, with a reason code
    _crm_answer(
        "RectificationRefused",
        f"rect-refused-{tag}",
        customer_id=marco.customer_id,
        request_id=second["request_id"],
        refused_at="2026-11-27T10:00:00Z",
        reason="supporting_document_missing",
    )
    # Then Marco sees it refused, with the reason code; staff see it off the queue
    seen = body(api.call("GET", f"/account/data-requests/{second['request_id']}", token=marco_token))
    assert seen["status"] == "refused" and seen["refusal_reason"] == "supporting_document_missing"
    told = [m for m in emulation.outbox(to=marco.email) if second["request_id"] in m["body"]]
    assert len(told) == 1 and told[0]["subject"] == "Your request to correct your personal data was refused"
    assert "supporting_document_missing" in told[0]["body"]
    queued = [r["request_id"] for r in body(api.call("GET", "/staff/data-requests", token=staff))["requests"]]
    assert second["request_id"] not in queued

    # When answers name an answered request, another customer's request, an unknown one, or an access request
    access = body(ask(api, jeanne_token))
    _crm_answer("RectificationRefused", f"rect-again-{tag}", customer_id=jeanne.customer_id,
                request_id=first["request_id"], refused_at="2026-11-27T11:00:00Z", reason="late")  # fmt: skip
    _crm_answer("RectificationCompleted", f"rect-other-{tag}", customer_id=jeanne.customer_id,
                request_id=second["request_id"], completed_at="2026-11-27T11:00:00Z")  # fmt: skip
    _crm_answer("RectificationCompleted", f"rect-none-{tag}", customer_id=jeanne.customer_id,
                request_id="DSR-0000000000000000", completed_at="2026-11-27T11:00:00Z")  # fmt: skip
    _crm_answer("RectificationCompleted", f"rect-access-{tag}", customer_id=jeanne.customer_id,
                request_id=access["request_id"], completed_at="2026-11-27T11:00:00Z")  # fmt: skip
    # Then each is a dead letter with its reason code, and nothing changed
    letters = dead_letters(aws)
    assert sorted((reason, letter["event_id"]) for reason, letter in letters) == sorted(
        [
            ("request_not_awaiting_crm", f"rect-again-{tag}"),
            ("unknown_request", f"rect-other-{tag}"),
            ("unknown_request", f"rect-none-{tag}"),
            ("unknown_request", f"rect-access-{tag}"),
        ]
    )
    assert body(api.call("GET", f"/account/data-requests/{first['request_id']}", token=jeanne_token))["status"] == (
        "completed"
    )
    marco_seen = body(api.call("GET", f"/account/data-requests/{second['request_id']}", token=marco_token))
    assert marco_seen["status"] == "refused" and marco_seen["closed_at"].startswith("2026-11-27T10:00:00")
    access_seen = body(api.call("GET", f"/account/data-requests/{access['request_id']}", token=jeanne_token))
    assert access_seen["status"] in ("queued", "ready") and access_seen["closed_at"] is None


def test_a_refused_identity_document_deletes_it_and_takes_the_request_off_the_queue(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given a letter asking for access, with an identity document uploaded and looked at
    customer = world.customers[0]
    token = staff_token(api, world)
    request = body(
        api.call(
            "POST",
            "/staff/data-requests",
            {"customer_id": customer.customer_id, "kind": "access", "channel": "letter"},
            token=token,
        )
    )
    base = f"/staff/customers/{customer.customer_id}/data-requests/{request['request_id']}"
    assert api.call("POST", f"{base}/identity-document", token=token).status == 201
    object_key = f"identity-documents/{request['request_id']}"
    boto3.client("s3").put_object(Bucket=aws.rights_bucket, Key=object_key, Body=b"%PDF not the customer")
    assert api.call("GET", f"{base}/identity-document", token=token).status == 200
    # When the verifying advisor refuses it
    decided = api.call("POST", f"{base}/identity-document/verification", {"accepted": False}, token=token)
    # Then the request is refused, the document deleted, and the request is off the staff queue
    assert decided.status == 200, decided.body
    assert body(decided)["status"] == "refused" and body(decided)["downloads"] == []
    assert boto3.client("s3").list_objects_v2(Bucket=aws.rights_bucket, Prefix=object_key).get("KeyCount", 0) == 0
    queue = body(api.call("GET", "/staff/data-requests", token=token))["requests"]
    assert request["request_id"] not in [r["request_id"] for r in queue]


def test_a_staff_members_reads_of_the_requests_under_a_grant_are_audited(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given a customer's access request, and a sales staff member under an assisted-access grant for them
    customer = world.customers[0]
    token = api.login(customer.login_id, customer.password)["access_token"]
    request_id = body(ask(api, token))["request_id"]
    member = next(s for r, s in world.staff.items() if r.value == "sales")
    staff = str(api.staff_login(member.email, member.password)["access_token"])
    grant = body(
        api.call(
            "POST",
            "/staff/assisted-access",
            {"customer_id": customer.customer_id, "reason": "Customer asks where their request stands"},
            token=staff,
        )
    )["grant_id"]
    under_grant = {d.ASSISTED_ACCESS_HEADER: grant}

    # When the staff member lists the customer's requests and reads one
    listed = api.call("GET", "/account/data-requests", token=staff, headers=under_grant)
    one = api.call("GET", f"/account/data-requests/{request_id}", token=staff, headers=under_grant)

    # Then both reads answer, and each is in the customer's audit trail with the staff member and the grant
    assert listed.status == 200 and [r["request_id"] for r in body(listed)["requests"]] == [request_id]
    assert one.status == 200 and body(one)["downloads"] == []
    audit = boto3.resource("dynamodb").Table(aws.table_names["AuditLogTable"]).scan()["Items"]
    reads = sorted(
        (e["target"], e["actor"], e.get("grant_id"), e["on_behalf_of"])
        for e in audit
        if e["action"] == "rights.requests.viewed"
    )
    actor = f"staff#{member.staff_id}"
    on_behalf = f"customer#{customer.customer_id}"
    assert reads == [("rights", actor, grant, on_behalf), (f"rights#{request_id}", actor, grant, on_behalf)]
