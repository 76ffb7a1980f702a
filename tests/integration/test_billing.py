"""Capability `billing` through the emulated API Gateway, on moto: ownership (404), the role matrix
(BANKING for banking information), 422 with locations, payments (double submission, webhook forgery
and replay, provider decline and timeout), the 6- and 12-month limits at the exact edge, cursors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest
from moto import mock_aws
from selfcare.auth.policy import ROLE_PERMISSIONS, Permission, StaffRole
from selfcare.billing.models import Invoice, Payment, PaymentStatus, UsageRecord, UsageType
from selfcare.billing.signing import SIGNATURE_HEADER, sign_webhook
from selfcare.clock import add_months, iso
from selfcare.dal import crm_outbox, dynamo
from selfcare.dal.billing import BillingRepository
from selfcare.dal.invoice_documents import InvoiceDocuments, invoice_key

from infra.local.gateway import Gateway, HttpResponse
from infra.local.resources import LocalResources, create_resources
from tests.conftest import FAST_HASHING
from tests.factories import DemoWorld, grant_conditions, seed_world
from tests.fakes import FixedClock, InMemoryPaymentProvider
from tests.integration.conftest import Api, body, check_contract

GRANT_HEADER = "X-Assisted-Access"
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
LINE = "M-377612345678"  # C0001's
VALID_IBAN = "FR7630006000011234567890189"


@dataclass
class Ctx:
    api: Api
    world: DemoWorld
    resources: LocalResources
    provider: InMemoryPaymentProvider
    clock: FixedClock
    tokens: dict[str, str] = field(default_factory=dict)
    staff: dict[tuple[StaffRole, str], tuple[str, str]] = field(default_factory=dict)

    @property
    def service(self) -> Any:
        return self.api.gateway.handlers["billing"].service

    def call(self, method: str, path: str, payload: Any = None, customer: str = "C0001", **kw: Any) -> HttpResponse:
        return call(self.api, method, path, payload, token=self.tokens[customer], **kw)

    def as_staff(
        self, role: StaffRole, method: str, path: str, payload: Any = None, customer: str = "C0001"
    ) -> HttpResponse:
        if (role, customer) not in self.staff:
            member = self.world.staff[role]
            token = self.api.staff_login(member.email, member.password)["access_token"]
            granted = self.api.call(
                "POST",
                "/staff/assisted-access",
                {"customer_id": customer, "reason": "Customer asked about a bill", "duration_minutes": 30}
                | grant_conditions(customer),
                token=token,
            )
            assert granted.status == 201, granted.body
            self.staff[(role, customer)] = (token, body(granted)["grant_id"])
        token, grant = self.staff[(role, customer)]
        return call(self.api, method, path, payload, token=token, headers={GRANT_HEADER: grant})

    def webhook(self, payload: dict[str, Any], *, secret: str | None = None, at: int | None = None) -> HttpResponse:
        raw = json.dumps(payload)
        timestamp = int(self.clock.now().timestamp()) if at is None else at
        signature = sign_webhook((secret or self.resources.payment_webhook_secret).encode(), timestamp, raw)
        return self.api.call("POST", "/billing/payments/webhook", raw_body=raw, headers={SIGNATURE_HEADER: signature})


def call(
    api: Api,
    method: str,
    path: str,
    payload: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """Api.call with a query string (the emulated gateway takes it apart, as API Gateway does)."""
    url = urlsplit(path)
    all_headers = {"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/140.0"}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers |= headers or {}
    query = dict(parse_qsl(url.query)) or None
    raw = json.dumps(payload) if payload is not None else None
    response = api.gateway.handle(method, url.path, all_headers, raw, query=query, source_ip="203.0.113.10")
    check_contract(method, url.path, response)
    return response


def repo() -> BillingRepository:
    import os

    return BillingRepository(os.environ["CUSTOMERS_TABLE"])


def invoice(customer: str, invoice_id: str, issued: datetime, amount: int = 4990) -> Invoice:
    return Invoice(invoice_id, customer, iso(issued), amount, "EUR", (issued + timedelta(days=20)).date().isoformat(),
                   pdf_key=invoice_key(customer, invoice_id))  # fmt: skip


def usage(customer: str, line: str, record_id: str, started: datetime, kind: UsageType = UsageType.CALL) -> UsageRecord:
    return UsageRecord(
        record_id, customer, line, "+377612345678", iso(started), kind, "MC", "FR", "+33612345678",
        duration_seconds=61 if kind is UsageType.CALL else None, quantity=1 if kind is UsageType.SMS else None,
        volume_bytes=2048 if kind is UsageType.DATA else None, amount_excl_tax_cents=15,
    )  # fmt: skip


@pytest.fixture(scope="module")
def ctx() -> Iterator[Ctx]:
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        resources = create_resources(boto3.Session(region_name="eu-west-3"))
        for name, value in (resources.merged_environment() | FAST_HASHING).items():
            patch.setenv(name, value)
        dynamo.reset_client()
        world = seed_world(resources)  # the demo bills too: the assertions below name this module's own
        api = Api(Gateway())
        context = Ctx(api, world, resources, InMemoryPaymentProvider(), FixedClock(NOW))
        context.service.provider = context.provider
        context.service.clock = context.clock
        for customer in world.customers:
            context.tokens[customer.customer_id] = api.login(customer.login_id, customer.password)["access_token"]
        r = repo()
        documents = InvoiceDocuments(resources.invoices_bucket)
        for customer in ("C0001", "C0002"):
            first = invoice(customer, f"INV-{customer}-1", NOW - timedelta(days=40))
            r.put_invoice(first, 1)
            documents.put_pdf(first.pdf_key or "", b"%PDF-1.4 demo")
            r.put_usage_records(
                [usage(customer, LINE if customer == "C0001" else "M-377623456780", "U1", NOW - timedelta(days=3))]
            )
        yield context
        dynamo.reset_client()


def _other(customer: str) -> str:
    return "C0002" if customer == "C0001" else "C0001"


# Ownership -------------------------------------------------------------------------------------
def test_another_customers_invoice_and_line_answer_404_like_unknown_ones(ctx: Ctx) -> None:
    mine = ctx.call("GET", "/billing/invoices/INV-C0001-1/pdf")
    assert mine.status == 200, mine.body
    theirs = ctx.call("GET", "/billing/invoices/INV-C0002-1/pdf")
    unknown = ctx.call("GET", "/billing/invoices/INV-NOPE/pdf")
    assert theirs.status == unknown.status == 404
    assert body(theirs)["error"]["code"] == body(unknown)["error"]["code"] == "not_found"
    for path in ("/billing/usage?line_id=M-377623456780", "/billing/usage/export?line_id=M-377623456780"):
        assert ctx.call("GET", path).status == 404, path
        assert ctx.call("GET", path.replace("M-377623456780", "X-UNKNOWN")).status == 404
    assert ctx.call("GET", f"/billing/usage?line_id={LINE}").status == 200


def test_lists_show_only_my_records(ctx: Ctx) -> None:
    mine = [i["invoice_id"] for i in body(ctx.call("GET", "/billing/invoices"))["invoices"]]
    theirs = [i["invoice_id"] for i in body(ctx.call("GET", "/billing/invoices", customer="C0002"))["invoices"]]
    assert "INV-C0001-1" in mine and "INV-C0002-1" not in mine
    assert "INV-C0002-1" in theirs and not set(mine) & set(theirs)


def test_a_cursor_of_another_customer_or_query_or_tampered_is_refused(ctx: Ctx) -> None:
    repo().put_usage_records([usage("C0001", LINE, f"P{i}", NOW - timedelta(days=4, minutes=i)) for i in range(5)])
    page = body(ctx.call("GET", f"/billing/usage?line_id={LINE}&limit=2"))
    cursor = page["next_cursor"]
    assert cursor
    assert ctx.call("GET", f"/billing/usage?line_id={LINE}&limit=2&cursor={cursor}").status == 200
    theirs = ctx.call("GET", f"/billing/usage?line_id={LINE}&limit=2&cursor={cursor}", customer="C0002")
    assert theirs.status in (404, 422)  # their line does not exist for them, or the cursor is refused
    other_query = ctx.call("GET", f"/billing/usage?line_id={LINE}&limit=3&cursor={cursor}")
    assert other_query.status == 422 and body(other_query)["error"]["details"][0]["loc"] == ["query", "cursor"]
    tampered = cursor[:-1] + ("0" if cursor[-1] != "0" else "1")
    assert ctx.call("GET", f"/billing/usage?line_id={LINE}&limit=2&cursor={tampered}").status == 422


# Role matrix -------------------------------------------------------------------------------------
READS = ("/billing", "/billing/settings", "/billing/invoices", "/billing/payments", f"/billing/usage?line_id={LINE}",
         f"/billing/usage/export?line_id={LINE}", "/billing/invoices/INV-C0001-1/pdf")  # fmt: skip
CHANGES = (
    (
        "PUT",
        "/billing/settings/address",
        {"line1": "1 rue X", "postal_code": "06000", "city": "Nice", "country": "FR"},
        Permission.MODIFY,
    ),
    ("PUT", "/billing/settings/invoice-type", {"invoice_type": "paper"}, Permission.MODIFY),
    (
        "PUT",
        "/billing/settings/payment-method",
        {"kind": "direct_debit", "iban": VALID_IBAN, "holder": "J. Dupont"},
        Permission.BANKING,
    ),
)


@pytest.mark.parametrize("role", list(StaffRole))
def test_role_matrix(ctx: Ctx, role: StaffRole) -> None:
    for path in READS:
        response = ctx.as_staff(role, "GET", path)
        assert response.status == 200, (role, path, response.body)
    for method, path, payload, permission in CHANGES:
        response = ctx.as_staff(role, method, path, payload)
        expected = 200 if permission in ROLE_PERMISSIONS[role] else 403
        assert response.status == expected, (role, path, response.body)
    assert (role is StaffRole.CUSTOMER_SERVICE_ADVISOR) == (
        ctx.as_staff(role, *CHANGES[2][:3]).status == 403 and Permission.MODIFY in ROLE_PERMISSIONS[role]
    )


def test_banking_change_is_masked_audited_and_published(ctx: Ctx) -> None:
    response = ctx.call(
        "PUT", "/billing/settings/payment-method", {"kind": "direct_debit", "iban": "FR76 3000 6000 0112 3456 7890 189"}
    )
    assert response.status == 200, response.body
    assert body(response)["payment_method"]["masked"] == "FR76 **** 0189"
    assert VALID_IBAN not in ctx.call("GET", "/billing/settings").body
    raw = boto3.client("dynamodb").get_item(TableName=ctx.resources.table_names["CustomersTable"],
                                            Key={"pk": {"S": "CUSTOMER#C0001"}, "sk": {"S": "BILLING"}})  # fmt: skip
    assert VALID_IBAN not in json.dumps(raw["Item"])
    # The event for the CRM was written in the same transaction (the outbox), with the full IBAN for the CRM.
    events = crm_outbox.pending(ctx.resources.table_names["CustomersTable"], "C0001")
    event = next(e for e in reversed(events) if e.event_type == "PaymentMethodChanged")
    assert event.event_type == "PaymentMethodChanged" and event.customer_id == "C0001"
    assert event.payload["payment_method"]["iban"] == VALID_IBAN
    actions = [
        i["action"]
        for i in boto3.resource("dynamodb").Table(ctx.resources.table_names["AuditLogTable"]).scan()["Items"]
    ]
    assert "billing.payment_method_changed" in actions


# 422 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "payload", "loc"),
    [
        (
            "PUT",
            "/billing/settings/address",
            {"line1": "x", "postal_code": "06000", "city": "Nice", "country": "France"},
            ["body", "country"],
        ),
        ("PUT", "/billing/settings/invoice-type", {"invoice_type": "pigeon"}, ["body", "invoice_type"]),
        (
            "PUT",
            "/billing/settings/payment-method",
            {"kind": "direct_debit", "iban": "FR7630006000011234567890180"},
            ["body", "iban"],
        ),
        ("PUT", "/billing/settings/payment-method", {"kind": "card", "number": "4242424242424242"}, ["body", "kind"]),
        ("GET", "/billing/usage?line_id=M-1&type=FAX", None, ["query", "type"]),
        ("GET", "/billing/usage?line_id=M-1&limit=0", None, ["query", "limit"]),
        ("GET", "/billing/usage?line_id=M-1&from=yesterday", None, ["query", "from"]),
        ("GET", "/billing/usage", None, ["query", "line_id"]),
    ],
)
def test_bad_input_answers_422_with_locations(ctx: Ctx, method: str, path: str, payload: Any, loc: list[str]) -> None:
    response = ctx.call(method, path, payload)
    assert response.status == 422, response.body
    assert loc in [d["loc"] for d in body(response)["error"]["details"]]


# Payments ------------------------------------------------------------------------------------------
def _due(ctx: Ctx, customer: str = "C0001") -> int:
    return int(body(ctx.call("GET", "/billing", customer=customer))["amount_due_cents"])


def test_double_submission_charges_once_and_the_webhook_settles_it(ctx: Ctx) -> None:
    due = _due(ctx)
    assert due > 0
    first = ctx.call("POST", "/billing/payments", headers={"Idempotency-Key": "pay-key-0001"})
    again = ctx.call("POST", "/billing/payments", headers={"Idempotency-Key": "pay-key-0002"})
    plain = ctx.call("POST", "/billing/payments")
    assert first.status == again.status == plain.status == 201, first.body
    assert body(first)["payment_id"] == body(again)["payment_id"] == body(plain)["payment_id"]
    assert body(first)["redirect_url"].startswith("https://pay.example/hosted/")
    assert len(ctx.provider.payments) == 1
    payment_id = body(first)["payment_id"]
    # Forged: a signature made with another secret; stale: signed too long ago. Both refused, nothing settled.
    forged = ctx.webhook(
        {"webhook_id": "wh-f", "payment_id": payment_id, "status": "succeeded"}, secret="not-the-secret-" * 4
    )
    stale = ctx.webhook(
        {"webhook_id": "wh-s", "payment_id": payment_id, "status": "succeeded"}, at=int(NOW.timestamp()) - 301
    )
    unsigned = ctx.api.call(
        "POST",
        "/billing/payments/webhook",
        raw_body=json.dumps({"webhook_id": "x", "payment_id": payment_id, "status": "succeeded"}),
    )
    assert forged.status == stale.status == unsigned.status == 401
    assert body(forged)["error"]["code"] == "webhook_refused"
    assert _due(ctx) == due
    settled = ctx.webhook({"webhook_id": "wh-1", "payment_id": payment_id, "status": "succeeded"})
    assert settled.status == 200, settled.body
    assert body(settled) == {"payment_id": payment_id, "status": "succeeded"}
    replay = ctx.webhook({"webhook_id": "wh-1", "payment_id": payment_id, "status": "succeeded"})
    assert replay.status == 409 and body(replay)["error"]["code"] == "webhook_replayed"
    assert _due(ctx) == 0
    history = body(ctx.call("GET", "/billing/payments"))["payments"]
    assert (payment_id, "succeeded") in [(p["payment_id"], p["status"]) for p in history]
    assert ctx.call("POST", "/billing/payments").status == 409  # nothing to pay any more


def test_provider_decline_and_timeout_lose_nothing(ctx: Ctx) -> None:
    r = repo()
    r.put_invoice(invoice("C0002", "INV-C0002-2", NOW - timedelta(days=2), amount=1200), 1)
    due = _due(ctx, "C0002")
    ctx.provider.mode = "timeout"
    try:
        timeout = ctx.call("POST", "/billing/payments", customer="C0002")
        assert timeout.status == 504 and body(timeout)["error"]["code"] == "payment_provider_unavailable"
        pending = body(ctx.call("GET", "/billing", customer="C0002"))["pending_payment"]
        assert pending and pending["redirect_url"] is None and pending["amount_cents"] == due
        ctx.provider.mode = "ok"  # the provider is back: asking again reuses the same payment (and key)
        retried = ctx.call("POST", "/billing/payments", customer="C0002")
        assert retried.status == 201 and body(retried)["payment_id"] == pending["payment_id"]
        declined = ctx.webhook({"webhook_id": "wh-d", "payment_id": pending["payment_id"], "status": "declined"})
        assert declined.status == 200 and body(declined)["status"] == "failed"
        assert _due(ctx, "C0002") == due
        ctx.provider.mode = "decline"
        refused = ctx.call("POST", "/billing/payments", customer="C0002")
        assert refused.status == 402 and body(refused)["error"]["code"] == "payment_declined"
        assert body(ctx.call("GET", "/billing", customer="C0002"))["pending_payment"] is None
        history = body(ctx.call("GET", "/billing/payments", customer="C0002"))["payments"]
        statuses = sorted(p["status"] for p in history if p["source"] == "space")
        assert statuses == ["failed", "failed"] and _due(ctx, "C0002") == due
    finally:
        ctx.provider.mode = "ok"


def test_webhook_for_an_unknown_payment_answers_404(ctx: Ctx) -> None:
    assert ctx.webhook({"webhook_id": "wh-u", "payment_id": "pay_nope", "status": "succeeded"}).status == 404


# Age limits at the exact edge ------------------------------------------------------------------------
def test_invoices_12_months_and_payments_6_months_at_the_exact_edge(ctx: Ctx) -> None:
    r = repo()
    edge12, edge6 = add_months(NOW, -12), add_months(NOW, -6)
    r.put_invoice(invoice("C0001", "INV-EDGE-IN", edge12), 1)
    r.put_invoice(invoice("C0001", "INV-EDGE-OUT", edge12 - timedelta(milliseconds=1)), 1)
    for pid, at in (("PAY-EDGE-IN", edge6), ("PAY-EDGE-OUT", edge6 - timedelta(milliseconds=1))):
        r.apply_payment(Payment(pid, "C0001", iso(at), 100, "EUR", PaymentStatus.SUCCEEDED, "card **** 4242"), 1)
    invoices = [i["invoice_id"] for i in body(ctx.call("GET", "/billing/invoices"))["invoices"]]
    payments = [p["payment_id"] for p in body(ctx.call("GET", "/billing/payments"))["payments"]]
    assert "INV-EDGE-IN" in invoices and "INV-EDGE-OUT" not in invoices
    assert "PAY-EDGE-IN" in payments and "PAY-EDGE-OUT" not in payments
    assert ctx.call("GET", "/billing/invoices/INV-EDGE-OUT/pdf").status == 404


def test_usage_6_months_at_the_exact_edge_filtered_by_type_and_dates_and_csv(ctx: Ctx) -> None:
    edge = add_months(NOW, -6)
    r = repo()
    r.put_usage_records(
        [
            usage("C0001", "F-37797970000", "EDGE-IN", edge),
            usage("C0001", "F-37797970000", "EDGE-OUT", edge - timedelta(milliseconds=1)),
            usage("C0001", "F-37797970000", "SMS-1", NOW - timedelta(days=1), UsageType.SMS),
        ]
    )
    ours = {"EDGE-IN", "EDGE-OUT", "SMS-1"}
    listed = body(ctx.call("GET", "/billing/usage?line_id=F-37797970000&limit=200"))["records"]
    records = [x for x in listed if x["record_id"] in ours]
    assert [x["record_id"] for x in records] == ["SMS-1", "EDGE-IN"]
    assert set(records[0]) >= {"line_number", "started_at", "type", "origin_country", "destination_country"}
    assert set(records[0]) >= {"called_number", "duration_seconds", "quantity", "volume_bytes", "amount_excl_tax_cents"}
    sms = body(ctx.call("GET", "/billing/usage?line_id=F-37797970000&type=SMS&limit=200"))["records"]
    assert "SMS-1" in [x["record_id"] for x in sms] and all(x["type"] == "SMS" for x in sms)
    since = (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = body(ctx.call("GET", f"/billing/usage?line_id=F-37797970000&from={since}&limit=200"))["records"]
    assert [x["record_id"] for x in recent if x["record_id"] in ours] == ["SMS-1"]
    assert all(x["started_at"] >= iso(NOW - timedelta(days=30)) for x in recent)
    old = (NOW - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    clamped = body(ctx.call("GET", f"/billing/usage?line_id=F-37797970000&from={old}"))
    assert clamped["window_start"] == iso(edge)
    export = ctx.call("GET", "/billing/usage/export?line_id=F-37797970000")
    assert export.status == 200 and export.headers["Content-Type"].startswith("text/csv")
    lines = export.body.strip().splitlines()
    assert lines[0].startswith("line_number,started_at,type")
    assert iso(edge) in export.body and iso(edge - timedelta(milliseconds=1)) not in export.body
    assert "'+33612345678" in export.body  # no formula injection in spreadsheets


def test_invoice_pdf_url_is_presigned_and_short_lived(ctx: Ctx) -> None:
    answer = body(ctx.call("GET", "/billing/invoices/INV-C0001-1/pdf"))
    assert answer["expires_in_seconds"] == 300
    assert "X-Amz-Signature=" in answer["url"] and "X-Amz-Expires=300" in answer["url"]
