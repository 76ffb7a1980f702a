"""In-memory fakes of the ports, for tests (never mock.patch on internals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from selfcare.auth.tokens import SigningKey
from selfcare.ports.notifications import Notification

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
