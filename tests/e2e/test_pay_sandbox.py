"""e2e on the local stack over real HTTP: a demo customer pays the amount due on the payment sandbox's hosted
page (infra/local/payment_sandbox.py), which signs and posts the webhook to POST /billing/payments/webhook
and sends the customer back to its return page; approved, nothing is due any more; declined, the payment is
recorded failed and the amount stays due."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.e2e.conftest import Client, LocalStack, Reply

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


def _token(client: Client, stack: LocalStack, index: int) -> str:
    customer: dict[str, Any] = stack.customer(index)
    return str(client.login(customer["login_id"], customer["password"])["access_token"])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _start_payment(client: Client, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The summary before, and the pending payment with its hosted page."""
    summary = client.call("GET", "/billing", token=token)
    assert summary.status == 200, summary.text
    before = summary.json()
    assert before["amount_due_cents"] > 0 and before["pending_payment"] is None, before
    started = client.call("POST", "/billing/payments", token=token, headers={"Idempotency-Key": "e2e-sandbox-pay"})
    assert started.status == 201, started.text
    payment = started.json()
    assert payment["status"] == "pending" and payment["amount_cents"] == before["amount_due_cents"]
    assert payment["redirect_url"], payment
    return before, payment


def _open_and_choose(redirect_url: str, decision: str, due: dict[str, Any]) -> Reply:
    """The customer's browser: the hosted page, then the chosen button (the redirect not followed)."""
    sandbox = Client(_origin(redirect_url))
    path = urlsplit(redirect_url).path
    page = sandbox.call("GET", path, headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html"), page.text
    cents = due["amount_due_cents"]
    assert f"{cents // 100}.{cents % 100:02d} {due['currency']}" in page.text
    assert 'value="approve"' in page.text and 'value="decline"' in page.text
    return sandbox.call("POST", path, raw=f"decision={decision}", headers=FORM)


def _returned(reply: Reply, redirect_url: str) -> tuple[str, dict[str, list[str]]]:
    """Asserts a 303 to the sandbox's return page; the page's path and query, and the query's values."""
    assert reply.status == 303, reply.text
    location = urlsplit(reply.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == _origin(redirect_url) and location.path == "/returned"
    return f"{location.path}?{location.query}", parse_qs(location.query)


def test_paying_the_amount_due_on_the_sandbox_page(client: Client, local_stack: LocalStack) -> None:
    assert any(line.startswith("Payment sandbox ") for line in local_stack.output), "no banner line"
    # Given a demo customer with an amount due, who starts paying it
    token = _token(client, local_stack, 0)
    before, payment = _start_payment(client, token)
    # When they approve on the hosted page
    approved = _open_and_choose(payment["redirect_url"], "approve", before)
    # Then they are sent back with the outcome, after the signed webhook settled the payment
    return_page, query = _returned(approved, payment["redirect_url"])
    assert query == {"payment_id": [payment["payment_id"]], "status": ["succeeded"]}
    back = Client(_origin(payment["redirect_url"])).call("GET", return_page, headers={"Accept": "text/html"})
    assert back.status == 200 and "succeeded" in back.text and "go back to the app" in back.text
    after = client.call("GET", "/billing", token=token).json()
    assert after["amount_due_cents"] == 0 and after["pending_payment"] is None, after
    history = client.call("GET", "/billing/payments", token=token).json()["payments"]
    assert (payment["payment_id"], "succeeded", before["amount_due_cents"]) in [
        (p["payment_id"], p["status"], p["amount_cents"]) for p in history
    ]
    # And a second decision on the same page is refused; there is nothing left to pay
    again = Client(_origin(payment["redirect_url"])).call(
        "POST", urlsplit(payment["redirect_url"]).path, raw="decision=decline", headers=FORM
    )
    assert again.status == 409
    nothing = client.call("POST", "/billing/payments", token=token)
    assert nothing.status == 409 and nothing.error_code == "nothing_to_pay"


def test_declining_on_the_sandbox_page_records_a_failed_payment(client: Client, local_stack: LocalStack) -> None:
    # Given the other demo customer, paying their amount due
    token = _token(client, local_stack, 1)
    before, payment = _start_payment(client, token)
    # When they decline on the hosted page
    declined = _open_and_choose(payment["redirect_url"], "decline", before)
    # Then they are sent back with the outcome; the payment failed, the amount is still due
    assert _returned(declined, payment["redirect_url"])[1]["status"] == ["declined"]
    after = client.call("GET", "/billing", token=token).json()
    assert after["amount_due_cents"] == before["amount_due_cents"] and after["pending_payment"] is None, after
    history = client.call("GET", "/billing/payments", token=token).json()["payments"]
    found = [p for p in history if p["payment_id"] == payment["payment_id"]]
    assert [(p["status"], p["reason"]) for p in found] == [("failed", "declined")]
    # And paying again starts a new payment on a new hosted page
    retried = client.call("POST", "/billing/payments", token=token)
    assert retried.status == 201, retried.text
    assert retried.json()["payment_id"] != payment["payment_id"]
    assert retried.json()["redirect_url"] != payment["redirect_url"]
