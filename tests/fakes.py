"""In-memory fakes of the ports, for tests (never mock.patch on internals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from selfcare.auth.tokens import SigningKey
from selfcare.ports.notifications import Notification


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
    """Signing key and JWKS from infra.local.resources.new_signing_key()."""

    def __init__(self, secret: dict[str, str], jwk: dict[str, Any]) -> None:
        self.key = SigningKey(kid=secret["kid"], private_key_pem=secret["private_key"])
        self.jwks = {jwk["kid"]: jwk}
        self.fetches = 0

    def signing_key(self) -> SigningKey:
        return self.key

    def public_keys(self, refresh: bool = False) -> dict[str, Any]:
        self.fetches += 1
        return self.jwks
