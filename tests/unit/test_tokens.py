from __future__ import annotations

import jwt
import pytest
from selfcare.auth.policy import PrincipalType, StaffRole
from selfcare.auth.tokens import AccessClaims, RefreshToken, TokenIssuer, TokenVerifier, digest
from selfcare.errors import Unauthenticated

from tests.fakes import StaticKeys

NOW = 1_800_000_000


def _pair() -> tuple[TokenIssuer, TokenVerifier, StaticKeys]:
    keys = StaticKeys()
    return TokenIssuer(keys, "selfcare", "selfcare-api", 900), TokenVerifier(keys, "selfcare", "selfcare-api"), keys


def test_round_trip_customer_and_staff() -> None:
    issuer, verifier, _ = _pair()
    customer = AccessClaims(PrincipalType.CUSTOMER, "C1", "s1", NOW)
    staff = AccessClaims(PrincipalType.STAFF, "S1", "s2", NOW, role=StaffRole.SALES, password_expired=True)
    for claims in (customer, staff):
        token = issuer.issue(claims, now=__import__("time").time().__int__())
        assert verifier.verify(token) == claims
    assert jwt.get_unverified_header(issuer.issue(customer, NOW))["alg"] == "EdDSA"


def test_expired_token_is_refused() -> None:
    issuer, verifier, _ = _pair()
    token = issuer.issue(AccessClaims(PrincipalType.CUSTOMER, "C1", "s1", NOW), now=NOW)  # 2027: long expired
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_token_signed_by_another_key_is_refused() -> None:
    issuer, _, _ = _pair()
    _, other_verifier, _ = _pair()
    import time

    token = issuer.issue(AccessClaims(PrincipalType.CUSTOMER, "C1", "s1", NOW), now=int(time.time()))
    with pytest.raises(Unauthenticated):
        other_verifier.verify(token)


def test_unsigned_and_symmetric_tokens_are_refused() -> None:
    _, verifier, keys = _pair()
    import time

    payload = {
        "sub": "C1",
        "sid": "s",
        "typ": "customer",
        "auth_time": 1,
        "iss": "selfcare",
        "aud": "selfcare-api",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    for token in (
        jwt.encode(payload, None, algorithm="none"),
        jwt.encode(payload, "k" * 32, algorithm="HS256", headers={"kid": next(iter(keys.jwks))}),
        "not.a.token",
    ):
        with pytest.raises(Unauthenticated):
            verifier.verify(token)


def test_refresh_token_format() -> None:
    token = RefreshToken("abc123", "s" * 43)
    assert RefreshToken.parse(str(token)) == token
    assert RefreshToken.parse("no-dot") is None
    assert RefreshToken.parse("abc.short") is None
    assert digest("x") != "x" and len(digest("x")) == 64
