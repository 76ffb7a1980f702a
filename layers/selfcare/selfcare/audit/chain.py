"""Hash chains of the audit trail: one chain per subject (the customer concerned, or the staff member).

Each entry carries its position `seq` (1, 2, ...; its sort key is `seq#<12 digits>`), the hash of its
predecessor (`prev_hash`, GENESIS for the first), the predecessor's expiry (`prev_expires_at`, 0 for the
first) and `hash`, the SHA-256 of its canonical content (HASHED_FIELDS, JSON with sorted keys). The writer
(selfcare.dal.logs) puts an entry only if its slot is free (attribute_not_exists), so two concurrent
writers cannot both extend a chain from the same predecessor: the loser re-reads the tip and retries.

Why `prev_expires_at`: TTL deletes the oldest entries after 12 months. The oldest surviving entry then has
no predecessor to check, and its recorded `prev_expires_at` says whether the predecessor may legitimately
be gone (expired) or was deleted (still within its retention). Entries expire in chain order (expiry =
write time + 12 months), so a legitimate start of a chain is always an expired predecessor.

Pure functions, no AWS: the writer, the digest function and the verifier share them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
SEQ_PREFIX = "seq#"
_SEQ_KEY = re.compile(r"^seq#(\d{12})$")
HASHED_FIELDS: tuple[str, ...] = (
    "subject",
    "seq",
    "actor",
    "on_behalf_of",
    "action",
    "target",
    "at",
    "request_id",
    "grant_id",
    "expires_at",
    "prev_hash",
    "prev_expires_at",
)


def sort_key(seq: int) -> str:
    return f"{SEQ_PREFIX}{seq:012d}"


def seq_of(sort_key_value: str) -> int | None:
    match = _SEQ_KEY.match(sort_key_value)
    return int(match.group(1)) if match else None


def hour_of(at: str) -> str:
    """The digest index's partition: the hour of an ISO time ("2026-11-25T21")."""
    return at[:13]


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):  # numbers as boto3's resource layer reads them
        return int(value) if value == value.to_integral_value() else str(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical(item: Mapping[str, Any]) -> bytes:
    content = {name: item.get(name) for name in HASHED_FIELDS}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_number).encode()


def entry_hash(item: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(item)).hexdigest()


@dataclass(frozen=True)
class Tip:
    """The last entry of a subject's chain, as the next entry links to it."""

    seq: int
    hash: str
    expires_at: int

    @staticmethod
    def of(item: Mapping[str, Any] | None) -> Tip:
        if item is None:
            return Tip(0, GENESIS, 0)
        return Tip(int(item["seq"]), str(item["hash"]), int(item["expires_at"]))


def chained(content: Mapping[str, Any], tip: Tip) -> dict[str, Any]:
    """The entry `content` placed after `tip`: position, links and hash added."""
    item = dict(content)
    item |= {
        "seq": tip.seq + 1,
        "sk": sort_key(tip.seq + 1),
        "prev_hash": tip.hash,
        "prev_expires_at": tip.expires_at,
    }
    item["hash"] = entry_hash(item)
    return item


@dataclass(frozen=True)
class Finding:
    """Something the verifier found wrong, naming the entries concerned (`subject` and sort keys)."""

    kind: str  # modified | deleted | inserted | broken_link | digest
    subject: str
    entries: tuple[str, ...]
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject} {', '.join(self.entries)}: {self.detail}"


@dataclass
class ChainReport:
    findings: list[Finding] = field(default_factory=list)
    # subject -> its entries by seq (those with a valid position)
    chains: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    entries: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings


def verify_chains(items: Iterable[Mapping[str, Any]], now: int) -> ChainReport:
    """Check every subject's chain: each entry's hash, each link, no gap, a legitimate start."""
    report = ChainReport()
    for item in items:
        report.entries += 1
        subject, sk = str(item.get("subject")), str(item.get("sk"))
        seq = seq_of(sk)
        if seq is None or "hash" not in item or "seq" not in item:
            report.findings.append(Finding("inserted", subject, (sk,), "not part of any chain (no position or hash)"))
            continue
        report.chains.setdefault(subject, {})[seq] = dict(item)
    for subject, chain in sorted(report.chains.items()):
        previous: dict[str, Any] | None = None
        for seq in sorted(chain):
            item = chain[seq]
            sk = str(item["sk"])
            if int(item["seq"]) != seq:
                report.findings.append(Finding("modified", subject, (sk,), f"its content says position {item['seq']}"))
            elif entry_hash(item) != item["hash"]:
                report.findings.append(Finding("modified", subject, (sk,), "its content does not match its hash"))
            if previous is None:
                if seq == 1:
                    if item.get("prev_hash") != GENESIS:
                        report.findings.append(Finding("inserted", subject, (sk,), "first entry without genesis link"))
                elif int(item.get("prev_expires_at") or 0) > now:
                    report.findings.append(
                        Finding(
                            "deleted", subject, (sort_key(seq - 1),), "missing before the oldest entry, not yet expired"
                        )
                    )
            else:
                previous_seq = int(previous["seq"])
                if seq > previous_seq + 1:
                    missing = tuple(sort_key(n) for n in range(previous_seq + 1, seq))
                    report.findings.append(Finding("deleted", subject, missing, "missing from the chain"))
                elif item.get("prev_hash") != previous.get("hash"):
                    report.findings.append(
                        Finding(
                            "broken_link",
                            subject,
                            (str(previous["sk"]), sk),
                            "the later entry does not chain to the earlier one: one was modified, replaced or inserted",
                        )
                    )
            previous = item
    return report
