"""e2e on the local stack over real HTTP: see the amount due and the invoices, download an invoice PDF
through its presigned URL (served by moto), and see usage with a cursor."""

from __future__ import annotations

import urllib.request
from typing import Any

from tests.e2e.conftest import Client, LocalStack


def _token(client: Client, stack: LocalStack) -> str:
    customer: dict[str, Any] = stack.customer(0)
    return str(client.login(customer["login_id"], customer["password"])["access_token"])


def test_invoices_and_their_pdf_through_a_presigned_url(client: Client, local_stack: LocalStack) -> None:
    token = _token(client, local_stack)
    summary = client.call("GET", "/billing", token=token)
    assert summary.status == 200, summary.text
    invoices = client.call("GET", "/billing/invoices", token=token).json()["invoices"]
    downloadable = [i for i in invoices if i["downloadable"]]
    assert downloadable, invoices
    link = client.call("GET", f"/billing/invoices/{downloadable[0]['invoice_id']}/pdf", token=token)
    assert link.status == 200, link.text
    with urllib.request.urlopen(link.json()["url"], timeout=10) as response:  # noqa: S310 - the local moto server
        document = response.read()
    assert document.startswith(b"%PDF")
