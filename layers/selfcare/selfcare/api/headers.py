"""The security headers of every API answer: the functions' (selfcare.api.resolver) and API Gateway's own
(infra/definitions.py GATEWAY_RESPONSE_HEADERS, for CDK and the local gateway). One list.

Every answer of this API is personal data or a credential, or refuses a request: none may be stored by a
browser or a proxy (no-store), sniffed into another type, framed, or sent over plain HTTP later (HSTS). The API
answers JSON, CSV and PDF only: a restrictive Content-Security-Policy costs nothing. No CORS header is sent:
browsers keep other origins out (the apps call the API from their own origin or natively).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

SECURITY_HEADERS: Mapping[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def add_security_headers(response: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A Lambda proxy response with every security header it does not set itself (in either header map)."""
    headers: dict[str, Any] = dict(response.get("headers") or {})
    multi: Mapping[str, Any] = response.get("multiValueHeaders") or {}
    present = {name.lower() for name in (*headers, *multi)}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers[name] = value
    response["headers"] = headers
    return response
