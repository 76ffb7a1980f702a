"""Data-subject rights (issue 10): the export of one customer with 10 lines and 10,000 usage records.

In-process moto with the local stack's resources (bench/world.py); the customer comes through the real projection
as in bench/retention.py (its seed: 10 lines, 10 UsageRecordsBatch of 1,000 records, a credential, a login). Each
run builds the export of a fresh request as the worker does (`RightsService.build_export`: read every registry
store, JSON and PDF, both files to the rights bucket, the request marked ready, the email), its AWS calls counted
with botocore before-call hooks. Usage records are stored twice (per line, and per line and type): the export
queries every partition of each line, as the anonymisation does, the per-line one whole and the per-type copies
by their keys only (10,000 whole items, 10,000 keys), and exports each record once.
moto's transactions back up only the items they touch (infra/local/emulation.py, as `make run`).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.retention import CUSTOMER, LINES, RECORDS, _seed
from bench.world import local_stack

RUNS = 3


@dataclass(frozen=True)
class ExportCost:
    seconds: list[float]
    dynamodb: int
    s3: int
    items: int
    json_bytes: int
    pdf_bytes: int


class _Queue:
    def enqueue(self, customer_id: str, request_id: str) -> None:
        pass


def export_cost() -> ExportCost:
    from selfcare import aws
    from selfcare.config import ProjectionSettings, RightsExportSettings
    from selfcare.dal.rights import run
    from selfcare.projection.wiring import build_projection
    from selfcare.rights.models import RightsChannel, RightsRequest, RightsRequestKind, RightsRequestStatus, due_at
    from selfcare.rights.service import new_request_id
    from selfcare.rights.wiring import build_rights_service

    from infra.local import emulation
    from tests.fakes import InMemoryNotifier

    # As the local stack runs: moto's transactions back up the items they touch, not the whole table (20,000
    # usage items here: a whole-table deep copy per transaction is moto's cost, not DynamoDB's).
    emulation.install_bounded_memory()
    with local_stack() as (_, _, resources):
        now = datetime.now(UTC)
        _seed(build_projection(ProjectionSettings.from_env()), now)
        service = build_rights_service(RightsExportSettings.from_env(), notifier=InMemoryNotifier(), queue=_Queue())
        calls: Counter[str] = Counter()
        for name in ("dynamodb", "s3"):
            aws.client(name).meta.events.register(f"before-call.{name}", lambda _n=name, **_: calls.update([_n]))
        seconds: list[float] = []
        outcome = None
        per_run: list[Counter[str]] = []
        for _ in range(RUNS):
            request = RightsRequest(new_request_id(), CUSTOMER, RightsRequestKind.ACCESS, RightsChannel.SPACE,
                                    RightsRequestStatus.QUEUED, now, due_at(now), f"customer#{CUSTOMER}")  # fmt: skip
            run([service.requests.put_op(request)])
            calls.clear()
            started = time.perf_counter()
            outcome = service.build_export(CUSTOMER, request.request_id)
            seconds.append(time.perf_counter() - started)
            per_run.append(Counter(calls))
            assert outcome.status is RightsRequestStatus.READY, outcome
        assert outcome is not None
        s3 = aws.client("s3")
        files = service.requests.get(CUSTOMER, outcome.request_id)
        assert files is not None
        sizes = {
            fmt: s3.head_object(Bucket=resources.rights_bucket, Key=key)["ContentLength"]
            for fmt, key in files.files.items()
        }
        return ExportCost(
            seconds, per_run[-1]["dynamodb"], per_run[-1]["s3"], outcome.items, sizes["json"], sizes["pdf"]
        )


def emit_rows(emit: object) -> None:
    assert callable(emit)
    cost = export_cost()
    emit(f"\n### Right of access: the export of one customer with {LINES} lines and {RECORDS:,} usage records\n")
    emit("| runs | median seconds (in-process moto) | DynamoDB calls | S3 calls | items exported | JSON | PDF |")
    emit("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    emit(
        f"| {len(cost.seconds)} | {statistics.median(cost.seconds):.2f} | {cost.dynamodb} | {cost.s3} | {cost.items:,} "
        f"| {cost.json_bytes / 1e6:.1f} MB | {cost.pdf_bytes / 1e3:.0f} kB |"
    )


if __name__ == "__main__":  # python -m bench.rights: this table alone
    emit_rows(print)
