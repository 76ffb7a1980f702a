"""HMAC-SHA256 signatures: the payment provider's webhooks, and the usage listing's cursors.

Webhook: header `Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
Refused (WebhookRefused): missing or malformed header, a signature that does not match (compared in
constant time), a timestamp further than the tolerance from now (stale or from the future).

Cursor: `<base64url LastEvaluatedKey>.<hex HMAC-SHA256(key, customer | query | key)>`, so that a
cursor is bound to the customer and to the query (line, type, dates) it was issued for: tampered,
or presented by another customer, it is refused.
"""

from __future__ import annotations

import hashlib
import hmac

from selfcare.errors import FieldProblem, InvalidInput, WebhookRefused

SIGNATURE_HEADER = "Payment-Signature"


def sign_webhook(secret: bytes, timestamp: int, body: str) -> str:
    """The header value (the local sandbox and the tests sign with it)."""
    mac = hmac.new(secret, f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_webhook(secret: bytes, header: str | None, body: str, now: int, tolerance_seconds: int) -> int:
    """The signed timestamp of a genuine, fresh webhook; WebhookRefused otherwise."""
    if not header:
        raise WebhookRefused()
    parts: dict[str, str] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        parts[name] = value
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as error:
        raise WebhookRefused() from error
    expected = hmac.new(secret, f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise WebhookRefused()
    if abs(now - timestamp) > tolerance_seconds:
        raise WebhookRefused()
    return timestamp


def _cursor_mac(key: bytes, customer_id: str, query: str, position: str) -> str:
    return hmac.new(key, f"{customer_id}|{query}|{position}".encode(), hashlib.sha256).hexdigest()


def sign_cursor(key: bytes, customer_id: str, query: str, position: str) -> str:
    return f"{position}.{_cursor_mac(key, customer_id, query, position)}"


def open_cursor(key: bytes, customer_id: str, query: str, cursor: str) -> str:
    """The position inside a cursor this customer received for this query; 422 otherwise."""
    position, _, mac = cursor.rpartition(".")
    if not position or not hmac.compare_digest(_cursor_mac(key, customer_id, query, position), mac):
        raise InvalidInput([FieldProblem(("query", "cursor"), "This cursor is not valid for this query.", "cursor")])
    return position
