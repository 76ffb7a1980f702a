"""The audit trail's cost (issue 9): DynamoDB calls per audited change with the hash chain, and the digest.

Before the chain (the 2026-11-23 run in README.md), an audited read cost one PutItem and an audited change
one more item in its transaction. With the chain, each entry first reads its subject's tip (one Query,
strongly consistent, Limit 1, the chain's attributes only), then a conditional PutItem (a read) or one
more item in the change's transaction (a change); each entry is also written to the by_hour index.
`python -m bench.audit` prints the rows alone.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bench.world import local_stack

# Handler calls before the chain (README.md, the 2026-11-23 run); None: the route did not exist.
BEFORE = {
    "GET /account (staff, audited)": 2,
    "PUT /account/consents/{purpose}": 1,
    "GET /mobile/lines/{line_id}/puk": 2,
    "GET /staff/customers/{customer_id}/audit-trail": None,
}


def rows() -> list[tuple[str, int | None, int, str]]:
    from selfcare import aws
    from selfcare.auth.policy import StaffRole

    from bench.counting import count_calls, is_usage_write

    out: list[tuple[str, int | None, int, str]] = []
    with local_stack() as (gateway, world, resources):
        counts = count_calls(gateway)
        operations: Counter[str] = Counter()

        def by_operation(model: Any, params: Any = None, **_: Any) -> None:
            if not is_usage_write(model, params):  # the usage statistics' write: bench/counting.py counts it apart
                operations[model.name] += 1

        aws.client("dynamodb").meta.events.register("before-call.dynamodb", by_operation)

        def call(label: str, method: str, path: str, payload: Any, expect: int, headers: dict[str, str]) -> Any:
            counts.clear()
            operations.clear()
            response = gateway.handle(
                method, path, {"Content-Type": "application/json"} | headers, json.dumps(payload) if payload else None
            )
            if response.status != expect:
                raise SystemExit(f"{label}: {response.status} {response.body!r}")
            now = ", ".join(f"{n} {op}" for op, n in sorted(operations.items()) if n)
            out.append((label, BEFORE.get(label), counts["handler"], now))
            return json.loads(response.body) if response.body else None

        def login(path: str, payload: dict[str, str]) -> str:
            response = gateway.handle("POST", path, {"Content-Type": "application/json"}, json.dumps(payload))
            return str(json.loads(response.body)["access_token"])

        jeanne = world.customers[0]
        token = login("/auth/login", {"identifier": jeanne.email, "password": jeanne.password})
        customer = {"Authorization": f"Bearer {token}"}
        call("PUT /account/consents/{purpose}", "PUT", "/account/consents/newsletter",
             {"granted": True, "channel": "web"}, 200, customer)  # fmt: skip
        call("GET /mobile/lines/{line_id}/puk", "GET", "/mobile/lines/M-377612345678/puk", None, 200, customer)
        production = world.staff[StaffRole.PRODUCTION]
        staff = login("/staff/auth/login", {"email": production.email, "password": production.password})
        grant = gateway.handle(
            "POST",
            "/staff/assisted-access",
            {"Content-Type": "application/json", "Authorization": f"Bearer {staff}"},
            json.dumps({"customer_id": "C0001", "reason": "Benchmark of the audit trail"}),
        )
        headers = {"Authorization": f"Bearer {staff}", "X-Assisted-Access": json.loads(grant.body)["grant_id"]}
        call("GET /account (staff, audited)", "GET", "/account", None, 200, headers)
        call("GET /staff/customers/{customer_id}/audit-trail", "GET", "/staff/customers/C0001/audit-trail", None,
             200, headers)  # fmt: skip

        # The digest: one Query per hour since the previous digest (with an hour of overlap), S3 and KMS calls.
        from selfcare.audit.digest import AuditDigester
        from selfcare.dal.logs import LogsRepository
        from selfcare.ports.audit_digests import KmsDigestSigner, S3DigestStore

        class Now:
            def now(self) -> datetime:
                return datetime.now(UTC)

        digester = AuditDigester(
            LogsRepository(None, resources.table_names["AuditLogTable"]),
            S3DigestStore(resources.audit_digest_bucket),
            KmsDigestSigner(resources.audit_digest_key_id),
            Now(),
        )
        all_calls: Counter[str] = Counter()

        def every(event_name: str, **_: Any) -> None:
            all_calls[event_name.split(".")[1] + ":" + event_name.split(".")[2]] += 1

        for service in ("dynamodb", "s3", "kms"):
            aws.client(service).meta.events.register(f"before-call.{service}", every)
        digester.run()  # the first digest scans the chains' heads
        all_calls.clear()
        written = digester.run()
        now = ", ".join(f"{n} {op}" for op, n in sorted(all_calls.items()))
        out.append((f"hourly digest ({written.heads} heads changed)", None, sum(all_calls.values()), now))
    return out


if __name__ == "__main__":
    for label, before, after, detail in rows():
        print(f"| {label} | {'' if before is None else before} | {after} | {detail} |")
