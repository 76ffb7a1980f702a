"""The PII sweep (issue 9, section 2): one customer with a distinctive marker in every personal field of every
store, written through the real routes and the real projection where they exist (the dal or a raw item where a
route needs the outside world: a SIM claim, a payment started at the provider, an account link); every item
written is on the personal-data registry; then termination, both steps (their schedules) and the daily
reconciliation; then every table and the invoices bucket are scanned: no marker is left, the consents' history
and the audit entries are still there, the connection-log entries keep no direct identifier, and the other
customers' data is untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from selfcare.auth.models import Credential
from selfcare.auth.policy import PrincipalType
from selfcare.auth.wiring import build_auth_service
from selfcare.clock import add_months, iso
from selfcare.config import AuthSettings
from selfcare.dal.line_items import LineItemsRepository
from selfcare.privacy import registry
from selfcare.privacy.registry import Action

from infra import definitions as d
from infra.local import emulation
from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body
from tests.integration.test_activation import solved
from tests.integration.test_retention import crm, pending_steps, projection_at, terminate

CUSTOMER = "C0777"
PASSWORD = "Zqx-sweep-password-2026!"
PHONE = "+33612999777"
LINE_ID = "M-33612999777"  # line ids hold the phone number
ICCID = "89330123456789997771"
# Every marker below is written into at least one personal field; none may survive the anonymisation.
MARKERS = ("zqx", "612999777", "499999777", "699888777", "997771")


def markers_in(value: Any) -> list[str]:
    text = json.dumps(value, default=str).lower()
    return [m for m in MARKERS if m in text]


def scan(table: str) -> list[dict[str, Any]]:
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [item for page in pages for item in page.get("Items", [])]


def key_values(table: d.Table, item: dict[str, Any]) -> tuple[str, str | None]:
    pk = item[table.partition_key.name]["S"]
    sk = item[table.sort_key.name]["S"] if table.sort_key else None
    return pk, sk


def seed_the_customer(api: Api, world: DemoWorld, aws: LocalResources) -> dict[str, str]:
    """Everything a customer leaves in Selfcare, with markers; returns the tokens."""
    customers_table = aws.table_names[d.CUSTOMERS.logical_id]
    address = {"line1": "1 rue Zqx", "postal_code": "06000", "city": "Zqxville", "country": "FR"}
    record = {
        "customer_id": CUSTOMER,
        "account_number": "100200777",
        "customer_type": "business",
        "last_name": "Zqxlast",
        "first_name": "Zqxfirst",
        "company_name": "Zqx Corp",
        "trade_name": "Zqx Trade",
        "address": address,
        "sales_representative": {"name": "Zqx Rep", "email": "zqx.rep@operator.example", "phone": "+37797999777"},
        "contact_email": "zqx.mail@example.org",
        "contact_mobile": PHONE,
        "contact_landline": "+33499999770",
        "service_secret_code": "4821",
        "digital_identity_id": "MCID-ZQX0001",
        "billing": {
            "address": address | {"line1": "2 chemin Zqx"},
            "invoice_type": "electronic",
            "payment_method": {"kind": "direct_debit", "masked": "FR76 **** **** **** 0189", "holder": "Zqx Holder"},
        },
    }
    # The CRM: the record, an invoice (its PDF in the bucket), a payment, usage on the line.
    crm("CustomerCreated", event_id="sweep-evt-1", entity_version=1, customer=record)
    now = datetime.now(UTC)
    invoice_key = f"invoices/{CUSTOMER}/INV-2026-0777.pdf"
    crm(
        "InvoiceIssued",
        event_id="sweep-evt-2",
        entity_version=1,
        customer_id=CUSTOMER,
        invoice={
            "invoice_id": "INV-2026-0777",
            "issued_at": iso(now - timedelta(days=20)),
            "due_date": (now - timedelta(days=5)).date().isoformat(),
            "amount_cents": 5990,
            "currency": "EUR",
            "pdf_reference": invoice_key,
        },
    )
    s3 = boto3.client("s3")
    s3.put_object(Bucket=aws.invoices_bucket, Key=invoice_key, Body=b"%PDF Zqxlast Zqxfirst 1 rue Zqx")
    s3.put_object(Bucket=aws.invoices_bucket, Key="invoices/C0001/INV-KEEP.pdf", Body=b"%PDF Jeanne")
    crm(
        "PaymentReceived",
        event_id="sweep-evt-3",
        entity_version=1,
        customer_id=CUSTOMER,
        payment={
            "payment_id": "PAY-0777-1",
            "received_at": iso(now - timedelta(days=4)),
            "amount_cents": 5990,
            "currency": "EUR",
            "method": {"kind": "direct_debit", "masked": "FR76 **** **** **** 0189"},
            "invoice_id": "INV-2026-0777",
        },
    )
    crm(
        "UsageRecordsBatch",
        event_id="sweep-evt-4",
        entity_version=1,
        customer_id=CUSTOMER,
        batch_id="B-0777-1",
        records=[
            {
                "record_id": f"U-{n}",
                "line_id": LINE_ID,
                "line_number": PHONE,
                "started_at": iso(now - timedelta(days=3, minutes=n)),
                "type": "CALL" if n % 2 else "SMS",
                "origin_country": "FR",
                "destination_country": "FR",
                "called_number": "+33699888777",
                "duration_seconds": 60,
                "amount_excl_tax_cents": 10,
            }
            for n in range(4)
        ],
    )
    # The line (the CRM's product inventory is another issue: the dal writes it as the seed does) and its SIM.
    client = boto3.client("dynamodb")
    client.put_item(
        TableName=customers_table,
        Item={
            "pk": {"S": f"CUSTOMER#{CUSTOMER}"},
            "sk": {"S": f"LINE#{LINE_ID}"},
            "line_id": {"S": LINE_ID},
            "line_type": {"S": "mobile"},
            "offer": {"S": "Pro 200 Go"},
            "number": {"S": PHONE},
            "status": {"S": "active"},
            "details": {"M": {"user": {"S": "Zqx User"}, "puk": {"S": "12345678"}}},
            "iccid": {"S": ICCID},
        },
    )
    LineItemsRepository(customers_table).claim_iccid(CUSTOMER, LINE_ID, ICCID)
    # A payment started in the space (its provider reference), and an account link with Jeanne (both sides).
    paid_sk = f"PAYMENT#{iso(now)}#PAY-0777-2"
    for item in (
        {
            "pk": f"CUSTOMER#{CUSTOMER}",
            "sk": paid_sk,
            "payment_id": "PAY-0777-2",
            "redirect_url": "https://p.example/zqx",
        },
        {"pk": "PAYREF#PAY-0777-2", "sk": "PAYREF#PAY-0777-2", "customer_id": CUSTOMER, "payment_sk": paid_sk},
        {
            "pk": f"CUSTOMER#{CUSTOMER}",
            "sk": "LINK#100200300",
            "linked_customer_id": "C0001",
            "account_number": "100200777",
        },
        {"pk": "CUSTOMER#C0001", "sk": "LINK#100200777", "linked_customer_id": CUSTOMER, "account_number": "100200300"},
    ):
        client.put_item(TableName=customers_table, Item={k: {"S": v} for k, v in item.items()})
    # The customer's credential (activation), then the routes: logins, ticket, consent, contact changes, a grant.
    build_auth_service(AuthSettings.from_env()).enrolment.enrol(
        Credential(
            principal_type=PrincipalType.CUSTOMER,
            principal_id=CUSTOMER,
            password_hash="",
            password_changed_at=0,
            login_id="zqxlogin",
            email="zqx.mail@example.org",
            phone=PHONE,
            account_number="100200777",
            digital_identity_id="MCID-ZQX0001",
        ),
        PASSWORD,
    )
    wrong = api.call("POST", "/auth/login", {"identifier": "zqx.mail@example.org", "password": "Wrong-password-000"})
    assert wrong.status == 401
    tokens = api.login("zqxlogin", PASSWORD)
    token = tokens["access_token"]
    ticket = api.call(
        "POST",
        "/account/tickets",
        {
            "category": "line",
            "subject": "Zqx subject",
            "description": "Zqxfirst here, call me on +33612999777",
            "related_line_id": LINE_ID,
        },
        token=token,
        headers={"Idempotency-Key": "zqx-ticket-0001"},
    )
    assert ticket.status == 201, ticket.body
    assert api.call("PUT", "/account/consents/newsletter", {"granted": True}, token=token).status == 200
    landline = api.call("PUT", "/account/contact/landline", {"landline": "+33499999777"}, token=token)
    assert landline.status == 200, landline.body
    email = api.call("PUT", "/account/contact/email", {"email": "zqx.new@example.org"}, token=token)
    assert email.status == 202, email.body
    advisor = world.staff[next(iter(world.staff))]
    staff_token = api.staff_login(advisor.email, advisor.password)["access_token"]
    grant = api.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": CUSTOMER, "reason": "Zqxfirst called about the line", "duration_minutes": 30},
        token=staff_token,
    )
    assert grant.status == 201, grant.body
    headers = {"X-Assisted-Access": body(grant)["grant_id"]}
    assert api.call("GET", "/account", token=staff_token, headers=headers).status == 200
    assert api.call("POST", "/auth/password/forgot", {"identifier": "zqxlogin", "captcha": solved(api)}).status == 202
    return tokens


def test_every_item_written_is_on_the_registry_and_nothing_personal_survives_the_anonymisation(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given the customer with a marker in every personal field of every store
    seed_the_customer(api, world, aws)
    names = {table.logical_id: aws.table_names[table.logical_id] for table in d.TABLES}
    # every item of every table belongs to a store of the registry (a new store without an entry fails here)
    unregistered = []
    for table in d.TABLES:
        for item in scan(names[table.logical_id]):
            pk, sk = key_values(table, item)
            if table.logical_id in registry.NON_PERSONAL_TABLES:
                assert not markers_in(item), (table.logical_id, pk, sk)  # the usage statistics: no personal data
                continue
            if registry.store_of(table.logical_id, pk, sk) is None:
                unregistered.append((table.logical_id, pk.split("#")[0], (sk or "").split("#")[0]))
    assert not unregistered, sorted(set(unregistered))
    before = {table.logical_id: scan(names[table.logical_id]) for table in d.TABLES}
    seeded = {logical_id: sum(1 for i in items if markers_in(i)) for logical_id, items in before.items()}
    for table in (d.CUSTOMERS, d.CREDENTIALS, d.SESSIONS, d.CONNECTION_LOG):
        assert seeded[table.logical_id] > 0, table.logical_id  # the sweep below proves something

    # When the contract ends, both steps run from their schedules, and the reconciliation runs
    terminated_at = datetime.now(UTC) - timedelta(days=1)
    terminate(CUSTOMER, terminated_at)
    scheduler = boto3.client("scheduler")
    for due in (add_months(terminated_at, 1), add_months(terminated_at, 60)):
        service = projection_at(due)
        fired = emulation.fire_due_schedules(
            scheduler,
            d.ANONYMISATION_SCHEDULE_GROUP,
            lambda event, context, service=service: service.handle(event, context.invoked_function_arn),
            due,
        )
        assert [o.value for o in fired] == ["applied"]
    report = projection_at(add_months(terminated_at, 60) + timedelta(days=2)).retention.reconcile()
    assert report.total == 0  # nothing was left behind
    assert pending_steps(aws, CUSTOMER) == []

    # Then no marker is left anywhere: every table, and the bucket
    left: dict[str, list[tuple[str, str | None, list[str]]]] = {}
    after = {table.logical_id: scan(names[table.logical_id]) for table in d.TABLES}
    for table in d.TABLES:
        for item in after[table.logical_id]:
            found = markers_in(item)
            if found:
                left.setdefault(table.logical_id, []).append((*key_values(table, item), found))
    # The audit trail is append-only and pseudonymous by construction (issue 9, section 3, another change):
    # the anonymisation has no right on it; whatever it holds is reported, never erased here.
    audit_markers = left.pop(d.AUDIT_LOG.logical_id, [])
    assert left == {}
    assert audit_markers == [], f"audit entries with a direct identifier (section 3's part): {audit_markers}"
    objects = boto3.client("s3").list_objects_v2(Bucket=aws.invoices_bucket).get("Contents", [])
    assert [o["Key"] for o in objects] == ["invoices/C0001/INV-KEEP.pdf"]  # the other customer's stays

    customers = after[d.CUSTOMERS.logical_id]
    mine = {i["sk"]["S"]: i for i in customers if i["pk"]["S"] == f"CUSTOMER#{CUSTOMER}"}
    # the consents' history is kept; the profile keeps what accounting needs
    assert [sk for sk in mine if sk.startswith("CONSENT#newsletter#")]
    assert mine["PROFILE"]["account_number"] == {"S": "100200777"} and "anonymised_at" in mine["PROFILE"]
    assert set(mine) == {"PROFILE", "BILLING", *[sk for sk in mine if sk.startswith(("CONSENT#", "TICKET#"))]}
    # the audit entries are still there, untouched, followed by the system's own: termination, hide, anonymisation
    audit = [i for i in after[d.AUDIT_LOG.logical_id] if i["subject"]["S"] == f"customer#{CUSTOMER}"]
    earlier = [i for i in before[d.AUDIT_LOG.logical_id] if i["subject"]["S"] == f"customer#{CUSTOMER}"]
    assert earlier and all(entry in audit for entry in earlier)
    system = [i["action"]["S"] for i in audit if i not in earlier]
    assert system == ["customer.terminated", "customer.hidden", "customer.anonymised"]
    # the connection-log entries are kept (12 months) without any direct identifier
    connections = [i for i in after[d.CONNECTION_LOG.logical_id] if i["principal"]["S"] == f"customer#{CUSTOMER}"]
    assert len(connections) == 2  # the failed login (it named the email) and the successful one
    for entry in connections:
        assert not {"login_used", "digital_identity_id", "account_number"} & set(entry)
        assert entry["status"]["S"] and entry["at"]["S"]
    # the other customers keep everything but their side of the link
    jeanne = {i["sk"]["S"] for i in customers if i["pk"]["S"] == "CUSTOMER#C0001"}
    assert "PROFILE" in jeanne and "LINK#100200777" not in jeanne
    # what is left of the customer is only in stores whose registry entry says so
    for table in d.TABLES:
        for item in after[table.logical_id]:
            if CUSTOMER in json.dumps(item):
                store = registry.store_of(table.logical_id, *key_values(table, item))
                assert store is not None
                assert store.anonymisation in {
                    Action.ANONYMISE_PROFILE,
                    Action.ERASE_FIELDS,
                    Action.KEEP,
                    Action.KEEP_PSEUDONYMOUS,
                    Action.EXPIRES,
                }, (table.logical_id, store.name)
