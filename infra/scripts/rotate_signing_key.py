"""Rotate the JWT signing key: `python -m infra.scripts.rotate_signing_key [--if-missing]`.

Generates an Ed25519 key pair and writes
- to the Secrets Manager secret definitions.SIGNING_KEY_SECRET_NAME: `{"kid": ..., "private_key": <PEM>}`;
- to the SSM parameter definitions.PUBLIC_KEYS_PARAMETER_NAME: the JWKS `{"keys": [current, previous]}`,
  keeping the previous public key so that tokens signed before the rotation still verify.

The JWKS is written before the secret: from the moment the new private key can sign, its public key is
already published. With --if-missing (after every deploy) no key is generated when the secret already
holds one; the script only publishes that key's public half again if the JWKS lost it (CloudFormation
rewrites the parameter's initial value whenever it updates that resource).
Secrets Manager rotation cannot do this (it cannot generate a key pair and publish the public half), hence
this script. Region from AWS_REGION / AWS_DEFAULT_REGION, else CDK_DEFAULT_REGION, else eu-west-3.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import boto3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from infra.definitions import PUBLIC_KEYS_PARAMETER_NAME, SIGNING_KEY_SECRET_NAME
from infra.stacks.names import DEFAULT_REGION

JWK_ALGORITHM = "EdDSA"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(public_key: Ed25519PublicKey, kid: str | None = None) -> dict[str, str]:
    """The OKP/Ed25519 JWK of a public key (RFC 8037). Without `kid`, the RFC 7638 thumbprint is the kid."""
    x = _b64url(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    if kid is None:
        members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
        kid = _b64url(hashlib.sha256(members.encode("ascii")).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": JWK_ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key_pem: str
    jwk: dict[str, str]

    def secret_string(self) -> str:
        return json.dumps({"kid": self.kid, "private_key": self.private_key_pem})


def generate_signing_key() -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    jwk = public_jwk(private_key.public_key())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return SigningKey(kid=jwk["kid"], private_key_pem=pem, jwk=jwk)


def signing_key_from_secret(secret_string: str) -> SigningKey:
    """Read back what `SigningKey.secret_string` wrote (the kid stored is the one tokens carry)."""
    value = json.loads(secret_string)
    private_key = serialization.load_pem_private_key(value["private_key"].encode("ascii"), password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError("the signing key secret does not hold an Ed25519 private key")
    kid = str(value["kid"])
    return SigningKey(kid=kid, private_key_pem=value["private_key"], jwk=public_jwk(private_key.public_key(), kid))


def jwks(current: SigningKey, previous: SigningKey | None) -> dict[str, list[dict[str, str]]]:
    keys = [current.jwk]
    if previous is not None and previous.kid != current.kid:
        keys.append(previous.jwk)
    return {"keys": keys}


def read_signing_key(secretsmanager: Any, secret_id: str) -> SigningKey | None:
    """The current signing key, or None when the secret has no value yet (as CloudFormation creates it)."""
    try:
        response = secretsmanager.get_secret_value(SecretId=secret_id)
    except secretsmanager.exceptions.ResourceNotFoundException:
        # Raised both for an unknown secret and for a secret without an AWSCURRENT value: tell them apart.
        secretsmanager.describe_secret(SecretId=secret_id)  # raises if the secret itself does not exist
        return None
    secret_string = response.get("SecretString")
    return signing_key_from_secret(secret_string) if secret_string else None


def read_jwks(ssm: Any, parameter_name: str) -> dict[str, list[dict[str, str]]]:
    value = json.loads(ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"])
    return {"keys": list(value.get("keys", []))}


class Outcome(StrEnum):
    CREATED = "created"  # first key
    ROTATED = "rotated"  # new key, previous kept in the JWKS
    SKIPPED = "skipped"  # --if-missing, a key exists and the JWKS publishes it
    REPUBLISHED = "republished"  # --if-missing, a key exists but the JWKS had lost it: published again


@dataclass(frozen=True)
class RotationResult:
    outcome: Outcome
    kid: str
    previous_kid: str | None = None


def rotate(
    secretsmanager: Any,
    ssm: Any,
    *,
    secret_id: str = SIGNING_KEY_SECRET_NAME,
    parameter_name: str = PUBLIC_KEYS_PARAMETER_NAME,
    if_missing: bool = False,
) -> RotationResult:
    previous = read_signing_key(secretsmanager, secret_id)
    if previous is not None and if_missing:
        # CloudFormation writes the parameter's initial empty JWKS again whenever the parameter resource is
        # updated: after a deploy, make sure the current key is published, without rotating it.
        published = read_jwks(ssm, parameter_name)
        if previous.kid in {key.get("kid") for key in published["keys"]}:
            return RotationResult(Outcome.SKIPPED, previous.kid)
        republished = {"keys": [previous.jwk, *(key for key in published["keys"] if key.get("kid") != previous.kid)]}
        ssm.put_parameter(Name=parameter_name, Value=json.dumps(republished), Type="String", Overwrite=True)
        return RotationResult(Outcome.REPUBLISHED, previous.kid)
    current = generate_signing_key()
    # Public key first: verifiers can check the new key's tokens before anything is signed with it.
    ssm.put_parameter(Name=parameter_name, Value=json.dumps(jwks(current, previous)), Type="String", Overwrite=True)
    secretsmanager.put_secret_value(SecretId=secret_id, SecretString=current.secret_string())
    if previous is None:
        return RotationResult(Outcome.CREATED, current.kid)
    return RotationResult(Outcome.ROTATED, current.kid, previous.kid)


def region() -> str:
    return (
        os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or os.environ.get("CDK_DEFAULT_REGION")
        or DEFAULT_REGION
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.scripts.rotate_signing_key", description=__doc__)
    parser.add_argument(
        "--if-missing", action="store_true", help="do nothing when the secret already holds a signing key"
    )
    args = parser.parse_args(argv)

    session = boto3.session.Session(region_name=region())
    result = rotate(session.client("secretsmanager"), session.client("ssm"), if_missing=args.if_missing)
    message = {
        Outcome.CREATED: f"signing key created: kid {result.kid}",
        Outcome.ROTATED: f"signing key rotated: kid {result.kid} (JWKS keeps previous {result.previous_kid})",
        Outcome.SKIPPED: f"signing key present (kid {result.kid}): nothing to do",
        Outcome.REPUBLISHED: f"signing key present (kid {result.kid}): public key published again in the JWKS",
    }[result.outcome]
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
