"""Audit targets without direct identifiers (agreed with the anonymisation work, issue 9).

Audit entries are never updated, so they must hold no direct identifier from the start: the customer id
(an internal id) is fine, but a line id ("M-377612345679") embeds a phone number and a workflow handle
embeds the line. Those segments of a target are replaced by a keyed hash (HMAC-SHA256 with the audit
pseudonym key, a generated secret): stable for one line, so the entries about it still go together, and
not reversible without the key (a plain hash of a phone number is, by trying every number).
"""

from __future__ import annotations

import hashlib
import hmac

from selfcare.ports.hash_key import HashKeySource

# Segment kinds ("kind#value", segments separated by "/") whose value may embed a phone number or an address.
PSEUDONYMISED_KINDS = frozenset({"line", "workflow", "mailbox"})
PSEUDONYM_PREFIX = "p-"


def needs_pseudonym(target: str) -> bool:
    return any(segment.partition("#")[0] in PSEUDONYMISED_KINDS for segment in target.split("/"))


def pseudonymous(target: str, key: HashKeySource) -> str:
    """`line#M-377612345679/box#b1` -> `line#p-<20 hex>/box#b1` (idempotent on a pseudonymous target)."""
    segments = []
    for segment in target.split("/"):
        kind, sep, value = segment.partition("#")
        if sep and kind in PSEUDONYMISED_KINDS and not value.startswith(PSEUDONYM_PREFIX):
            digest = hmac.new(key.key(), f"{kind}#{value}".encode(), hashlib.sha256).hexdigest()[:20]
            segment = f"{kind}#{PSEUDONYM_PREFIX}{digest}"
        segments.append(segment)
    return "/".join(segments)
