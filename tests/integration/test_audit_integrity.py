"""The audit trail is tamper-evident (issue 9, section 3): hash chains per subject, signed digests, a verifier
that names each entry modified, deleted or inserted, and that still passes after TTL removed the oldest
entries and after an anonymisation (which changes nothing in the trail)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from selfcare.audit.chain import entry_hash, sort_key
from selfcare.audit.digest import AuditDigester
from selfcare.auth.models import AuditEntry
from selfcare.clock import add_months, epoch, iso
from selfcare.dal.logs import LogsRepository
from selfcare.ports.audit_digests import KmsDigestSigner, S3DigestStore

from infra import definitions as d
from infra.local.emulation import reap_expired_once
from infra.local.resources import LocalResources
from infra.scripts.verify_audit import main, verify

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
ALICE, BOB = "customer#C0001", "customer#C0002"


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def _entry(subject: str, action: str, at: datetime) -> AuditEntry:
    return AuditEntry(
        actor=subject, on_behalf_of=subject, action=action, target="consents", at=iso(at), request_id=f"r-{action}"
    )


class Trail:
    def __init__(self, aws: LocalResources) -> None:
        self.aws = aws
        self.table_name = aws.table_names[d.AUDIT_LOG.logical_id]
        self.logs = LogsRepository(None, self.table_name)
        self.table = boto3.resource("dynamodb", region_name="eu-west-3").Table(self.table_name)
        self.clock = FixedClock(T0)

    def write(self, subject: str, action: str, at: datetime) -> None:
        self.logs.audit(_entry(subject, action, at), at)

    def digest(self, at: datetime) -> str:
        self.clock.moment = at
        digester = AuditDigester(
            self.logs, S3DigestStore(self.aws.audit_digest_bucket), KmsDigestSigner(self.aws.audit_digest_key_id),
            self.clock,
        )  # fmt: skip
        return digester.run().key

    def item(self, subject: str, seq: int) -> dict[str, Any]:
        return dict(self.table.get_item(Key={"subject": subject, "sk": sort_key(seq)})["Item"])

    def findings(self, now: datetime) -> list[str]:
        return verify(self.table_name, self.aws.audit_digest_bucket, self.aws.audit_digest_key_id, now).findings


@pytest.fixture
def trail(aws: LocalResources) -> Trail:
    """Given Alice's chain of 4 entries and Bob's of 2, written over an hour, and a digest after them."""
    trail = Trail(aws)
    for n in range(4):
        trail.write(ALICE, f"alice.{n + 1}", T0 + timedelta(minutes=10 * n))
    for n in range(2):
        trail.write(BOB, f"bob.{n + 1}", T0 + timedelta(minutes=5 + 10 * n))
    trail.digest(T0 + timedelta(hours=1))
    return trail


LATER = T0 + timedelta(hours=2)


def test_an_untouched_trail_verifies(trail: Trail) -> None:
    # Then: every entry chains to its predecessor and matches the signed heads.
    result = verify(trail.table_name, trail.aws.audit_digest_bucket, trail.aws.audit_digest_key_id, LATER)
    assert result.ok, result.findings
    assert (result.entries, result.chains, result.digests, result.heads_checked) == (6, 2, 1, 2)
    first, second = trail.item(ALICE, 1), trail.item(ALICE, 2)
    assert first["prev_hash"] == "0" * 64 and second["prev_hash"] == first["hash"] == entry_hash(first)


def test_entries_are_never_overwritten(trail: Trail) -> None:
    # When: an append targets a slot already taken (a stale tip) Then: the conditional put refuses it.
    client = boto3.client("dynamodb", region_name="eu-west-3")
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName=trail.table_name,
            Item={"subject": {"S": ALICE}, "sk": {"S": sort_key(2)}, "action": {"S": "x"}},
            ConditionExpression="attribute_not_exists(sk)",
        )


def test_a_modified_entry_is_named(trail: Trail) -> None:
    # When: someone rewrites an entry's action in place
    trail.table.update_item(
        Key={"subject": ALICE, "sk": sort_key(2)},
        UpdateExpression="SET #a = :a",
        ExpressionAttributeNames={"#a": "action"},
        ExpressionAttributeValues={":a": "nothing.happened"},
    )
    # Then: the verifier names that entry
    assert trail.findings(LATER) == [f"modified: {ALICE} {sort_key(2)}: its content does not match its hash"]


def test_a_modified_entry_with_a_recomputed_hash_is_named(trail: Trail) -> None:
    # When: the forger also recomputes the entry's own hash
    item = trail.item(ALICE, 2) | {"action": "nothing.happened"}
    item["hash"] = entry_hash(item)
    trail.table.put_item(Item=item)
    # Then: its successor no longer chains to it
    findings = trail.findings(LATER)
    assert len(findings) == 1 and findings[0].startswith(f"broken_link: {ALICE} {sort_key(2)}, {sort_key(3)}")


def test_a_rewritten_chain_is_caught_by_the_signed_digest(trail: Trail) -> None:
    # When: the forger rewrites every entry of Bob's chain consistently (hashes and links recomputed)
    previous = "0" * 64
    for seq in (1, 2):
        item = trail.item(BOB, seq) | {"prev_hash": previous, "target": "forged"}
        item["hash"] = previous = entry_hash(item)
        trail.table.put_item(Item=item)
    # Then: the chain holds together, but the head differs from the one KMS signed
    findings = trail.findings(LATER)
    assert len(findings) == 1 and findings[0].startswith(f"modified: {BOB} {sort_key(2)}: differs from the signed")


def test_a_deleted_entry_is_named(trail: Trail) -> None:
    trail.table.delete_item(Key={"subject": ALICE, "sk": sort_key(3)})
    assert trail.findings(LATER) == [f"deleted: {ALICE} {sort_key(3)}: missing from the chain"]


def test_a_deleted_first_entry_is_named(trail: Trail) -> None:
    # The first entry is not expired: its absence is a deletion, not TTL
    trail.table.delete_item(Key={"subject": ALICE, "sk": sort_key(1)})
    assert trail.findings(LATER) == [
        f"deleted: {ALICE} {sort_key(1)}: missing before the oldest entry, not yet expired"
    ]


def test_a_deleted_last_entry_is_named_by_the_digest(trail: Trail) -> None:
    trail.table.delete_item(Key={"subject": BOB, "sk": sort_key(2)})
    findings = trail.findings(LATER)
    assert len(findings) == 1 and findings[0].startswith(f"deleted: {BOB} {sort_key(2)}: recorded in the signed digest")


def test_an_inserted_entry_is_named(trail: Trail) -> None:
    # When: an entry is slipped in at the end of Alice's chain with a made-up link
    forged = trail.item(ALICE, 4) | {"sk": sort_key(5), "seq": 5, "prev_hash": "f" * 64, "action": "forged"}
    forged["hash"] = entry_hash(forged)
    trail.table.put_item(Item=forged)
    # And: one outside any chain
    trail.table.put_item(Item={"subject": BOB, "sk": "2026-01-10T09:30:00.000Z#abc", "action": "forged"})
    findings = trail.findings(LATER)
    assert f"inserted: {BOB} 2026-01-10T09:30:00.000Z#abc: not part of any chain (no position or hash)" in findings
    assert any(f.startswith(f"broken_link: {ALICE} {sort_key(4)}, {sort_key(5)}") for f in findings)


def test_a_well_chained_insertion_older_than_the_digest_is_named(trail: Trail) -> None:
    # When: the forger appends a perfectly chained entry but dated before the last digest
    head = trail.item(ALICE, 4)
    forged = head | {"sk": sort_key(5), "seq": 5, "prev_hash": head["hash"], "action": "forged", "at": iso(T0)}
    forged["hash"] = entry_hash(forged)
    trail.table.put_item(Item=forged)
    # Then: the signed digest shows it was not there when it claims to have been written
    assert trail.findings(LATER) == [f"inserted: {ALICE} {sort_key(5)}: older than the last digest but not in it"]


def test_reordered_entries_are_named(trail: Trail) -> None:
    # When: two entries' contents swap places (keys kept)
    second, third = trail.item(ALICE, 2), trail.item(ALICE, 3)
    keys = ("subject", "sk")
    trail.table.put_item(
        Item={**{k: v for k, v in third.items() if k not in keys}, "subject": ALICE, "sk": sort_key(2)}
    )
    trail.table.put_item(
        Item={**{k: v for k, v in second.items() if k not in keys}, "subject": ALICE, "sk": sort_key(3)}
    )
    findings = trail.findings(LATER)
    assert f"modified: {ALICE} {sort_key(2)}: its content says position 3" in findings
    assert f"modified: {ALICE} {sort_key(3)}: its content says position 2" in findings


def test_an_altered_digest_is_named(trail: Trail, aws: LocalResources) -> None:
    s3 = boto3.client("s3", region_name="eu-west-3")
    key = s3.list_objects_v2(Bucket=aws.audit_digest_bucket)["Contents"][0]["Key"]
    document = json.loads(s3.get_object(Bucket=aws.audit_digest_bucket, Key=key)["Body"].read())
    document["body"]["heads"] = []
    s3.put_object(Bucket=aws.audit_digest_bucket, Key=key, Body=json.dumps(document).encode())
    findings = trail.findings(LATER)
    assert f"digest: - {key}: signature does not verify: the digest was altered" in findings


def test_concurrent_writers_extend_the_chain_one_after_the_other(trail: Trail, aws: LocalResources) -> None:
    # Given: two writers who both read Alice's tip (seq 4) before either appends
    other = LogsRepository(None, trail.table_name)
    from selfcare.dal import dynamo

    first = trail.logs.audit_op(_entry(ALICE, "first", LATER), LATER)
    second = other.audit_op(_entry(ALICE, "second", LATER), LATER)
    # When: both commit
    dynamo.transact([first])
    dynamo.transact([second])
    # Then: the second was rechained after the first, and the trail verifies
    assert (trail.item(ALICE, 5)["action"], trail.item(ALICE, 6)["action"]) == ("first", "second")
    assert trail.findings(LATER) == []


def test_ttl_removal_of_the_oldest_entries_still_verifies(aws: LocalResources) -> None:
    # Given: Alice's first three entries in January, two more in July, a digest after each batch
    trail = Trail(aws)
    for n in range(3):
        trail.write(ALICE, f"jan.{n}", T0 + timedelta(minutes=n))
    trail.digest(T0 + timedelta(hours=1))
    july = add_months(T0, 6)
    for n in range(2):
        trail.write(ALICE, f"jul.{n}", july + timedelta(minutes=n))
    trail.digest(july + timedelta(hours=1))
    # When: 12 months after January, TTL deletes the expired entries
    now = add_months(T0, 12) + timedelta(days=1)
    deleted = reap_expired_once(boto3.client("dynamodb", region_name="eu-west-3"), aws.table_names, now=epoch(now))
    assert deleted == 3
    # Then: the chain starts at its oldest survivor, and the trail verifies
    assert trail.findings(now) == []
    assert main(["--table", trail.table_name, "--bucket", aws.audit_digest_bucket,
                 "--key-id", aws.audit_digest_key_id, "--now", iso(now)]) == 0  # fmt: skip
    # And: deleting the oldest survivor (not expired) is still named
    trail.table.delete_item(Key={"subject": ALICE, "sk": sort_key(4)})
    findings = trail.findings(now)
    assert findings[0] == f"deleted: {ALICE} {sort_key(4)}: missing before the oldest entry, not yet expired"


def test_the_command_names_the_tampered_entry(trail: Trail, capsys: pytest.CaptureFixture[str]) -> None:
    trail.table.delete_item(Key={"subject": ALICE, "sk": sort_key(2)})
    code = main(["--table", trail.table_name, "--bucket", trail.aws.audit_digest_bucket,
                 "--key-id", trail.aws.audit_digest_key_id, "--now", iso(LATER)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert f"FAIL deleted: {ALICE} {sort_key(2)}: missing from the chain" in out


def test_an_anonymisation_changes_nothing_in_the_trail_which_still_verifies(aws: LocalResources) -> None:
    from tests.integration.test_projection import projection_at, put, sample

    # Given: customer C0042, whose trail names one of their lines (a phone number) and a consent change
    put(sample("CustomerCreated"), sample("CustomerTerminated"))
    trail = Trail(aws)
    subject = "customer#C0042"
    trail.logs.audit(AuditEntry(subject, subject, "mobile.puk.viewed", "line#M-37761000042", iso(T0), "r-1"), T0)
    trail.write(subject, "consent.newsletter.granted", T0 + timedelta(minutes=1))
    trail.digest(T0 + timedelta(hours=1))
    before = sorted(trail.table.scan()["Items"], key=lambda i: (i["subject"], i["sk"]))
    # Then: the line is pseudonymous from the start
    assert "37761000042" not in json.dumps(before, default=str)
    # When: the customer is anonymised (five years later)
    due = datetime(2031, 11, 20, 0, 0, 1, tzinfo=UTC)
    from selfcare.projection.models import Outcome

    assert projection_at(aws, due).anonymise_command("C0042") is Outcome.APPLIED
    # Then: every entry is exactly what it was, the steps the system ran are appended after them (actor
    # system#projection, no direct identifier), and the trail verifies
    after = sorted(trail.table.scan()["Items"], key=lambda i: (i["subject"], i["sk"]))
    assert all(entry in after for entry in before)
    appended = [i for i in after if i not in before]
    assert [i["action"] for i in appended] == ["customer.hidden", "customer.anonymised"]
    assert {i["actor"] for i in appended} == {"system#projection"}
    assert "37761000042" not in json.dumps(after, default=str)
    assert trail.findings(LATER) == []


def test_a_read_audited_from_a_stale_tip_lands_after_the_real_one(trail: Trail) -> None:
    from selfcare.audit.chain import Tip

    class StaleOnce(LogsRepository):
        """Reads Alice's tip as it was before her 4th entry, once (another writer appended meanwhile)."""

        stale = True

        def tip(self, subject: str) -> Tip:
            if self.stale:
                self.stale = False
                return Tip.of(trail.item(ALICE, 3))
            return super().tip(subject)

    # When: an audited read is appended from the stale tip
    StaleOnce(None, trail.table_name).audit(_entry(ALICE, "late.read", LATER), LATER)
    # Then: its conditional put refused slot 4, and it went after the real tip
    assert trail.item(ALICE, 4)["action"] == "alice.4" and trail.item(ALICE, 5)["action"] == "late.read"
    assert trail.findings(LATER) == []
