"""A sandbox payment provider with a hosted payment page, for the local stack and the tests.

It speaks the protocol of `selfcare.ports.payments_https.HttpsPaymentProvider`: POST /payments with
`{"payment_id", "amount_cents", "currency", "return_url"}`, `Authorization: Bearer <api key>` and an
`Idempotency-Key`, answered 201 `{"reference", "redirect_url"}` (the same key answers the same payment,
never a second one; the same key with another body: 422). `python -m infra.local` starts one on a free
loopback port, stores its API key and webhook secret in Secrets Manager and points
PAYMENT_PROVIDER_ENDPOINT and PAYMENT_RETURN_URL at it; integration tests start one in-process
(`PaymentSandbox().start()`).

The customer's side, in a browser:
- GET /pay/<reference>: the hosted page (amount, currency, Approve / Decline: a form POST). No external
  asset, every value escaped.
- POST /pay/<reference> (`decision=approve|decline`): once per payment (then 409). The sandbox signs a
  webhook `{"webhook_id", "payment_id", "status": "succeeded"|"declined"}` with the webhook secret
  (`Payment-Signature`, selfcare.billing.signing.sign_webhook, over the secret's UTF-8 bytes as
  SecretsManagerHashKey reads them), POSTs it to the webhook URL (`set_webhook_url`, given once the
  API is bound), records the delivery, then 303 to the payment's return_url with
  `?payment_id=...&status=...`. A failed delivery shows an error page with a retry button
  (POST /pay/<reference>/deliver: the same webhook id, signed afresh): the decision is never lost.
- GET /returned: the local return page ("payment finished, you can go back to the app").

Control (loopback only, no key): GET /_control/payments (payments, their state and webhook deliveries,
and every creation attempt), POST /_control/mode {"mode": "normal"|"decline"|"timeout",
"delay_seconds"}: creation answers 201, 422 (declined), or only after `delay_seconds` (504).
In-process: `set_mode(...)`, `payments()`, `payment(reference)`, `attempts()`.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from selfcare.billing.signing import SIGNATURE_HEADER, sign_webhook

MODES = ("normal", "decline", "timeout")
DECISIONS = {"approve": "succeeded", "decline": "declined"}
MAX_BODY_BYTES = 64 * 1024
_REFERENCE = re.compile(r"^sbx_[0-9a-f]{16}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")


@dataclass(frozen=True)
class Delivery:
    """One attempt at delivering a payment's webhook."""

    webhook_id: str
    at: float
    outcome: str  # "delivered", "already_processed" (409: settled by an earlier delivery), "failed"
    status_code: int | None = None
    error: str | None = None  # an exception's type, or "no webhook URL"


@dataclass
class SandboxPayment:
    reference: str
    payment_id: str
    amount_cents: int
    currency: str
    return_url: str
    idempotency_key: str
    created_at: float
    status: str = "awaiting_customer"  # then "succeeded" or "declined" (the customer's decision)
    decided_at: float | None = None
    webhook_id: str | None = None  # fresh at the decision, the same for every delivery attempt
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(d.outcome != "failed" for d in self.deliveries)

    def snapshot(self) -> dict[str, Any]:
        return asdict(self) | {"delivered": self.delivered}


@dataclass(frozen=True)
class Attempt:
    """One POST /payments."""

    idempotency_key: str
    outcome: str  # "created", "replayed", "unauthorized", "bad_request", "invalid", "key_reused", "declined", "timeout"
    reference: str | None = None


