"""The JWKS cache of the authorizer (selfcare.ports.keys.SsmPublicKeys): forged key ids cannot make it read SSM."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from selfcare.auth.tokens import TokenVerifier
from selfcare.errors import Unauthenticated
from selfcare.ports import keys
from selfcare.ports.keys import SsmPublicKeys


class CountingSsm:
    def __init__(self) -> None:
        self.reads = 0

    def get_parameter(self, Name: str) -> dict[str, Any]:
        self.reads += 1
        jwks = {"keys": [{"kid": "k1", "kty": "OKP", "crv": "Ed25519", "x": "A" * 43}]}
        return {"Parameter": {"Value": json.dumps(jwks)}}


def forged(kid: str) -> str:
    """A token naming key id `kid` (its signature is never looked at: no such key)."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "EdDSA", "kid": kid}).encode()).rstrip(b"=").decode()
    return f"{header}.e30.c2ln"


def test_forged_key_ids_refresh_the_keys_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the authorizer's key source, its keys read once, and a clock under the test's control
    now = [1000.0]
    monkeypatch.setattr(keys.time, "monotonic", lambda: now[0])
    ssm = CountingSsm()
    source = SsmPublicKeys("/selfcare/jwt-public-keys", max_age=300, min_refresh_seconds=30)
    source._client = ssm
    verifier = TokenVerifier(source, "selfcare", "selfcare-api")
    assert set(source.public_keys()) == {"k1"} and ssm.reads == 1
    # When 100 requests name key ids that do not exist
    for n in range(100):
        with pytest.raises(Unauthenticated):
            verifier.verify(forged(f"forged-{n}"))
    # Then SSM was not read again (the keys are 0 s old), and all were refused
    assert ssm.reads == 1
    # And past the interval, one more unknown key id reads SSM once (a rotation is still followed)
    now[0] += 31
    for n in range(10):
        with pytest.raises(Unauthenticated):
            verifier.verify(forged(f"later-{n}"))
    assert ssm.reads == 2
    # and the cache's own age still applies to normal reads
    now[0] += 300
    source.public_keys()
    assert ssm.reads == 3
