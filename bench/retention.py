"""Retention: the cost of the hide and anonymise steps of one customer with 10 lines and 10,000 usage records.

In-process moto with the local stack's resources (bench/world.py). The customer comes through the real projection
(CustomerCreated, 10 UsageRecordsBatch of 1,000 records spread over the 10 lines, CustomerTerminated); its lines
are written as the demo seed writes them; it logs in once (a session, a connection-log entry). Each step is run
as its schedule runs it (the projection's command), and its AWS calls are counted with botocore before-call hooks,
per service. Usage records are stored twice (per line, and per line and type): 20,000 items to delete.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.world import local_stack

CUSTOMER = "C0900"
LINES = 10
RECORDS = 10_000
BATCH = 1_000


def _event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "id": detail["event_id"], "detail-type": detail_type, "source": "operator.crm",
            "account": "123456789012", "time": detail["occurred_at"], "region": "eu-west-3", "resources": [],
            "detail": detail}  # fmt: skip


def _seed(service: Any, now: datetime) -> None:
    from selfcare.account.models import Line, LineType
    from selfcare.auth.models import Credential
    from selfcare.auth.policy import PrincipalType
    from selfcare.auth.wiring import build_auth_service
    from selfcare.clock import iso
    from selfcare.config import AuthSettings
    from selfcare.dal.customers import CustomersRepository

    at = iso(now)
    address = {"line1": "1 quai Antoine", "postal_code": "98000", "city": "Monaco", "country": "MC"}
    record = {"customer_id": CUSTOMER, "account_number": "100200900", "customer_type": "consumer",
              "last_name": "Bench", "first_name": "Ada", "address": address,
              "contact_email": "ada.bench@example.mc", "contact_mobile": "+37761900000",
              "service_secret_code": "1234", "billing": {"invoice_type": "electronic"}}  # fmt: skip
    arn = "arn:aws:lambda:eu-west-3:123456789012:function:selfcare-projection"
    service.handle(_event("CustomerCreated", {"event_id": "bench-created-0", "entity_version": 1,
                                              "occurred_at": at, "customer": record}), arn)  # fmt: skip
    customers = CustomersRepository(os.environ["CUSTOMERS_TABLE"])
    line_ids = [f"M-3776190{n:04d}" for n in range(LINES)]
    for n, line_id in enumerate(line_ids):
        customers.put_line(Line(CUSTOMER, line_id, LineType.MOBILE, "Forfait 100 Go", f"+3776190{n:04d}"))
    for batch in range(RECORDS // BATCH):
        records = [
            {"record_id": f"U-{batch}-{n}", "line_id": line_ids[n % LINES], "line_number": f"+3776190{n % LINES:04d}",
             "started_at": iso(now - timedelta(minutes=batch * BATCH + n)), "type": "CALL" if n % 3 else "DATA",
             "origin_country": "MC", "destination_country": "FR", "called_number": "+33612345678",
             "duration_seconds": 60, "amount_excl_tax_cents": 0}
            for n in range(BATCH)
        ]  # fmt: skip
        service.handle(_event("UsageRecordsBatch", {"event_id": f"bench-usage-{batch:04d}", "entity_version": 1,
                                                    "occurred_at": at, "customer_id": CUSTOMER,
                                                    "batch_id": f"B-{batch}", "records": records}), arn)  # fmt: skip
    auth = build_auth_service(AuthSettings.from_env())
    auth.enrolment.enrol(
        Credential(PrincipalType.CUSTOMER, CUSTOMER, "", 0, login_id="adabench", email="ada.bench@example.mc"),
        "Bench-password-2026!",
    )
    from selfcare.api.context import RequestInfo

    auth.login.login_customer("adabench", "Bench-password-2026!", RequestInfo("bench", "192.0.2.7", None))
    service.handle(_event("CustomerTerminated", {"event_id": "bench-terminated-0", "entity_version": 2,
                                                 "occurred_at": at, "customer_id": CUSTOMER,
                                                 "terminated_at": at}), arn)  # fmt: skip


def anonymisation_cost() -> list[tuple[str, dict[str, int], float, str]]:
    """(step, AWS calls per service, seconds, outcome) for the hide step and the anonymise step."""
    from selfcare import aws
    from selfcare.clock import add_months
    from selfcare.config import ProjectionSettings
    from selfcare.projection.wiring import build_projection
    from selfcare.retention.rules import Step

    from tests.fakes import FixedClock

    rows: list[tuple[str, dict[str, int], float, str]] = []
    with local_stack():
        terminated = datetime.now(UTC)
        settings = ProjectionSettings.from_env()
        _seed(build_projection(settings, FixedClock(terminated)), terminated)
        calls: Counter[str] = Counter()
        for service_name in ("dynamodb", "s3", "scheduler"):
            aws.client(service_name).meta.events.register(
                f"before-call.{service_name}", lambda _n=service_name, **_: calls.update([_n])
            )
        for step, months in ((Step.HIDE, 1), (Step.ANONYMISE, 60)):
            service = build_projection(settings, FixedClock(add_months(terminated, months)))
            calls.clear()
            started = time.perf_counter()
            outcome = service.command({"command": step.value, "customer_id": CUSTOMER})
            rows.append((step.value, dict(calls), time.perf_counter() - started, outcome.value))
    return rows


def emit_rows(emit: Any) -> None:
    emit(f"\n### Retention steps: one customer with {LINES} lines and {RECORDS:,} usage records\n")
    emit("| step | DynamoDB calls | S3 calls | Scheduler calls | seconds (in-process moto) | outcome |")
    emit("| --- | ---: | ---: | ---: | ---: | --- |")
    for step, calls, seconds, outcome in anonymisation_cost():
        row = f"| {step} | {calls.get('dynamodb', 0)} | {calls.get('s3', 0)} | {calls.get('scheduler', 0)} |"
        emit(f"{row} {seconds:.2f} | {outcome} |")


if __name__ == "__main__":  # python -m bench.retention: this table alone
    emit_rows(print)
