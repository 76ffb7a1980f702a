"""Port: the secret key of a keyed hash (HMAC), from Secrets Manager.

Adapters: `SecretsManagerHashKey` (production and the local stack: the secret's SecretString,
read on first use and kept for the process) and `StaticHashKey` (tests).
"""

from __future__ import annotations

from typing import Protocol

from selfcare import aws

MIN_KEY_BYTES = 32


class HashKeySource(Protocol):
    def key(self) -> bytes: ...


class StaticHashKey:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def key(self) -> bytes:
        return self._key


class SecretsManagerHashKey:
    def __init__(self, secret_id: str) -> None:
        self.secret_id = secret_id
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            secret = aws.client("secretsmanager").get_secret_value(SecretId=self.secret_id)
            value = secret.get("SecretString")
            key = value.encode() if isinstance(value, str) else bytes(secret.get("SecretBinary") or b"")
            if len(key) < MIN_KEY_BYTES:
                raise ValueError("the hash key secret is missing or shorter than 32 bytes")
            self._key = key
        return self._key
