"""Port: an OpenID Connect provider, seen from Selfcare as a relying party.

Two providers use it: the government digital identity (customers) and the operator's identity provider
(staff, with a group claim). The adapter (selfcare.ports.oidc_https) speaks the authorization code flow
with PKCE (S256) and verifies the ID token; the logic (selfcare.auth.digital_identity,
selfcare.auth.staff_directory) keeps the flow's state, links identities and opens sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class AuthorizationRequest:
    """What one login attempt sends to the provider (and keeps, server-side, under `state`)."""

    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class VerifiedIdentity:
    """The claims of an ID token whose signature, issuer, audience, dates, nonce and level were verified."""

    subject: str
    acr: str
    family_name: str | None = None
    given_name: str | None = None
    birth_date: str | None = None
    email: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)


class OidcRefusal(Exception):
    """The provider or its ID token was refused. `reason`: a stable code for logs and metrics, never personal
    data: code_rejected, token_invalid, signature_invalid, unknown_key, issuer_invalid, audience_invalid,
    expired, issued_in_future, nonce_mismatch, acr_too_low, subject_missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OidcUnavailable(Exception):
    """The provider did not answer (discovery, keys or token endpoint): a transient failure."""


class IdentityProvider(Protocol):
    def authorization_url(self, request: AuthorizationRequest) -> str:
        """The provider's authorize URL for this attempt (PKCE S256, state, nonce, acr_values)."""
        ...

    def redeem(self, code: str, request: AuthorizationRequest) -> VerifiedIdentity:
        """Exchange the code (with the PKCE verifier) and verify the ID token (nonce: the attempt's).
        Raises OidcRefusal or OidcUnavailable."""
        ...