@dataclass
class SandboxState:
    api_key: str
    webhook_secret: str
    webhook_url: str | None = None
    webhook_timeout: float = 5.0
    mode: str = "normal"
    delay_seconds: float = 10.0
    payments: dict[str, SandboxPayment] = field(default_factory=dict)  # reference -> payment
    by_key: dict[str, str] = field(default_factory=dict)  # idempotency key -> reference
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _problems(body: Any) -> list[str]:
    """The invalid fields of a creation request (empty: valid)."""
    if not isinstance(body, dict):
        return ["body"]
    problems = []
    if not isinstance(body.get("payment_id"), str) or not 1 <= len(body["payment_id"]) <= 128:
        problems.append("payment_id")
    amount = body.get("amount_cents")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= 100_000_000:
        problems.append("amount_cents")
    if not isinstance(body.get("currency"), str) or not _CURRENCY.match(body["currency"]):
        problems.append("currency")
    return_url = body.get("return_url")
    if not isinstance(return_url, str) or len(return_url) > 2048:
        problems.append("return_url")
    else:
        parts = urlsplit(return_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append("return_url")
    return problems


def with_query(url: str, values: dict[str, str]) -> str:
    """`url` with `values` added to its query string."""
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(values)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _amount(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - payment sandbox</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}}
.note{{color:#666;font-size:.9rem}}.amount{{font-size:2rem;font-weight:600}}button{{font-size:1rem;padding:.6rem 1.4rem;
margin-right:.6rem;cursor:pointer}}.approve{{background:#1a7f37;color:#fff;border:0}}.decline{{background:#fff;
border:1px solid #b42318;color:#b42318}}.error{{color:#b42318}}</style></head>
<body><p class="note">Selfcare local stack: sandbox payment provider. No card, no money.</p>
<h1>{title}</h1>
{content}
</body></html>
"""


def page(title: str, content: str) -> bytes:
    """A whole page; `content` is HTML made of escaped values only."""
    return _PAGE.format(title=html.escape(title), content=content).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # Answers ---------------------------------------------------------------------------------
    def _answer(self, status: int, content_type: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout mode)

    def _json(self, status: int, body: Any) -> None:
        self._answer(status, "application/json", json.dumps(body).encode())

    def _html(self, status: int, title: str, content: str) -> None:
        policy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
        self._answer(status, "text/html; charset=utf-8", page(title, content), {"Content-Security-Policy": policy})

    def _redirect(self, location: str) -> None:
        self._answer(303, "text/plain; charset=utf-8", b"See Other\n", {"Location": location})

    def _raw_body(self) -> bytes | None:
        """The request's body; None (and the connection closed) when it is too large or its length unreadable."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    # Routes ----------------------------------------------------------------------------------
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if url.path == "/_control/payments":
            self._json(200, self.server.sandbox.control_document())
        elif url.path == "/returned":
            self._returned(parse_qs(url.query))
        elif len(parts) == 2 and parts[0] == "pay":
            self._hosted_page(parts[1])
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        raw = self._raw_body()
        if raw is None:
            self._json(413, {"error": "too_large_or_unreadable_length"})
            return
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if url.path == "/payments":
            self._create(raw)
        elif url.path == "/_control/mode":
            self._set_mode(raw)
        elif len(parts) == 2 and parts[0] == "pay":
            self._decide(parts[1], raw)
        elif len(parts) == 3 and parts[0] == "pay" and parts[2] == "deliver":
            self._retry_delivery(parts[1])
        else:
            self._json(404, {"error": "not_found"})

    def do_PUT(self) -> None:
        self._raw_body()
        self._json(404, {"error": "not_found"})

    do_DELETE = do_PATCH = do_PUT

    # The provider's API ----------------------------------------------------------------------
    def _create(self, raw: bytes) -> None:
        sandbox = self.server.sandbox
        state = sandbox.state
        key = self.headers.get("Idempotency-Key") or ""
        given = (self.headers.get("Authorization") or "").encode("latin-1")  # headers are read as latin-1
        if not secrets.compare_digest(given, f"Bearer {state.api_key}".encode()):
            sandbox.attempt(key, "unauthorized")
            self._json(401, {"error": "unauthorized"})
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if not _IDEMPOTENCY_KEY.match(key) or not isinstance(body, dict):
            sandbox.attempt(key, "bad_request")
            self._json(400, {"error": "bad_request"})
            return
        problems = _problems(body)
        if problems:
            sandbox.attempt(key, "invalid")
            self._json(422, {"error": "invalid", "fields": problems})
            return
        with state.lock:
            mode, delay = state.mode, state.delay_seconds
        # The same key answers the same payment (whatever the mode); with another request, 422.
        replayed = sandbox.replay(key, body)
        if replayed is not None:
            known, same = replayed
            if same:
                self._json(201, {"reference": known.reference, "redirect_url": sandbox.redirect_url(known)})
            else:
                self._json(422, {"error": "idempotency_key_reused"})
            return
        if mode == "decline":
            sandbox.attempt(key, "declined")
            self._json(422, {"error": "declined"})
            return
        if mode == "timeout":
            sandbox.attempt(key, "timeout")
            time.sleep(delay)
            self._json(504, {"error": "too_late"})
            return
        created = sandbox.create(key, body)
        self._json(201, {"reference": created.reference, "redirect_url": sandbox.redirect_url(created)})

    def _set_mode(self, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw else {}
            mode = body["mode"]
            delay = float(body.get("delay_seconds", 10.0))
            self.server.sandbox.set_mode(mode, delay)
        except (ValueError, KeyError, TypeError, AttributeError):
            self._json(400, {"error": "bad_mode", "modes": list(MODES)})
            return
        self._json(200, {"mode": mode, "delay_seconds": delay})

    # The customer's side ---------------------------------------------------------------------
    def _hosted_page(self, reference: str) -> None:
        payment = self.server.sandbox.payment(reference)
        if payment is None:
            self._html(404, "Unknown payment", "<p>There is no such payment.</p>")
            return
        amount = html.escape(_amount(payment.amount_cents, payment.currency))
        if payment.status != "awaiting_customer":
            self._decided_page(200, payment)
            return
        action = html.escape(f"/pay/{payment.reference}")
        content = (
            f'<p>Amount to pay</p><p class="amount" id="amount">{amount}</p>'
            f'<p class="note">Payment <code>{html.escape(payment.payment_id)}</code></p>'
            f'<form method="post" action="{action}">'
            '<button class="approve" type="submit" name="decision" value="approve">Approve</button>'
            '<button class="decline" type="submit" name="decision" value="decline">Decline</button>'
            "</form>"
        )
        self._html(200, "Pay", content)

    def _decided_page(self, status: int, payment: SandboxPayment, intro: str = "") -> None:
        """A payment already decided: its outcome, and the way on (back, or retry the delivery)."""
        outcome = html.escape(payment.status)
        content = f'{intro}<p>This payment was decided: <strong id="status">{outcome}</strong>.</p>'
        if payment.delivered:
            back = with_query(payment.return_url, {"payment_id": payment.payment_id, "status": payment.status})
            content += f'<p><a href="{html.escape(back)}">Back to the shop</a></p>'
        else:
            content += self._retry_form(payment)
        self._html(status, "Payment decided", content)

    @staticmethod
    def _retry_form(payment: SandboxPayment) -> str:
        last = payment.deliveries[-1] if payment.deliveries else None
        detail = ""
        if last is not None:
            why = f"answer {last.status_code}" if last.status_code is not None else (last.error or "no answer")
            detail = f" (last attempt: {html.escape(why)})"
        action = html.escape(f"/pay/{payment.reference}/deliver")
        return (
            f'<p class="error" id="delivery-failed">The shop has not been told yet: the webhook could not be '
            f"delivered{detail}. Nothing is lost: retry the delivery.</p>"
            f'<form method="post" action="{action}"><button type="submit">Retry the delivery</button></form>'
        )

    def _decide(self, reference: str, raw: bytes) -> None:
        sandbox = self.server.sandbox
        if sandbox.payment(reference) is None:
            self._html(404, "Unknown payment", "<p>There is no such payment.</p>")
            return
        decision = (parse_qs(raw.decode("utf-8", "replace")).get("decision") or [""])[0]
        if decision not in DECISIONS:
            self._html(400, "Choose", "<p>Choose Approve or Decline.</p>")
            return
        payment = sandbox.decide(reference, DECISIONS[decision])
        if payment is None:  # decided already
            current = sandbox.payment(reference)
            assert current is not None
            self._decided_page(409, current, "<p>This payment was decided already: a decision is made once.</p>")
            return
        self._deliver_and_return(payment)

    def _retry_delivery(self, reference: str) -> None:
        sandbox = self.server.sandbox
        payment = sandbox.payment(reference)
        if payment is None:
            self._html(404, "Unknown payment", "<p>There is no such payment.</p>")
            return
        if payment.status == "awaiting_customer":
            self._html(409, "Not decided", "<p>This payment has not been decided yet: nothing to deliver.</p>")
            return
        self._deliver_and_return(payment)

    def _deliver_and_return(self, payment: SandboxPayment) -> None:
        delivered = self.server.sandbox.deliver(payment.reference)
        if delivered is None or not delivered.delivered:
            current = delivered or payment
            decision = f'<p>Decision: <strong id="status">{html.escape(current.status)}</strong>.</p>'
            self._html(502, "Delivery failed", decision + self._retry_form(current))
            return
        self._redirect(with_query(payment.return_url, {"payment_id": payment.payment_id, "status": payment.status}))

    def _returned(self, query: dict[str, list[str]]) -> None:
        payment_id = (query.get("payment_id") or [""])[0]
        found = self.server.sandbox.payment_by_id(payment_id) if payment_id else None
        if found is None:  # nothing known to show (and no value of the query echoed)
            self._html(200, "Payment finished", "<p>Payment finished. You can go back to the app.</p>")
            return
        content = (
            f"<p>Payment <code>{html.escape(found.payment_id)}</code> of "
            f"{html.escape(_amount(found.amount_cents, found.currency))}: "
            f'<strong id="status">{html.escape(found.status)}</strong>.</p>'
            "<p>Payment finished. You can go back to the app.</p>"
        )
        self._html(200, "Payment finished", content)


class _SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: PaymentSandbox) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox


class PaymentSandbox:
    """The sandbox on 127.0.0.1 (port 0: a free one), in a daemon thread of this process."""

    def __init__(
        self,
        api_key: str | None = None,
        webhook_secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_timeout: float = 5.0,
    ) -> None:
        self.state = SandboxState(
            api_key=api_key or secrets.token_urlsafe(24),
            webhook_secret=webhook_secret or secrets.token_urlsafe(48),
            webhook_timeout=webhook_timeout,
        )
        self._host = host
        self._server = _SandboxServer((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="payment-sandbox", daemon=True
        )

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def webhook_secret(self) -> str:
        """The secret as stored in Secrets Manager (SecretString); webhooks are signed with its UTF-8 bytes."""
        return self.state.webhook_secret

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_address[1]}"

    @property
    def return_url(self) -> str:
        """The local return page (PAYMENT_RETURN_URL on the local stack)."""
        return f"{self.url}/returned"

    def redirect_url(self, payment: SandboxPayment) -> str:
        return f"{self.url}/pay/{payment.reference}"

    def start(self) -> PaymentSandbox:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_webhook_url(self, url: str) -> None:
        """Where webhooks go (the API's POST /billing/payments/webhook), known once the API is bound."""
        with self.state.lock:
            self.state.webhook_url = url

    # Control, in-process ----------------------------------------------------------------------
    def set_mode(self, mode: str, delay_seconds: float = 10.0) -> None:
        """`normal`: create payments; `decline`: answer 422; `timeout`: answer 504 after `delay_seconds`."""
        if mode not in MODES or not 0 <= delay_seconds <= 60:
            raise ValueError(f"unknown mode or delay: {mode} {delay_seconds}")
        with self.state.lock:
            self.state.mode, self.state.delay_seconds = mode, delay_seconds

    def payments(self) -> list[SandboxPayment]:
        """Copies: state read under the lock."""
        with self.state.lock:
            return [_copy(p) for p in self.state.payments.values()]

    def payment(self, reference: str) -> SandboxPayment | None:
        if not _REFERENCE.match(reference):
            return None
        with self.state.lock:
            found = self.state.payments.get(reference)
            return _copy(found) if found else None

    def payment_by_id(self, payment_id: str) -> SandboxPayment | None:
        with self.state.lock:
            found = next((p for p in self.state.payments.values() if p.payment_id == payment_id), None)
            return _copy(found) if found else None

    def attempts(self) -> list[Attempt]:
        with self.state.lock:
            return list(self.state.attempts)

    def control_document(self) -> dict[str, Any]:
        with self.state.lock:
            return {
                "mode": self.state.mode,
                "webhook_url": self.state.webhook_url,
                "payments": [p.snapshot() for p in self.state.payments.values()],
                "attempts": [asdict(a) for a in self.state.attempts],
            }

    # What the routes do ----------------------------------------------------------------------
    def attempt(self, key: str, outcome: str, reference: str | None = None) -> None:
        with self.state.lock:
            self.state.attempts.append(Attempt(key, outcome, reference))

    def replay(self, key: str, body: dict[str, Any]) -> tuple[SandboxPayment, bool] | None:
        """The payment already created with this idempotency key, and whether it was for the same request
        (payment id, amount, currency, return URL); None for a new key. The attempt is recorded."""
        with self.state.lock:
            known = self.state.payments.get(self.state.by_key.get(key, ""))
            if known is None:
                return None
            asked = (body["payment_id"], body["amount_cents"], body["currency"], body["return_url"])
            same = (known.payment_id, known.amount_cents, known.currency, known.return_url) == asked
            self.state.attempts.append(Attempt(key, "replayed" if same else "key_reused", known.reference))
            return _copy(known), same

    def create(self, key: str, body: dict[str, Any]) -> SandboxPayment:
        """A new payment for this idempotency key, or the one a concurrent request created for it."""
        with self.state.lock:
            known = self.state.payments.get(self.state.by_key.get(key, ""))
            if known is not None:
                self.state.attempts.append(Attempt(key, "replayed", known.reference))
                return _copy(known)
            payment = SandboxPayment(
                reference="sbx_" + secrets.token_hex(8),
                payment_id=body["payment_id"],
                amount_cents=body["amount_cents"],
                currency=body["currency"],
                return_url=body["return_url"],
                idempotency_key=key,
                created_at=time.time(),
            )
            self.state.payments[payment.reference] = payment
            self.state.by_key[key] = payment.reference
            self.state.attempts.append(Attempt(key, "created", payment.reference))
            return _copy(payment)

    def decide(self, reference: str, status: str) -> SandboxPayment | None:
        """Record the customer's decision (with a fresh webhook id); None when it was decided already."""
        with self.state.lock:
            payment = self.state.payments[reference]
            if payment.status != "awaiting_customer":
                return None
            payment.status, payment.decided_at = status, time.time()
            payment.webhook_id = "wh_" + secrets.token_hex(12)
            return _copy(payment)

    def deliver(self, reference: str) -> SandboxPayment | None:
        """POST the decided payment's webhook (signed now) and record the outcome; the payment after it
        (None if unknown or undecided)."""
        with self.state.lock:
            payment = self.state.payments.get(reference)
            if payment is None or payment.webhook_id is None:
                return None
            url, timeout = self.state.webhook_url, self.state.webhook_timeout
            webhook_id, payment_id, status = payment.webhook_id, payment.payment_id, payment.status
        delivery = self._post_webhook(url, timeout, webhook_id, payment_id, status)
        with self.state.lock:
            payment.deliveries.append(delivery)
            return _copy(payment)

    def _post_webhook(self, url: str | None, timeout: float, webhook_id: str, payment_id: str, status: str) -> Delivery:
        now = time.time()
        if url is None:
            return Delivery(webhook_id, now, "failed", error="no webhook URL")
        body = json.dumps({"webhook_id": webhook_id, "payment_id": payment_id, "status": status})
        signature = sign_webhook(self.state.webhook_secret.encode(), int(now), body)
        request = urllib.request.Request(  # noqa: S310 - the URL is the local API's, set by the local stack
            url,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                response.read()
                return Delivery(webhook_id, now, "delivered", status_code=response.status)
        except urllib.error.HTTPError as error:
            error.read()
            # 409: this webhook (or another) settled the payment already: nothing left to tell.
            outcome = "already_processed" if error.code == 409 else "failed"
            return Delivery(webhook_id, now, outcome, status_code=error.code)
        except (TimeoutError, urllib.error.URLError, OSError) as error:
            return Delivery(webhook_id, now, "failed", error=type(error).__name__)


def _copy(payment: SandboxPayment) -> SandboxPayment:
    return SandboxPayment(**{**vars(payment), "deliveries": list(payment.deliveries)})
