"""JWT key material: the private signing key (Secrets Manager) and the public JWKS (SSM).

The same adapters run in AWS and on the local stack (moto), which generates its own key at start.
Values are cached per process for `max_age` seconds, so a rotation reaches warm functions in time.
"""

from __future__ import annotations

import json
import time
from typing import Any

from selfcare import aws
from selfcare.auth.tokens import SigningKey


class SecretsManagerSigningKey:
    def __init__(self, secret_id: str, max_age: int = 300) -> None:
        self._secret_id = secret_id
        self._max_age = max_age
        self._cached: tuple[float, SigningKey] | None = None
        self._client: Any = None

    def signing_key(self) -> SigningKey:
        if self._cached and time.monotonic() - self._cached[0] < self._max_age:
            return self._cached[1]
        if self._client is None:
            self._client = aws.client("secretsmanager")
        value = json.loads(self._client.get_secret_value(SecretId=self._secret_id)["SecretString"])
        key = SigningKey(kid=value["kid"], private_key_pem=value["private_key"])
        self._cached = (time.monotonic(), key)
        return key


class SsmPublicKeys:
    """The JWKS, cached `max_age` seconds. A token naming an unknown key id asks for a fresh read (a rotation just
    happened), but at most once per `min_refresh_seconds`: otherwise anyone could make every request of the
    authorizer read SSM with forged key ids, until SSM throttles the reads that real tokens need."""

    def __init__(self, parameter_name: str, max_age: int = 300, min_refresh_seconds: int = 30) -> None:
        self._name = parameter_name
        self._max_age = max_age
        self._min_refresh = min_refresh_seconds
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._client: Any = None

    def public_keys(self, refresh: bool = False) -> dict[str, Any]:
        if self._cached:
            read_at, keys = self._cached
            if time.monotonic() - read_at < (self._min_refresh if refresh else self._max_age):
                return keys
        if self._client is None:
            self._client = aws.client("ssm")
        jwks = json.loads(self._client.get_parameter(Name=self._name)["Parameter"]["Value"])
        keys = {jwk["kid"]: jwk for jwk in jwks.get("keys", [])}
        self._cached = (time.monotonic(), keys)
        return keys
