"""The local stack's payment sandbox (infra/local/payment_sandbox.py) over loopback HTTP: the production
adapter `HttpsPaymentProvider` creates payments on it (API key from Secrets Manager on moto), the hosted
page approves or declines once, and the signed webhook reaches a small local receiver, where it verifies
with the billing code's own `verify_webhook`."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import pytest
from moto import mock_aws
from selfcare import aws
from selfcare.billing.signing import SIGNATURE_HEADER, verify_webhook
from selfcare.errors import WebhookRefused
from selfcare.ports.payments import PaymentDeclinedError, PaymentProviderTimeout, PaymentRequest
from selfcare.ports.payments_https import HttpsPaymentProvider

from infra.local.payment_sandbox import PaymentSandbox

SECRET = "test/payment-provider-api-key"
RETURN_URL = "https://selfcare.example/billing/payment-done?from=sandbox"


# A webhook receiver standing in for POST /billing/payments/webhook --------------------------------
@dataclass
class Received:
    signature: str | None
    body: str


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=list)  # statuses to answer, in order; then 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self, signature: str | None, body: str) -> int:
        with self.lock:
            self.received.append(Received(signature, body))
            return self.answers.pop(0) if self.answers else 200


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _ReceiverServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        status = self.server.receiver.next_status(self.headers.get(SIGNATURE_HEADER), body)
        payload = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: Receiver) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.receiver = receiver


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()
    server = _ReceiverServer(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/billing/payments/webhook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandbox(receiver: tuple[Receiver, str]) -> Iterator[PaymentSandbox]:
    started = PaymentSandbox(webhook_timeout=2.0).start()
    started.set_webhook_url(receiver[1])
    yield started
    started.stop()


@pytest.fixture
def secrets(sandbox: PaymentSandbox) -> Iterator[Any]:
    with mock_aws():
        aws.reset()
        client = boto3.client("secretsmanager", region_name="eu-west-3")
        client.create_secret(Name=SECRET, SecretString=json.dumps({"api_key": sandbox.api_key}))
        yield client
        aws.reset()


# Helpers ------------------------------------------------------------------------------------------
@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Page:
    """One request, redirects not followed."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Page(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode())
    finally:
        connection.close()


def choose(redirect_url: str, decision: str) -> Page:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    return call("POST", redirect_url, urlencode({"decision": decision}).encode(), form)


def request(payment_id: str = "pay_0001", amount_cents: int = 4599, key: str | None = None) -> PaymentRequest:
    return PaymentRequest(payment_id, key or payment_id, amount_cents, "EUR", RETURN_URL)


def provider(sandbox: PaymentSandbox, timeout: float = 2.0) -> HttpsPaymentProvider:
    return HttpsPaymentProvider(sandbox.url, SECRET, timeout=timeout)


def create_raw(sandbox: PaymentSandbox, body: Any, key: str | None = "key-raw-1", api_key: str | None = None) -> Page:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key or sandbox.api_key}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return call("POST", f"{sandbox.url}/payments", json.dumps(body).encode(), headers)


def returned_to(page: Page) -> tuple[str, dict[str, list[str]]]:
    location = urlsplit(page.headers["location"])
    return f"{location.scheme}://{location.netloc}{location.path}", parse_qs(location.query)


# Tests --------------------------------------------------------------------------------------------
def test_approved_payment_sends_one_signed_webhook_and_returns_the_customer(
    sandbox: PaymentSandbox, receiver: tuple[Receiver, str], secrets: Any
) -> None:
    # Given a payment created through the production adapter, then asked again with the same key
    hosted = provider(sandbox).create_payment(request())
    again = provider(sandbox).create_payment(request())
    assert again == hosted and hosted.provider_reference.startswith("sbx_")
    assert hosted.redirect_url == f"{sandbox.url}/pay/{hosted.provider_reference}"
    assert [p.payment_id for p in sandbox.payments()] == ["pay_0001"]  # no second payment
    assert [a.outcome for a in sandbox.attempts()] == ["created", "replayed"]
    # When the customer opens the hosted page and approves
    shown = call("GET", hosted.redirect_url)
    assert shown.status == 200 and shown.headers["content-type"].startswith("text/html")
    assert "45.99 EUR" in shown.text and 'value="approve"' in shown.text and 'value="decline"' in shown.text
    assert "<script" not in shown.text and "http" not in shown.text.split("<body>")[1]  # no external asset
    approved = choose(hosted.redirect_url, "approve")
    # Then: 303 to the return URL (its own query kept), the webhook delivered once and genuine
    assert approved.status == 303, approved.text
    back, query = returned_to(approved)
    assert back == "https://selfcare.example/billing/payment-done"
    assert query == {"from": ["sandbox"], "payment_id": ["pay_0001"], "status": ["succeeded"]}
    state, _ = receiver
    assert len(state.received) == 1
    webhook = state.received[0]
    secret = sandbox.webhook_secret.encode()  # what SecretsManagerHashKey makes of the SecretString
    verify_webhook(secret, webhook.signature, webhook.body, int(time.time()), 300)
    with pytest.raises(WebhookRefused):
        verify_webhook(b"another secret of 32 bytes at least!", webhook.signature, webhook.body, int(time.time()), 300)
    event = json.loads(webhook.body)
    assert event["payment_id"] == "pay_0001" and event["status"] == "succeeded"
    assert event["webhook_id"].startswith("wh_")
    # And a decision is made once only
    second = choose(hosted.redirect_url, "decline")
    assert second.status == 409 and "succeeded" in second.text
    assert len(state.received) == 1
    (payment,) = sandbox.payments()
    assert payment.status == "succeeded" and [d.outcome for d in payment.deliveries] == ["delivered"]


