"""The audit trail's chain and pseudonyms, pure (no AWS): what the writer, digest and verifier share."""

from __future__ import annotations

from selfcare.audit.chain import GENESIS, Tip, chained, entry_hash, sort_key, verify_chains
from selfcare.audit.digest import hours_between, latest_heads
from selfcare.audit.pseudonyms import pseudonymous
from selfcare.audit.system import SystemAction, system_entry
from selfcare.ports.hash_key import StaticHashKey

NOW = 1_800_000_000


def _chain(subject: str, n: int, expires_at: int = NOW + 1000) -> list[dict[str, object]]:
    items, tip = [], Tip.of(None)
    for i in range(n):
        item = chained(
            {"subject": subject, "action": f"a{i}", "at": f"2026-01-01T00:0{i}:00Z", "expires_at": expires_at}, tip
        )
        items.append(item)
        tip = Tip.of(item)
    return items


def test_each_entry_links_to_its_predecessor_and_a_chain_verifies() -> None:
    items = _chain("customer#C1", 3)
    assert [i["sk"] for i in items] == [sort_key(1), sort_key(2), sort_key(3)]
    assert items[0]["prev_hash"] == GENESIS and items[1]["prev_hash"] == items[0]["hash"] == entry_hash(items[0])
    assert verify_chains(items, NOW).ok


def test_a_chain_may_start_after_expired_entries_only() -> None:
    old = _chain("customer#C1", 3, expires_at=NOW - 10)
    tip = Tip.of(old[-1])
    newer = chained(
        {"subject": "customer#C1", "action": "later", "at": "2026-06-01T00:00:00Z", "expires_at": NOW + 10}, tip
    )
    assert verify_chains([newer], NOW).ok  # its predecessor expired: TTL took it
    assert not verify_chains([newer], NOW - 20).ok  # before that expiry, its absence is a deletion


def test_line_targets_become_stable_keyed_hashes() -> None:
    key = StaticHashKey(b"k" * 32)
    target = pseudonymous("line#M-377612345678/box#b1", key)
    assert target.startswith("line#p-") and target.endswith("/box#b1") and "377612345678" not in target
    assert pseudonymous("line#M-377612345678/box#b1", key) == target
    assert pseudonymous(target, key) == target  # idempotent
    assert pseudonymous("line#M-377612345678", StaticHashKey(b"x" * 32)) != target.split("/")[0]
    assert pseudonymous("consents", key) == "consents"


def test_digest_heads_and_hours() -> None:
    items = _chain("customer#C1", 3) + _chain("customer#C2", 1)
    heads = latest_heads(items)
    assert [(h.subject, h.seq) for h in heads] == [("customer#C1", 3), ("customer#C2", 1)]
    from datetime import UTC, datetime

    hours = hours_between(datetime(2026, 1, 1, 22, 30, tzinfo=UTC), datetime(2026, 1, 2, 0, 5, tzinfo=UTC))
    assert hours == ["2026-01-01T22", "2026-01-01T23", "2026-01-02T00"]


def test_system_entries_name_no_direct_identifier() -> None:
    from datetime import UTC, datetime

    entry = system_entry("projection", "C0001", SystemAction.TERMINATED, datetime(2026, 1, 1, tzinfo=UTC), "evt-1")
    assert (entry.actor, entry.on_behalf_of, entry.action, entry.request_id) == (
        "system#projection", "customer#C0001", "customer.terminated", "evt-1"
    )  # fmt: skip
