"""Signed digests of the audit trail's chain heads, like CloudTrail's digest files.

Every run (hourly, scheduled) writes one digest: the head (subject, seq, hash, expiry) of every chain that
changed since the previous digest (with an hour of overlap, so that an entry committed late is still
covered), the time it covers up to, and the SHA-256 of the previous digest's body, signed with an
asymmetric KMS key (ECDSA P-256) and stored in an S3 bucket under Object Lock. A digest is written even
when nothing changed, so the digests themselves form an unbroken chain.

Verification (`verify_digests`) checks each signature and link between digests, that every head a digest
recorded is still the entry it was (unless expired: TTL), and that no entry older than the last digest
sits beyond the head that digest recorded (an insertion after the fact).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from selfcare.audit.chain import ChainReport, Finding, sort_key
from selfcare.clock import Clock, epoch, iso

DIGEST_PREFIX = "audit-digests/"
DIGEST_VERSION = 1
SIGNING_ALGORITHM = "ECDSA_SHA_256"
# A new digest re-reads the hours from one hour before the previous digest's end.
OVERLAP = timedelta(hours=1)
# Beyond this many hours since the previous digest (the schedule was down), one Scan beats a Query per hour.
MAX_HOURLY_QUERIES = 48
# An entry older than the last digest by this much must be covered by it (else it was inserted later).
COVERAGE_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class Head:
    subject: str
    seq: int
    hash: str
    expires_at: int

    def as_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "seq": self.seq, "hash": self.hash, "expires_at": self.expires_at}


def latest_heads(entries: Iterable[Mapping[str, Any]]) -> list[Head]:
    """The entry of highest position per subject."""
    best: dict[str, Head] = {}
    for entry in entries:
        head = Head(str(entry["subject"]), int(entry["seq"]), str(entry["hash"]), int(entry["expires_at"]))
        if head.subject not in best or head.seq > best[head.subject].seq:
            best[head.subject] = head
    return sorted(best.values(), key=lambda h: h.subject)


def canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def body_sha256(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def hours_between(start: datetime, end: datetime) -> list[str]:
    """The digest index's partitions ("YYYY-MM-DDTHH") from start's hour to end's hour, both included."""
    hours = []
    moment = start.replace(minute=0, second=0, microsecond=0)
    while moment <= end:
        hours.append(iso(moment)[:13])
        moment += timedelta(hours=1)
    return hours


class ChainHeads(Protocol):
    """The heads of the chains that changed in given hours, or of every chain (the first digest)."""

    def heads_in_hours(self, hours: list[str]) -> list[Head]: ...

    def all_heads(self) -> list[Head]: ...


class DigestSigner(Protocol):
    key_id: str

    def sign(self, digest: bytes) -> bytes: ...

    def verify(self, digest: bytes, signature: bytes) -> bool: ...


class DigestStore(Protocol):
    def latest(self) -> tuple[str, bytes] | None: ...

    def put(self, key: str, document: bytes) -> None: ...

    def all(self) -> list[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class DigestWritten:
    key: str
    heads: int


class AuditDigester:
    def __init__(self, heads: ChainHeads, store: DigestStore, signer: DigestSigner, clock: Clock) -> None:
        self.heads = heads
        self.store = store
        self.signer = signer
        self.clock = clock

    def run(self) -> DigestWritten:
        now = self.clock.now()
        latest = self.store.latest()
        previous: dict[str, Any] | None = None
        if latest is None:
            heads = self.heads.all_heads()
        else:
            previous_key, previous_document = latest
            previous_body = json.loads(previous_document)["body"]
            previous = {
                "key": previous_key,
                "sha256": body_sha256(previous_body),
                "created_at": previous_body["created_at"],
            }
            since = datetime.fromisoformat(previous_body["covers_until"].replace("Z", "+00:00")) - OVERLAP
            hours = hours_between(since, now)
            heads = self.heads.heads_in_hours(hours) if len(hours) <= MAX_HOURLY_QUERIES else self.heads.all_heads()
        body: dict[str, Any] = {
            "version": DIGEST_VERSION,
            "created_at": iso(now),
            "covers_until": iso(now),
            "previous": previous,
            "heads": [head.as_json() for head in heads],
        }
        signature = self.signer.sign(hashlib.sha256(canonical(body)).digest())
        document: dict[str, Any] = {
            "body": body,
            "signature": base64.b64encode(signature).decode(),
            "algorithm": SIGNING_ALGORITHM,
            "key_id": self.signer.key_id,
        }
        key = f"{DIGEST_PREFIX}{now.strftime('%Y/%m/%d/%H%M%S')}{now.microsecond // 1000:03d}Z.json"
        self.store.put(key, canonical(document))
        return DigestWritten(key=key, heads=len(heads))


def verify_digests(
    documents: list[tuple[str, bytes]],
    verify_signature: Callable[[bytes, bytes], bool],
    chains: ChainReport,
    now: datetime,
    digest_retention_days: int,
) -> tuple[list[Finding], int]:
    """Findings on the digests and on the entries they vouch for; how many heads were checked."""
    findings: list[Finding] = []
    checked = 0
    previous_key: str | None = None
    previous_sha: str | None = None
    covered: dict[str, int] = {}
    covers_until: datetime | None = None
    for key, raw in sorted(documents):
        try:
            document = json.loads(raw)
            body = document["body"]
            signature = base64.b64decode(document["signature"])
        except (ValueError, KeyError, TypeError):
            findings.append(Finding("digest", "-", (key,), "unreadable digest"))
            continue
        if not verify_signature(hashlib.sha256(canonical(body)).digest(), signature):
            findings.append(Finding("digest", "-", (key,), "signature does not verify: the digest was altered"))
            continue
        link = body.get("previous")
        if previous_key is None:
            if link is not None:
                created = datetime.fromisoformat(str(link["created_at"]).replace("Z", "+00:00"))
                if created > now - timedelta(days=digest_retention_days):
                    findings.append(Finding("digest", "-", (str(link["key"]),), "digest missing (within retention)"))
        elif link is None or link.get("key") != previous_key or link.get("sha256") != previous_sha:
            findings.append(Finding("digest", "-", (key,), f"does not chain to the previous digest {previous_key}"))
        previous_key, previous_sha = key, body_sha256(body)
        covers_until = datetime.fromisoformat(str(body["covers_until"]).replace("Z", "+00:00"))
        for head in body.get("heads", []):
            subject, seq = str(head["subject"]), int(head["seq"])
            covered[subject] = max(covered.get(subject, 0), seq)
            if int(head["expires_at"]) <= epoch(now):
                continue  # gone by TTL, legitimately
            checked += 1
            entry = chains.chains.get(subject, {}).get(seq)
            if entry is None:
                findings.append(Finding("deleted", subject, (sort_key(seq),), f"recorded in the signed digest {key}"))
            elif entry.get("hash") != head["hash"]:
                findings.append(Finding("modified", subject, (sort_key(seq),), f"differs from the signed digest {key}"))
    if covers_until is not None:
        limit = iso(covers_until - timedelta(seconds=COVERAGE_MARGIN_SECONDS))
        for subject, chain in chains.chains.items():
            for seq, entry in chain.items():
                if seq > covered.get(subject, 0) and str(entry.get("at", "")) < limit:
                    findings.append(
                        Finding("inserted", subject, (sort_key(seq),), "older than the last digest but not in it")
                    )
    return findings, checked