def test_declined_payment_tells_the_webhook_and_the_return_page(
    sandbox: PaymentSandbox, receiver: tuple[Receiver, str], secrets: Any
) -> None:
    # Given a payment returning to the sandbox's own return page
    hosted = provider(sandbox).create_payment(PaymentRequest("pay_0002", "pay_0002", 1200, "EUR", sandbox.return_url))
    # When the customer declines
    declined = choose(hosted.redirect_url, "decline")
    # Then the webhook says declined and the return page shows it
    assert declined.status == 303
    back, query = returned_to(declined)
    assert back == sandbox.return_url and query["status"] == ["declined"]
    assert json.loads(receiver[0].received[0].body)["status"] == "declined"
    page = call("GET", declined.headers["location"])
    assert page.status == 200 and "declined" in page.text and "go back to the app" in page.text
    assert "12.00 EUR" in page.text


def test_a_failed_delivery_is_shown_and_retried_with_the_same_webhook_id(
    sandbox: PaymentSandbox, receiver: tuple[Receiver, str], secrets: Any
) -> None:
    # Given a receiver that fails once (503)
    state, _ = receiver
    state.answers.append(503)
    hosted = provider(sandbox).create_payment(request("pay_0003"))
    # When the customer approves
    failed = choose(hosted.redirect_url, "approve")
    # Then an error page says so, with a way to retry; the decision is kept
    assert failed.status == 502 and 'id="delivery-failed"' in failed.text and "503" in failed.text
    retry_action = f"/pay/{hosted.provider_reference}/deliver"
    assert f'action="{retry_action}"' in failed.text
    assert choose(hosted.redirect_url, "decline").status == 409  # still decided once
    reopened = call("GET", hosted.redirect_url)
    assert reopened.status == 200 and 'id="delivery-failed"' in reopened.text
    # When the delivery is retried
    retried = call("POST", sandbox.url + retry_action)
    assert retried.status == 303 and returned_to(retried)[1]["status"] == ["succeeded"]
    # Then the same webhook was delivered (signed afresh), once successfully
    first, second = (json.loads(r.body) for r in state.received)
    assert first == second
    for received in state.received:
        verify_webhook(sandbox.webhook_secret.encode(), received.signature, received.body, int(time.time()), 300)
    (payment,) = sandbox.payments()
    assert [(d.outcome, d.status_code) for d in payment.deliveries] == [("failed", 503), ("delivered", 200)]
    assert {d.webhook_id for d in payment.deliveries} == {first["webhook_id"]}


def test_a_retry_answered_409_counts_as_delivered(
    sandbox: PaymentSandbox, receiver: tuple[Receiver, str], secrets: Any
) -> None:
    # Given a first delivery whose answer was lost (the receiver processed it, then 500) and a replay refused
    receiver[0].answers.extend([500, 409])
    hosted = provider(sandbox).create_payment(request("pay_0004"))
    assert choose(hosted.redirect_url, "approve").status == 502
    # When retried: the receiver answers "already processed"
    retried = call("POST", f"{sandbox.url}/pay/{hosted.provider_reference}/deliver")
    # Then there is nothing left to tell: back to the shop
    assert retried.status == 303
    assert [d.outcome for d in sandbox.payments()[0].deliveries] == ["failed", "already_processed"]


def test_no_webhook_url_yet_is_a_failed_delivery_not_a_lost_decision(secrets: Any) -> None:
    lone = PaymentSandbox(api_key=json.loads(secrets.get_secret_value(SecretId=SECRET)["SecretString"])["api_key"])
    lone.start()
    try:
        hosted = provider(lone).create_payment(request("pay_0005"))
        failed = choose(hosted.redirect_url, "approve")
        assert failed.status == 502 and "no webhook URL" in failed.text
        assert lone.payments()[0].status == "succeeded"
    finally:
        lone.stop()


