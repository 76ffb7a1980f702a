"""Ports of the audit digests: the signer (KMS, asymmetric key) and the store (S3 bucket under Object Lock)."""

from __future__ import annotations

from typing import Any

from selfcare import aws
from selfcare.audit.digest import DIGEST_PREFIX, SIGNING_ALGORITHM


class KmsDigestSigner:
    """kms:Sign / kms:Verify of a SHA-256 digest with an ECC_NIST_P256 key (the private key never leaves KMS)."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def sign(self, digest: bytes) -> bytes:
        response = aws.client("kms").sign(
            KeyId=self.key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm=SIGNING_ALGORITHM
        )
        return bytes(response["Signature"])

    def verify(self, digest: bytes, signature: bytes) -> bool:
        try:
            response = aws.client("kms").verify(
                KeyId=self.key_id,
                Message=digest,
                MessageType="DIGEST",
                Signature=signature,
                SigningAlgorithm=SIGNING_ALGORITHM,
            )
        except aws.client("kms").exceptions.KMSInvalidSignatureException:
            return False
        return bool(response["SignatureValid"])


class S3DigestStore:
    """Digests as objects `audit-digests/YYYY/MM/DD/HHMMSSmmmZ.json`: the key order is the time order."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def _keys(self) -> list[str]:
        keys: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": DIGEST_PREFIX}
        while True:
            response = aws.client("s3").list_objects_v2(**kwargs)
            keys.extend(str(obj["Key"]) for obj in response.get("Contents", []))
            if not response.get("IsTruncated"):
                return keys
            kwargs["ContinuationToken"] = response["NextContinuationToken"]

    def _get(self, key: str) -> bytes:
        return bytes(aws.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def latest(self) -> tuple[str, bytes] | None:
        keys = self._keys()
        if not keys:
            return None
        key = max(keys)
        return key, self._get(key)

    def put(self, key: str, document: bytes) -> None:
        # The bucket's default retention (Object Lock) applies; the checksum makes S3 refuse a corrupted upload.
        aws.client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=document, ContentType="application/json", ChecksumAlgorithm="SHA256"
        )

    def all(self) -> list[tuple[str, bytes]]:
        return [(key, self._get(key)) for key in sorted(self._keys())]
