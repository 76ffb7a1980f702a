"""Privacy-friendly CAPTCHA: self-hosted proof of work in the ALTCHA v2 scheme (the `altcha` package).

No third party, no cookie, no personal data. A challenge is signed with an HMAC key (Secrets Manager) and
carries its expiry; the client finds the counter whose derived key starts with the challenge's prefix and sends
back the challenge and its solution (base64 JSON, the ALTCHA widget's `altcha` payload). A solution is accepted
only if the signature is ours, the difficulty is the one configured, it has not expired, and it was never used
before (replay store: one conditional write in the sessions table, kept until the challenge expires).
"""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass
from typing import Any, Protocol

from selfcare.clock import Clock, epoch
from selfcare.errors import CaptchaRequired
from selfcare.observability import count, logger
from selfcare.ports.hash_key import HashKeySource

ALGORITHM = "SHA-256"


@dataclass(frozen=True)
class CaptchaPolicy:
    # Measured on the project machine (docs/decisions.md): cost 5,000 solves in about 0.3 s in Python,
    # a browser's WebCrypto solver is faster. Tests lower it through CAPTCHA_COST.
    cost: int = 5000
    ttl_seconds: int = 300


class SolvedChallenges(Protocol):
    """The replay store: True the first time a challenge is presented, False afterwards."""

    def use_once(self, challenge_id: str, expires_at: int) -> bool: ...


class Captcha:
    def __init__(self, *, key: HashKeySource, solved: SolvedChallenges, clock: Clock, policy: CaptchaPolicy) -> None:
        self.key = key
        self.solved = solved
        self.clock = clock
        self.policy = policy

    def challenge(self) -> dict[str, Any]:
        """A new signed challenge (the ALTCHA v2 challenge JSON the widget expects)."""
        import altcha  # only the auth function's CAPTCHA routes pay its import

        expires_at = epoch(self.clock.now()) + self.policy.ttl_seconds
        issued = altcha.create_challenge(ALGORITHM, self.policy.cost, hmac_secret=self.key.key(), expires_at=expires_at)
        return dict(issued.to_dict())

    def require(self, payload: str | None) -> None:
        """Accept a solved challenge once, or raise CaptchaRequired (whatever is wrong with it)."""
        reason = self._refusal(payload)
        if reason:
            logger.info("captcha refused", extra={"reason": reason})
            count("CaptchaRefused")
            raise CaptchaRequired()

    def _refusal(self, payload: str | None) -> str | None:
        import altcha

        if not payload:
            return "missing"
        try:
            parsed = altcha.Payload.from_base64(payload)
            parameters = parsed.challenge.parameters
            cost, algorithm, expires_at = parameters.cost, parameters.algorithm, parameters.expires_at
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, json.JSONDecodeError):
            return "malformed"
        if algorithm != ALGORITHM or cost != self.policy.cost:
            return "wrong_difficulty"
        if not isinstance(expires_at, int) or expires_at <= epoch(self.clock.now()):
            return "expired"
        result = altcha.verify_solution(parsed, self.key.key())
        if result.expired:
            return "expired"
        if result.invalid_signature:
            return "forged"
        if not result.verified:
            return "wrong_solution"
        signature = parsed.challenge.signature
        if not signature or not self.solved.use_once(signature, expires_at):
            return "replayed"
        return None