def test_a_wrong_key_is_401_and_the_adapter_reads_the_key_again(sandbox: PaymentSandbox, secrets: Any) -> None:
    assert create_raw(sandbox, {}, api_key="wrong").status == 401
    secrets.put_secret_value(SecretId=SECRET, SecretString=json.dumps({"api_key": "wrong"}))
    adapter = provider(sandbox)
    with pytest.raises(PaymentDeclinedError):
        adapter.create_payment(request("pay_0006"))
    secrets.put_secret_value(SecretId=SECRET, SecretString=json.dumps({"api_key": sandbox.api_key}))
    assert adapter.create_payment(request("pay_0006")).provider_reference  # forgotten at the 401, read again
    assert [a.outcome for a in sandbox.attempts()] == ["unauthorized", "unauthorized", "created"]


@pytest.mark.parametrize(
    ("body", "key", "status", "fields"),
    [
        ({"payment_id": "p", "amount_cents": 1, "currency": "EUR", "return_url": RETURN_URL}, None, 400, None),
        ("not an object", "key-raw-1", 400, None),
        (
            {"payment_id": "", "amount_cents": 0, "currency": "eur", "return_url": "javascript:alert(1)"},
            "key-raw-1",
            422,
            ["payment_id", "amount_cents", "currency", "return_url"],
        ),
        ({"payment_id": "p", "amount_cents": True, "currency": "EUR", "return_url": RETURN_URL}, "k", 422, None),
    ],
)
def test_bad_creation_requests_are_refused(
    sandbox: PaymentSandbox, body: Any, key: str | None, status: int, fields: list[str] | None
) -> None:
    answer = create_raw(sandbox, body, key=key)
    assert answer.status == status, answer.text
    if fields is not None:
        assert json.loads(answer.text)["fields"] == fields
    assert sandbox.payments() == []


def test_an_idempotency_key_reused_for_another_payment_is_refused(sandbox: PaymentSandbox) -> None:
    body = {"payment_id": "pay_a", "amount_cents": 100, "currency": "EUR", "return_url": RETURN_URL}
    assert create_raw(sandbox, body).status == 201
    assert create_raw(sandbox, body | {"amount_cents": 101}).status == 422
    assert len(sandbox.payments()) == 1


def test_creation_modes_decline_and_time_out(sandbox: PaymentSandbox, secrets: Any) -> None:
    # Declining, set over the control API as the local stack's users would
    control = {"Content-Type": "application/json"}
    assert call("POST", f"{sandbox.url}/_control/mode", json.dumps({"mode": "decline"}).encode(), control).status == 200
    with pytest.raises(PaymentDeclinedError):
        provider(sandbox).create_payment(request("pay_0007"))
    assert call("POST", f"{sandbox.url}/_control/mode", json.dumps({"mode": "nope"}).encode(), control).status == 400
    # Timing out: no answer within the adapter's timeout
    sandbox.set_mode("timeout", delay_seconds=1.0)
    with pytest.raises(PaymentProviderTimeout):
        provider(sandbox, timeout=0.3).create_payment(request("pay_0008"))
    sandbox.set_mode("normal")
    assert provider(sandbox).create_payment(request("pay_0008")).provider_reference
    listing = json.loads(call("GET", f"{sandbox.url}/_control/payments").text)
    assert [p["payment_id"] for p in listing["payments"]] == ["pay_0008"]
    assert [a["outcome"] for a in listing["attempts"]] == ["declined", "timeout", "created"]


def test_pages_escape_values_and_unknown_routes_are_404(sandbox: PaymentSandbox) -> None:
    body = {"payment_id": "<b>x</b>&", "amount_cents": 5, "currency": "EUR", "return_url": RETURN_URL}
    created = json.loads(create_raw(sandbox, body).text)
    shown = call("GET", created["redirect_url"])
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in shown.text and "<b>x" not in shown.text and "0.05 EUR" in shown.text
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    returned = call("GET", f"{sandbox.url}/returned?payment_id=%3Cscript%3E&status=%3Cscript%3E")
    assert returned.status == 200 and "<script>" not in returned.text
    assert call("GET", f"{sandbox.url}/pay/sbx_0000000000000000").status == 404
    assert call("GET", f"{sandbox.url}/pay/../etc").status == 404
    assert call("GET", f"{sandbox.url}/nowhere").status == 404
    assert call("POST", f"{sandbox.url}/nowhere", b"{}").status == 404
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert call("POST", created["redirect_url"], b"decision=maybe", form).status == 400


def test_odd_requests_get_an_answer_not_a_crash(sandbox: PaymentSandbox) -> None:
    assert call("POST", f"{sandbox.url}/payments", b"{}", {"Authorization": "Bearer \u00e9t\u00e9"}).status == 401
    assert call("POST", f"{sandbox.url}/payments", b"x" * (64 * 1024 + 1)).status == 413
    assert call("PUT", f"{sandbox.url}/payments", b"{}").status == 404
