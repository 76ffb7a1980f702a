"""In-memory fakes of the ports, for tests (never mock.patch on internals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from selfcare.auth.tokens import SigningKey
from selfcare.ports.crm_events import CrmEvent
from selfcare.ports.notifications import Notification
from selfcare.ports.payments import HostedPayment, PaymentDeclinedError, PaymentProviderTimeout, PaymentRequest
from selfcare.ports.provisioning import ProvisioningError, ProvisioningReceipt, ServiceChange, SimStatus

from infra.scripts.rotate_signing_key import generate_signing_key


class InMemoryNotifier:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


class FixedClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class StaticKeys:
    """A generated signing key and its JWKS (infra.scripts.rotate_signing_key.generate_signing_key)."""

    def __init__(self) -> None:
        generated = generate_signing_key()
        self.key = SigningKey(kid=generated.kid, private_key_pem=generated.private_key_pem)
        self.jwks: dict[str, Any] = {generated.kid: generated.jwk}
        self.fetches = 0

    def signing_key(self) -> SigningKey:
        return self.key

    def public_keys(self, refresh: bool = False) -> dict[str, Any]:
        self.fetches += 1
        return self.jwks


class InMemoryProvisioning:
    """The provisioning port in memory: records every call; `fail_with` makes the next calls raise."""

    def __init__(self) -> None:
        self.changes: list[ServiceChange] = []
        self.sim_calls: list[tuple[str, str, str]] = []  # (operation, line id, idempotency key)
        self.fail_with: ProvisioningError | None = None
        self._count = 0

    def _receipt(self) -> ProvisioningReceipt:
        if self.fail_with is not None:
            raise self.fail_with
        self._count += 1
        return ProvisioningReceipt(reference=f"PRV-{self._count:05d}")

    def bar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        self.sim_calls.append(("bar_sim", line_id, idempotency_key))
        return self._receipt()

    def unbar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        self.sim_calls.append(("unbar_sim", line_id, idempotency_key))
        return self._receipt()

    def swap_sim(self, line_id: str, msisdn: str, new_iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        self.sim_calls.append(("swap_sim", line_id, idempotency_key))
        return self._receipt()

    def activate_sim(self, line_id: str, msisdn: str, iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        self.sim_calls.append(("activate_sim", line_id, idempotency_key))
        return self._receipt()

    def apply(self, change: ServiceChange) -> ProvisioningReceipt:
        receipt = self._receipt()
        self.changes.append(change)
        return receipt

    def sim_status(self, line_id: str) -> SimStatus:
        if self.fail_with is not None:
            raise self.fail_with
        return SimStatus(barred=False)

    def actions(self) -> list[tuple[str, str, str]]:
        return [(c.line_id, c.service, c.action) for c in self.changes]


class InMemoryCrmEvents:
    """The CRM events port: keeps what was published."""

    def __init__(self) -> None:
        self.events: list[CrmEvent] = []

    def publish(self, event: CrmEvent) -> None:
        self.events.append(event)


class InMemoryPaymentProvider:
    """The payment provider: one payment per idempotency key (a repeated key answers the same page).
    `mode`: "ok", "decline" (refused at creation) or "timeout" (no answer, nothing created)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        self.payments: dict[str, PaymentRequest] = {}

    def create_payment(self, request: PaymentRequest) -> HostedPayment:
        self.calls += 1
        if self.mode == "decline":
            raise PaymentDeclinedError("create_payment: provider refused (402)")
        if self.mode == "timeout":
            raise PaymentProviderTimeout("create_payment: no answer (TimeoutError)")
        self.payments.setdefault(request.idempotency_key, request)
        return HostedPayment(
            provider_reference=f"prov-{request.idempotency_key}",
            redirect_url=f"https://pay.example/hosted/{request.idempotency_key}",
        )


class InMemorySmsNetwork:
    """The commercial SMS port (selfcare.ports.commercial_sms.SmsNetwork). `crash_after`: raise CrashedWorker
    on that call (0-based), as a Lambda killed midway, before the network got the message."""

    def __init__(self, crash_after: int | None = None) -> None:
        from selfcare.ports.commercial_sms import CommercialSms

        self.sent: list[CommercialSms] = []
        self.calls = 0
        self.crash_after = crash_after

    def send(self, sms: Any) -> str:
        call, self.calls = self.calls, self.calls + 1
        if self.crash_after is not None and call == self.crash_after:
            raise CrashedWorker()
        self.sent.append(sms)
        return f"msg-{call}"


class CrashedWorker(Exception):
    """The worker died (timeout, out of memory) in the middle of a batch."""
