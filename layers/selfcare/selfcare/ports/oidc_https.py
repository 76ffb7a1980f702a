"""`HttpsOidcProvider`: the OpenID Connect port over HTTPS (production, and the local stack's simulator).

Relying-party side with maintained libraries, no hand-written JOSE: Authlib builds the authorization and
token requests and the PKCE challenge (RFC 7636, S256); joserfc (Authlib's JOSE successor; `authlib.jose` is
deprecated) verifies the ID token's signature against the provider's JWKS and validates its registered
claims (iss, aud, exp, iat, nonce). What is ours: which claims are essential, and the acr level check.

- Discovery (`<issuer>/.well-known/openid-configuration`) is read on first use and kept for an hour.
- The JWKS is cached; an ID token signed with a key id the cache does not know makes one refetch (the
  provider rotated), at most once per `jwks_refetch_seconds`, so a forged kid cannot make us hammer it.
- The client secret is read from Secrets Manager (`{"client_secret": ...}`, written by the operators) on
  first use and sent with HTTP Basic (client_secret_basic).
- Every URL called must be https; plain http only on the loopback (the local simulator). Checked at each call
  (the discovery document names the other endpoints).
Failures: OidcRefusal (with a reason code) for what the provider or its token refused; OidcUnavailable for
a provider that does not answer. Nothing personal is ever put in an exception.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from selfcare import aws
from selfcare.ports.oidc import AuthorizationRequest, OidcRefusal, OidcUnavailable, VerifiedIdentity
from selfcare.ports.urls import checked_url

ALGORITHMS = ("RS256", "ES256", "EdDSA")
DISCOVERY_MAX_AGE_SECONDS = 3600
_ID_TOKEN_ESSENTIAL = ("iss", "aud", "exp", "iat", "sub", "nonce")


@dataclass(frozen=True)
class OidcClientConfig:
    discovery_url: str  # <issuer>/.well-known/openid-configuration
    client_id: str
    client_secret_id: str  # Secrets Manager secret holding {"client_secret": ...}
    redirect_uri: str
    scope: str = "openid profile"
    # Assurance levels the provider uses, lowest first, and the least one accepted (None: not checked).
    acr_levels: tuple[str, ...] = ()
    minimum_acr: str | None = None
    leeway_seconds: int = 30
    timeout_seconds: float = 5.0
    jwks_refetch_seconds: float = 1.0


def _check_url(url: str) -> None:
    checked_url(url, "an OpenID Connect URL")


def _secrets_manager_secret(secret_id: str) -> str:
    value = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    return str(value["client_secret"])


class HttpsOidcProvider:
    def __init__(
        self,
        config: OidcClientConfig,
        *,
        client_secret: Callable[[str], str] = _secrets_manager_secret,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if config.minimum_acr is not None and config.minimum_acr not in config.acr_levels:
            raise ValueError("the minimum acr must be one of the acr levels")
        self.config = config
        self._client_secret_source = client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._jwks: dict[str, Any] | None = None  # {"keys": [...]}
        self._jwks_fetched_at = 0.0
        self._secret: str | None = None

    # The authorization request ---------------------------------------------------------------------
    def accepted_acr_values(self) -> tuple[str, ...]:
        if self.config.minimum_acr is None:
            return ()
        return self.config.acr_levels[self.config.acr_levels.index(self.config.minimum_acr) :]

    def authorization_url(self, request: AuthorizationRequest) -> str:
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri  # type: ignore[import-untyped]
        from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]

        extra: dict[str, str] = {
            "nonce": request.nonce,
            "code_challenge": create_s256_code_challenge(request.code_verifier),
            "code_challenge_method": "S256",
        }
        if self.accepted_acr_values():
            extra["acr_values"] = " ".join(self.accepted_acr_values())
        return str(
            prepare_grant_uri(
                self._metadata()["authorization_endpoint"],
                client_id=self.config.client_id,
                response_type="code",
                redirect_uri=self.config.redirect_uri,
                scope=self.config.scope,
                state=request.state,
                **extra,
            )
        )

    # The code's redemption ---------------------------------------------------------------------------
    def redeem(self, code: str, request: AuthorizationRequest) -> VerifiedIdentity:
        from authlib.oauth2.rfc6749.parameters import prepare_token_request

        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=self.config.redirect_uri,
            code_verifier=request.code_verifier,
        )
        credentials = f"{quote(self.config.client_id, safe='')}:{quote(self._client_secret(), safe='')}"
        status, answer = self._http(
            "POST",
            self._metadata()["token_endpoint"],
            body.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
            },
        )
        if status >= 500:
            raise OidcUnavailable("token endpoint")
        if status != 200 or not isinstance(answer, dict):
            raise OidcRefusal("code_rejected")  # invalid_grant: unknown, replayed, expired code or bad verifier
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefusal("token_invalid")
        return self.verify_id_token(id_token, request.nonce)

    def verify_id_token(self, id_token: str, nonce: str) -> VerifiedIdentity:
        from joserfc import jwt
        from joserfc.errors import (
            BadSignatureError,
            ExpiredTokenError,
            InvalidClaimError,
            InvalidTokenError,
            JoseError,
            MissingClaimError,
        )
        from joserfc.jwk import KeySet
        from joserfc.jws import extract_compact

        try:
            header = extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError) as error:
            raise OidcRefusal("token_invalid") from error
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise OidcRefusal("token_invalid")
        keys = KeySet.import_key_set(self._jwks_with(kid))  # type: ignore[arg-type]
        try:
            token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        except BadSignatureError as error:
            raise OidcRefusal("signature_invalid") from error
        except (JoseError, ValueError) as error:
            raise OidcRefusal("token_invalid") from error
        issuer = self._metadata()["issuer"]
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self.config.leeway_seconds,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": self.config.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        claims = token.claims
        # iat in the future (beyond the leeway): a token minted by a clock we cannot trust.
        issued_at = claims.get("iat")
        if isinstance(issued_at, int) and issued_at > self._clock() + self.config.leeway_seconds:
            raise OidcRefusal("issued_in_future")
        try:
            registry.validate(claims)
        except ExpiredTokenError as error:
            raise OidcRefusal("expired") from error
        except (InvalidClaimError, MissingClaimError) as error:
            raise OidcRefusal(_claim_reason(getattr(error, "claim", ""))) from error
        except (InvalidTokenError, JoseError) as error:
            raise OidcRefusal("token_invalid") from error
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.config.client_id:
            raise OidcRefusal("audience_invalid")
        acr = str(claims.get("acr") or "")
        if self.config.minimum_acr is not None and acr not in self.accepted_acr_values():
            raise OidcRefusal("acr_too_low")
        subject = claims["sub"]
        if not isinstance(subject, str) or not 1 <= len(subject) <= 255:
            raise OidcRefusal("subject_missing")
        groups = claims.get("groups") or ()
        return VerifiedIdentity(
            subject=subject,
            acr=acr,
            family_name=_text(claims.get("family_name")),
            given_name=_text(claims.get("given_name")),
            birth_date=_text(claims.get("birthdate")),
            email=_text(claims.get("email")),
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        )

    # Provider metadata, keys, secret ----------------------------------------------------------------
    def _metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery and self._clock() - self._discovery[0] < DISCOVERY_MAX_AGE_SECONDS:
                return self._discovery[1]
        status, document = self._http("GET", self.config.discovery_url)
        if status != 200 or not isinstance(document, dict):
            raise OidcUnavailable("discovery")
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise OidcUnavailable("discovery")
            if name != "issuer":
                _check_url(document[name])
        with self._lock:
            self._discovery = (self._clock(), document)
        return document

    def _jwks_with(self, kid: str) -> dict[str, Any]:
        """The cached JWKS; fetched again when it lacks `kid` (a rotation), at most once per refetch period."""
        with self._lock:
            cached = self._jwks
            recent = self._clock() - self._jwks_fetched_at < self.config.jwks_refetch_seconds
        if cached is not None and (_has_kid(cached, kid) or recent):
            if not _has_kid(cached, kid):
                raise OidcRefusal("unknown_key")
            return cached
        status, document = self._http("GET", self._metadata()["jwks_uri"])
        if status != 200 or not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise OidcUnavailable("jwks")
        with self._lock:
            self._jwks, self._jwks_fetched_at = document, self._clock()
        if not _has_kid(document, kid):
            raise OidcRefusal("unknown_key")
        return document

    def _client_secret(self) -> str:
        if self._secret is None:
            self._secret = self._client_secret_source(self.config.client_secret_id)
        return self._secret

    def _http(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        _check_url(url)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked (https, or http on the loopback)
            url, data=body, method=method, headers={"Accept": "application/json", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as response:  # noqa: S310
                return int(response.status), _json(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), _json(error.read())
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise OidcUnavailable(type(error).__name__) from error


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _has_kid(jwks: dict[str, Any], kid: str) -> bool:
    return any(isinstance(k, dict) and k.get("kid") == kid for k in jwks.get("keys", []))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


_CLAIM_REASONS = {
    "iss": "issuer_invalid",
    "aud": "audience_invalid",
    "nonce": "nonce_mismatch",
    "sub": "subject_missing",
}


def _claim_reason(claim: str) -> str:
    return _CLAIM_REASONS.get(claim, "token_invalid")
