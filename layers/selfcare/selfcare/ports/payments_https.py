"""`HttpsPaymentProvider`: the payment-provider port over HTTPS with JSON (production; locally, the
sandbox of the local stack, infra/local/payment_sandbox.py, on its own loopback port).

Configuration: the endpoint (https; plain http only on the loopback), a connect and a read timeout,
and the id of a Secrets Manager secret holding `{"api_key": "..."}`, read on first use and cached
(forgotten at once on a 401, so a rotated key is picked up). Standard library only (urllib).

Request: `POST <endpoint>/payments` with `{"payment_id", "amount_cents", "currency", "return_url"}`,
`Authorization: Bearer <key>`, `Idempotency-Key`. Answer: `{"reference", "redirect_url"}`.
Failures: timeout, connection failure, 408/429/5xx, unreadable answer -> PaymentProviderTimeout;
another 4xx -> PaymentDeclinedError.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from selfcare import aws
from selfcare.ports.payments import (
    HostedPayment,
    PaymentDeclinedError,
    PaymentProviderTimeout,
    PaymentRequest,
)
from selfcare.ports.urls import checked_url

_TRANSIENT = {408, 425, 429}


class HttpsPaymentProvider:
    def __init__(
        self,
        endpoint: str,
        api_key_secret_id: str,
        timeout: float = 8.0,
        credentials_max_age: float = 300.0,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._secret_id = api_key_secret_id
        self._timeout = timeout
        self._max_age = credentials_max_age
        self._cached_key: tuple[float, str] | None = None

    def _api_key(self) -> str:
        if self._cached_key and time.monotonic() - self._cached_key[0] < self._max_age:
            return self._cached_key[1]
        value = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=self._secret_id)["SecretString"])
        key = str(value["api_key"])
        self._cached_key = (time.monotonic(), key)
        return key

    def _checked_endpoint(self) -> str:
        """Checked on use, not at cold start (the OpenAPI build imports handlers with placeholder values)."""
        checked_url(self._endpoint, "the payment provider endpoint")
        return self._endpoint

    def create_payment(self, request: PaymentRequest) -> HostedPayment:
        endpoint = self._checked_endpoint()
        body = {
            "payment_id": request.payment_id,
            "amount_cents": request.amount_cents,
            "currency": request.currency,
            "return_url": request.return_url,
        }
        http_request = urllib.request.Request(  # noqa: S310 - scheme checked above
            f"{endpoint}/payments",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self._api_key()}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Idempotency-Key": request.idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self._timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            if status == 401:
                self._cached_key = None
            if status >= 500 or status in _TRANSIENT:
                raise PaymentProviderTimeout(f"create_payment: provider answered {status}") from error
            raise PaymentDeclinedError(f"create_payment: provider refused ({status})") from error
        except (TimeoutError, urllib.error.URLError, OSError) as error:
            raise PaymentProviderTimeout(f"create_payment: no answer ({type(error).__name__})") from error
        try:
            answer = json.loads(raw)
            return HostedPayment(provider_reference=str(answer["reference"]), redirect_url=str(answer["redirect_url"]))
        except (ValueError, KeyError, TypeError) as error:
            raise PaymentProviderTimeout("create_payment: unreadable answer") from error
