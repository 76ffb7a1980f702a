"""Commercial SMS campaigns: DynamoDB calls and duration per 10,000 recipients, and the time to process a
100,000-recipient campaign, on moto in-process (the local stack's resources, bench/world.py).

The whole path of a campaign, as on the local stack: the provider API's logic creates the campaign and adds the
recipients in batches of 500 (one request each), starting it queues one SQS message per batch, and the worker's
real handler (functions/sms_campaigns) is run on each queued batch (infra/local/emulation.py drains the queue);
messages go to moto's SNS through the production adapter. 10% of the recipients opted out beforehand, 5% of the
messages lack the opt-out mention. The provider's throughput limit is set high enough not to pace the run (the
pacing is a sleep, not work). `BENCH_SMS_RECIPIENTS` sets the large campaign's size (100,000 by default).
moto's transactions back up only the items they touch (emulation.install_bounded_memory, as the local stack):
its own whole-table copy would make each claim transaction cost O(table size). A batch whose run fails is
delivered again, as SQS would; the rows say how many were, and how many messages were left `sending`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

SHORT = "36180"
TEXT = "Riviera Shop : -30% ce week-end ! STOP au 36180"
NO_MENTION = "Riviera Shop : -30% ce week-end !"


@dataclass(frozen=True)
class CampaignRun:
    recipients: int
    seconds: float
    calls: Counter[str]  # DynamoDB operation -> calls, the worker's only
    submit_calls: int  # the provider API's calls (create, add batches, start)
    sent: int
    refused: int
    in_doubt: int = 0  # left `sending`
    redelivered: int = 0  # batches that failed and were delivered again


MAX_DELIVERIES = 20


def campaign_batches(recipients: int) -> int:
    return -(-recipients // 500)


def _campaign(recipients: int) -> CampaignRun:
    import boto3
    from selfcare import aws
    from selfcare.auth.models import AuditEntry
    from selfcare.clock import iso
    from selfcare.config import SmsSettings
    from selfcare.dal.logs import LogsRepository
    from selfcare.sms.models import Provider, ProviderStatus, Recipient
    from selfcare.sms.wiring import build_sms_services

    from infra import definitions as d
    from infra.local import emulation
    from infra.local.gateway import load_handler

    services = build_sms_services(SmsSettings.from_env())
    provider = Provider(
        provider_id=f"PBENCH{uuid.uuid4().hex[:8]}",
        legal_name="Bench Promo",
        declaration_number="D-1",
        contract_reference="C-1",
        contract_start="2026-01-01",
        contract_end=None,
        sender_ids=("BENCH",),
        opt_out_number=SHORT,
        throughput_per_second=1_000_000,
        status=ProviderStatus.ACTIVE,
    )
    numbers = [f"+336{recipients % 10}{n:07d}" for n in range(recipients)]
    for number in numbers[::10]:  # 10% opted out beforehand
        services.repository.add_opt_out(number, "all", "2026-11-01T00:00:00Z", "bench")
    counts: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        counts[event_name.rsplit(".", 1)[-1]] += 1

    events = aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb", count)
    try:
        campaign = services.sending.create_campaign(provider, "BENCH", TEXT)
        for start in range(0, recipients, 500):
            batch = [
                Recipient(n, NO_MENTION if i % 20 == 7 else None)
                for i, n in enumerate(numbers[start : start + 500], start)
            ]
            services.repository.add_batch(campaign.campaign_id, batch, services.sending.clock.now())
        # The worker reads the provider's record: register it (with its audit entry, as staff would).
        now = services.sending.clock.now()
        entry = AuditEntry(
            "staff#bench", f"sms-provider#{provider.provider_id}", "sms_provider.registered", "-", iso(now), "bench"
        )
        services.repository.save_provider(
            provider, None, LogsRepository(None, os.environ["AUDIT_LOG_TABLE"]).audit_op(entry, now)
        )
        services.sending.start(provider, campaign.campaign_id)
        submit_calls = sum(counts.values())
        counts.clear()
        worker = load_handler(d.SMS_CAMPAIGNS).lambda_handler
        sqs = boto3.Session(region_name="eu-west-3").client("sqs")
        started = time.perf_counter()
        handled = 0
        deliveries = 0
        while handled < campaign_batches(recipients) and deliveries < MAX_DELIVERIES:
            # A failed batch stops a drain and is visible again at once: the next drain delivers it again (SQS).
            handled += emulation.deliver_sms_batches(sqs, os.environ["SMS_CAMPAIGN_QUEUE_URL"], worker)
            deliveries += 1
        seconds = time.perf_counter() - started
    finally:
        events.unregister("before-call.dynamodb", count)
    outcomes = _statuses(campaign.campaign_id)
    return CampaignRun(
        recipients,
        seconds,
        counts,
        submit_calls,
        outcomes["sent"],
        outcomes["refused"],
        outcomes["sending"],
        deliveries - 1,
    )


def _statuses(campaign_id: str) -> Counter[str]:
    """The campaign's messages by status, counted by moto (Select=COUNT): reading 100,000 outcomes through pages
    would spend minutes in moto's serialisation, outside the measured time but not the run's."""
    from selfcare import aws

    counts: Counter[str] = Counter()
    for status in ("sent", "refused", "sending", "failed"):
        request: dict[str, Any] = {
            "TableName": os.environ["SMS_TABLE"],
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :msg)",
            "FilterExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {
                ":pk": {"S": f"CAMPAIGN#{campaign_id}"},
                ":msg": {"S": "MSG#"},
                ":s": {"S": status},
            },
            "Select": "COUNT",
        }
        while True:
            answer = aws.client("dynamodb").query(**request)
            counts[status] += answer["Count"]
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return counts


def run(large: int | None = None, small_size: int = 10_000) -> tuple[CampaignRun, CampaignRun]:
    """(10,000 recipients, the large campaign)."""
    from selfcare.observability import metrics

    from bench.world import local_stack
    from infra import definitions as d
    from infra.local import emulation

    size = large or int(os.environ.get("BENCH_SMS_RECIPIENTS", "100000"))
    # The functions' namespace (definitions.COMMON_ENV), as deployed: with metrics disabled Powertools never
    # flushes, and the 100th value of one metric makes it serialise the set, which fails without a namespace
    # (the worker's 100th batch in one process failed once, then was delivered again).
    metrics.namespace = metrics.namespace or d.COMMON_ENV["POWERTOOLS_METRICS_NAMESPACE"]
    with local_stack() as _:
        os.environ["SMS_NIGHT_WINDOW"] = ""
        # As `python -m infra.local` does: moto's whole-table copy per transaction would make every claim
        # transaction cost O(table size), a cost of moto that DynamoDB does not have.
        emulation.install_bounded_memory()
        try:
            small = _campaign(small_size)
            big = _campaign(size)
        finally:
            emulation.uninstall_bounded_memory()
    return small, big


def rows(small: CampaignRun, big: CampaignRun) -> list[str]:
    per_10k = 10_000 / small.recipients
    lines = [
        "| campaign | recipients | sent | refused | worker DynamoDB calls | per 10,000 | worker seconds | per 10,000 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run_ in (small, big):
        total = sum(run_.calls.values())
        scale = 10_000 / run_.recipients
        lines.append(
            f"| {run_.recipients:,} recipients | {run_.recipients:,} | {run_.sent:,} | {run_.refused:,} | {total:,} | "
            f"{total * scale:,.0f} | {run_.seconds:.1f} | {run_.seconds * scale:.1f} |"
        )
    detail = ", ".join(f"{op} {n * per_10k:,.0f}" for op, n in sorted(small.calls.items()))
    lines.append(
        f"\nPer 10,000 recipients, by operation: {detail}; submitting them (create, 20 batches, start): "
        f"{small.submit_calls * per_10k:,.0f} calls. Opt-outs: one BatchGetItem per 100 recipients. Left `sending`: "
        f"{small.in_doubt} and {big.in_doubt}; batches delivered again after a failure: {small.redelivered} and "
        f"{big.redelivered}."
    )
    return lines


if __name__ == "__main__":
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    small_run, big_run = run()
    print("\n".join(rows(small_run, big_run)))
