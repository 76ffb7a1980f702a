"""Verify the audit trail: every subject's hash chain and every signed digest (issue 9, section 3).

    python -m infra.scripts.verify_audit --local                 # the local stack of `make run`
    python -m infra.scripts.verify_audit --table <audit table> --bucket <digest bucket> [--key-id <key>]

Exits 0 when the trail verifies, 1 naming each entry modified, deleted or inserted (subject and sort key
`seq#<position>`) and each digest that does not verify. Entries removed by TTL (past their 12 months)
are not findings: a chain may start at its oldest surviving entry when that entry's predecessor has
expired. Read-only: it scans the table, reads the digests and asks KMS to verify their signatures.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from infra import definitions as d


@dataclass
class Verification:
    entries: int = 0
    chains: int = 0
    digests: int = 0
    heads_checked: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(table: str, bucket: str, key_id: str, now: datetime | None = None) -> Verification:
    """Verify with the AWS clients of this process (selfcare.aws: region, credentials, endpoint from the env)."""
    from selfcare.audit.chain import verify_chains
    from selfcare.audit.digest import verify_digests
    from selfcare.clock import epoch
    from selfcare.dal.logs import LogsRepository
    from selfcare.ports.audit_digests import KmsDigestSigner, S3DigestStore

    moment = now or datetime.now(UTC)
    chains = verify_chains(LogsRepository(None, table).all_entries(), epoch(moment))
    documents = S3DigestStore(bucket).all()
    digest_findings, checked = verify_digests(
        documents, KmsDigestSigner(key_id).verify, chains, moment, d.AUDIT_DIGEST_RETENTION_DAYS
    )
    return Verification(
        entries=chains.entries,
        chains=len(chains.chains),
        digests=len(documents),
        heads_checked=checked,
        findings=[str(f) for f in [*chains.findings, *digest_findings]],
    )


def _point_at_local(moto_port: int) -> tuple[str, str]:
    from infra.local.resources import table_name

    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-3",
            "AWS_DEFAULT_REGION": "eu-west-3",
        }
    )
    return table_name(d.AUDIT_LOG), "selfcare-local-audit-digests"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.scripts.verify_audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", action="store_true", help="verify the local stack (make run) on its moto server")
    parser.add_argument("--moto-port", type=int, default=5055, help="the local stack's moto port (default 5055)")
    parser.add_argument("--table", help="the audit table's name")
    parser.add_argument("--bucket", help="the audit digest bucket's name")
    parser.add_argument("--key-id", default=d.AUDIT_DIGEST_KEY_ALIAS, help="the digest key (default %(default)s)")
    parser.add_argument("--now", help="verify as of this ISO time (default: now)")
    args = parser.parse_args(argv)
    table, bucket = args.table, args.bucket
    if args.local:
        local_table, local_bucket = _point_at_local(args.moto_port)
        table, bucket = table or local_table, bucket or local_bucket
    if not table or not bucket:
        parser.error("--table and --bucket are required (or --local)")
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else None
    result = verify(table, bucket, args.key_id, now)
    print(
        f"{result.entries} entries in {result.chains} chains, {result.digests} digests, "
        f"{result.heads_checked} signed heads checked"
    )
    for finding in result.findings:
        print(f"FAIL {finding}")
    print("audit trail verified" if result.ok else f"audit trail NOT verified: {len(result.findings)} finding(s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
