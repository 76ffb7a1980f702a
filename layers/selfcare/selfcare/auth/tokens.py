"""Access tokens (short-lived JWT, EdDSA) and opaque secrets (refresh and recovery tokens).

Signing keys come through the KeyStore port (selfcare.ports.keys): Secrets Manager for the private
key, an SSM parameter holding a JWKS for the public keys (the current and the previous one, so
tokens signed before a rotation still verify until they expire).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from selfcare.auth.policy import Caller, PrincipalType, StaffRole
from selfcare.errors import Unauthenticated

if TYPE_CHECKING:
    import jwt

ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key_pem: str


class SigningKeySource(Protocol):
    def signing_key(self) -> SigningKey: ...


class PublicKeySource(Protocol):
    def public_keys(self, refresh: bool = False) -> dict[str, Any]:
        """kid -> JWK dict."""
        ...


@dataclass(frozen=True)
class AccessClaims:
    principal_type: PrincipalType
    principal_id: str
    session_id: str
    auth_time: int
    role: StaffRole | None = None
    password_expired: bool = False

    def caller(self) -> Caller:
        """The caller as the token alone says (no grant). Customers act on their own space."""
        return Caller(
            principal_type=self.principal_type,
            principal_id=self.principal_id,
            session_id=self.session_id,
            auth_time=self.auth_time,
            customer_id=self.principal_id if self.principal_type is PrincipalType.CUSTOMER else None,
            role=self.role,
            password_expired=self.password_expired,
        )


class TokenIssuer:
    def __init__(self, keys: SigningKeySource, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(self, claims: AccessClaims, now: int) -> str:
        # JWT and its crypto backend load on first use only (~100 ms): routes that issue or verify no
        # token do not pay for them at cold start (STYLE.md 9).
        import jwt

        key = self._keys.signing_key()
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": claims.principal_id,
            "typ": claims.principal_type.value,
            "sid": claims.session_id,
            "auth_time": claims.auth_time,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        if claims.role is not None:
            payload["role"] = claims.role.value
        if claims.password_expired:
            payload["pwx"] = True
        return jwt.encode(payload, key.private_key_pem, algorithm=ALGORITHM, headers={"kid": key.kid})


class TokenVerifier:
    def __init__(self, keys: PublicKeySource, issuer: str, audience: str, leeway_seconds: int = 30) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._resolved: dict[str, jwt.PyJWK] = {}

    def _key(self, kid: str) -> jwt.PyJWK:
        import jwt

        if kid not in self._resolved:
            jwks = self._keys.public_keys()
            if kid not in jwks:
                jwks = self._keys.public_keys(refresh=True)
            if kid not in jwks:
                raise Unauthenticated()
            self._resolved[kid] = jwt.PyJWK(jwks[kid], algorithm=ALGORITHM)
        return self._resolved[kid]

    def verify(self, token: str) -> AccessClaims:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if header.get("alg") != ALGORITHM or not isinstance(kid, str):
                raise Unauthenticated()
            payload = jwt.decode(
                token,
                self._key(kid),
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "sid", "typ", "auth_time", "iss", "aud"]},
            )
            principal_type = PrincipalType(payload["typ"])
            role = StaffRole(payload["role"]) if "role" in payload else None
            if (principal_type is PrincipalType.STAFF) != (role is not None):
                raise Unauthenticated()
            return AccessClaims(
                principal_type=principal_type,
                principal_id=str(payload["sub"]),
                session_id=str(payload["sid"]),
                auth_time=int(payload["auth_time"]),
                role=role,
                password_expired=bool(payload.get("pwx", False)),
            )
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
            raise Unauthenticated() from error


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Tokens are 256-bit random values: a plain SHA-256 is the right way to store them hashed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class RefreshToken:
    """Opaque to clients: `<session id>.<secret>`; the server stores only the secret's digest."""

    session_id: str
    secret: str

    def __str__(self) -> str:
        return f"{self.session_id}.{self.secret}"

    @staticmethod
    def parse(raw: str) -> RefreshToken | None:
        session_id, dot, secret = raw.partition(".")
        if not dot or not session_id or len(secret) < 32 or len(session_id) > 64:
            return None
        return RefreshToken(session_id, secret)
