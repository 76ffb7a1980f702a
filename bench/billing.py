"""Capability `billing`: DynamoDB calls per request, and the cost of a usage page with 10,000 records.

`rows()` returns (route, authorizer calls, handler calls, target) like bench/lines.py, counted with
botocore before-call hooks through the emulated API Gateway on in-process moto (the payment provider
replaced by the in-memory fake). Reads: 1 call (the summary GetItem; one Query bounded by the age
limit; the invoice alias GetItem). The usage listing: 1 Query per page.

`usage_page_cost()` stores 10,000 usage records on one line and walks every page of the listing through
the API: for the first and the last page it reports the DynamoDB calls, the items read (ScannedCount)
and the consumed capacity. One partition per line, a key condition only (no filter expression) and
the position carried by the signed cursor (ExclusiveStartKey): the last page costs what the first does.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from bench.counting import count_calls, is_usage_write
from bench.world import local_stack

LINE = "M-377612345678"
RECORDS = 10_000
PAGE = 100


@contextlib.contextmanager
def _local_stack() -> Iterator[tuple[Any, Any, Any]]:
    """The bench world, with an in-memory payment provider in the billing handler."""
    from tests.fakes import InMemoryPaymentProvider

    with local_stack() as (gateway, world, resources):
        gateway.handlers["billing"].service.provider = InMemoryPaymentProvider()
        yield gateway, world, resources


def _login(gateway: Any, customer: Any) -> dict[str, str]:
    response = gateway.handle(
        "POST",
        "/auth/login",
        {"Content-Type": "application/json"},
        json.dumps({"identifier": customer.login_id, "password": customer.password}),
    )
    return {"Content-Type": "application/json", "Authorization": f"Bearer {json.loads(response.body)['access_token']}"}


def _seed_billing(resources: Any) -> None:
    from selfcare.billing.models import Invoice, UsageRecord, UsageType
    from selfcare.clock import iso
    from selfcare.dal.billing import BillingRepository
    from selfcare.dal.invoice_documents import InvoiceDocuments, invoice_key

    repository = BillingRepository(os.environ["CUSTOMERS_TABLE"])
    now = datetime.now(UTC)
    key = invoice_key("C0001", "INV-BENCH-1")
    repository.put_invoice(
        Invoice("INV-BENCH-1", "C0001", iso(now - timedelta(days=10)), 4990, "EUR", "2030-01-01", pdf_key=key), 1
    )
    InvoiceDocuments(resources.invoices_bucket).put_pdf(key, b"%PDF-1.4 bench")
    repository.put_usage_records(
        [UsageRecord("U-B1", "C0001", LINE, "+377612345678", iso(now - timedelta(hours=1)), UsageType.CALL, "MC", "FR",
                     "+33612345678", duration_seconds=60, amount_excl_tax_cents=10)]
    )  # fmt: skip


def rows() -> list[tuple[str, int, int, str]]:

    found: list[tuple[str, int, int, str]] = []
    with _local_stack() as (gateway, world, resources):
        _seed_billing(resources)
        counts = count_calls(gateway)
        headers = _login(gateway, world.customers[0])
        requests: list[tuple[str, str, dict[str, str] | None, Any, int, str]] = [
            ("GET", "/billing", None, None, 200, "1"),
            ("GET", "/billing/settings", None, None, 200, "1"),
            ("GET", "/billing/invoices", None, None, 200, "1"),
            ("GET", "/billing/invoices/INV-BENCH-1/pdf", None, None, 200, "1 (the URL is signed locally)"),
            ("GET", "/billing/payments", None, None, 200, "1"),
            ("GET", "/billing/usage", {"line_id": LINE}, None, 200, "1"),
            ("GET", "/billing/usage/export", {"line_id": LINE}, None, 200, "1 per 1,000 records"),
            ("PUT", "/billing/settings/invoice-type", None, {"invoice_type": "paper"}, 200,
             "2: read, transaction (settings + audit)"),
            ("POST", "/billing/payments", None, None, 201,
             "3: read, transaction (payment, reference, summary, audit), redirect URL"),
            ("POST", "/billing/payments", None, None, 201, "2: read summary, read the pending payment (repeated)"),
        ]  # fmt: skip
        for method, path, query, payload, expect, target in requests:
            counts.clear()
            response = gateway.handle(method, path, headers, json.dumps(payload) if payload else None, query=query)
            if response.status != expect:
                raise SystemExit(f"{method} {path}: {response.status} {response.body!r}")
            route = f"{method} {path.replace('INV-BENCH-1', '{invoice_id}')}"
            label = route + (" (repeated)" if any(r[0] == route for r in found) else "")
            found.append((label, counts["authorizer"], counts["handler"], target))
    return found


def usage_page_cost(records: int = RECORDS, page: int = PAGE) -> dict[str, Any]:
    """Walk every page of one line's usage (`records` records, `page` a page) through the API; the cost
    of the first and of the last page: DynamoDB calls, items read (ScannedCount), capacity consumed."""
    from selfcare import aws
    from selfcare.billing.models import UsageRecord, UsageType
    from selfcare.clock import iso
    from selfcare.dal.billing import BillingRepository

    with _local_stack() as (gateway, world, _):
        now = datetime.now(UTC)
        BillingRepository(os.environ["CUSTOMERS_TABLE"]).put_usage_records(
            [
                UsageRecord(f"R{n:05d}", "C0001", LINE, "+377612345678", iso(now - timedelta(minutes=n + 1)),
                            UsageType.DATA, "MC", "MC", None, volume_bytes=1024 * n, amount_excl_tax_cents=0)
                for n in range(records)
            ]
        )  # fmt: skip
        headers = _login(gateway, world.customers[0])
        current: dict[str, Any] = {}
        client = aws.client("dynamodb")

        def before(model: Any = None, params: Any = None, **_: Any) -> None:
            if is_usage_write(model, params):  # the usage statistics' write, counted apart
                current["usage_writes"] = current.get("usage_writes", 0) + 1
                return
            current["calls"] = current.get("calls", 0) + 1

        def after(parsed: dict[str, Any], **_: Any) -> None:
            current["items_read"] = current.get("items_read", 0) + int(parsed.get("ScannedCount", 0))
            capacity = parsed.get("ConsumedCapacity") or {}
            current["capacity_units"] = current.get("capacity_units", 0.0) + float(capacity.get("CapacityUnits", 0.0))

        client.meta.events.register("before-call.dynamodb", before)
        client.meta.events.register("after-call.dynamodb.Query", after)
        pages: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {"line_id": LINE, "limit": str(page)} | ({"cursor": cursor} if cursor else {})
            current.clear()
            response = gateway.handle("GET", "/billing/usage", headers, None, query=query)
            if response.status != 200:
                raise SystemExit(f"usage page {len(pages) + 1}: {response.status} {response.body!r}")
            answer = json.loads(response.body)
            # Calls of the billing handler only: the authorizer's session read is the same for every page.
            pages.append({"records": len(answer["records"]), **current})
            cursor = answer.get("next_cursor")
            if not cursor:
                break
            quote(cursor)
        with_records = [p for p in pages if p["records"]]
        return {
            "records": records,
            "page_size": page,
            "pages": len(pages),
            "first": with_records[0],
            "last": with_records[-1],
            "trailing_empty_pages": len(pages) - len(with_records),
        }


if __name__ == "__main__":
    for label, authorizer_calls, handler_calls, target in rows():
        print(f"| {label} | {authorizer_calls} | {handler_calls} | {target} |")
    print(json.dumps(usage_page_cost(), indent=2))
