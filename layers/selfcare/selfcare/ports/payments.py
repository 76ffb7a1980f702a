"""Port: the payment provider (hosted payment page).

The space creates a payment (`create_payment`) with an idempotency key: the provider answers the URL
of its hosted page, where the customer pays (card details never reach us). The provider then calls
our webhook (selfcare.billing.webhook verifies its signature) to settle the payment. The same
idempotency key always answers the same payment: a repeated request never charges twice.

Adapters: `HttpsPaymentProvider` (selfcare.ports.payments_https: production, and the local stack's
sandbox) and an in-memory fake in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PaymentRequest:
    payment_id: str  # ours: the provider gives it back in the webhook
    idempotency_key: str
    amount_cents: int
    currency: str
    return_url: str  # where the hosted page sends the customer back


@dataclass(frozen=True)
class HostedPayment:
    provider_reference: str
    redirect_url: str


class PaymentProviderError(Exception):
    """Messages carry the operation and a status only: never an amount holder, a card or a key."""


class PaymentDeclinedError(PaymentProviderError):
    """The provider refused the payment for good (4xx): nothing will be charged."""


class PaymentProviderTimeout(PaymentProviderError):
    """No answer (timeout, connection failure, 5xx): the payment may or may not exist at the provider;
    retrying with the same idempotency key is safe."""


class PaymentProvider(Protocol):
    def create_payment(self, request: PaymentRequest) -> HostedPayment: ...
