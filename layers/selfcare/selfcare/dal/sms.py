"""Commercial SMS governance's store: one table (definitions.SMS), the only DynamoDB code of the capability.

Items (`pk`, `sk`):
- `PROVIDERS`, `PROVIDER#<id>`: the register (one partition: a few hundred providers at most, listed by one
  Query); `version` +1 at every change, every change under a condition on it, with its audit entry in the
  same transaction. The credential is `secret_hash` (SHA-256 of a 256-bit random secret).
- `OPTOUT#<E.164>`, `OPTOUT`: `scopes` (string set: "all", "short:<number>"), `updated_at`, `source`. One item
  per number, so that a BatchGetItem of 100 keys reads 100 numbers.
- `CAMPAIGN#<id>`, `META`: the campaign (`done_batches`: the numbers of the batches processed to the end);
  `BATCH#<nnnnn>`: one batch of recipients (as submitted, at most 500); `MSG#<nnnnn>#<iiii>`: each message's
  decision and status (`sending` is written under `attribute_not_exists` BEFORE the SMS port is called, in
  transactions of claims, `sent` after, by BatchWriteItem: a batch processed again skips every message that has
  an item, so nothing is sent twice).
- `STATS#<provider id>`, `<YYYY-MM>`: the month's counters (ADD), read by the report.
- `RATE#<provider id>`, `<epoch second>`: messages sent in that second (the throughput limit), short TTL.
- `PROPOSALS`, `<provider id>#<YYYY-MM>`: suspension proposals (at most one per provider and month).
- `COMPLAINT#<provider id or "unknown">`, `<at>#<id>`: customers' reports of unwanted SMS.
Decisions, complaints and proposals are kept 12 months (TTL `expires_at`), recipients' batches 35 days.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from selfcare.clock import add_months, epoch
from selfcare.dal.dynamo import (
    ConditionFailed,
    Item,
    RawItem,
    client,
    from_raw,
    is_condition_failure,
    key,
    query_all,
    to_raw,
    transact,
    values,
)
from selfcare.sms.models import (
    Campaign,
    CampaignStatus,
    Complaint,
    MessageOutcome,
    MessageStatus,
    MonthlyStats,
    Provider,
    ProviderStatus,
    Recipient,
    RefusalReason,
    SuspensionProposal,
)

BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem maximum: at most 100 numbers per call
BATCH_WRITE_LIMIT = 25  # DynamoDB's BatchWriteItem maximum
BATCH_WRITE_ATTEMPTS = 8  # unprocessed items retried with a backoff, then UnprocessedWrites
CLAIM_GROUP_LIMIT = 100  # DynamoDB's TransactWriteItems maximum
RETENTION_MONTHS = 12
BATCH_RETENTION_DAYS = 35
PROVIDERS_PK = "PROVIDERS"
PROPOSALS_PK = "PROPOSALS"


def _batch_sk(batch: int) -> str:
    return f"BATCH#{batch:05d}"


def _message_sk(batch: int, index: int) -> str:
    return f"MSG#{batch:05d}#{index:04d}"


class UnprocessedWrites(Exception):
    """BatchWriteItem still left items unprocessed after BATCH_WRITE_ATTEMPTS calls (the batch fails, SQS
    delivers it again)."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} writes left unprocessed")
        self.count = count


def _claimed_before(error: ClientError) -> set[int]:
    """The positions of a cancelled claim transaction whose message has an item already; re-raise any other
    cancellation (nothing of the transaction was written)."""
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        raise error
    reasons = error.response.get("CancellationReasons") or []
    taken = {position for position, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}
    if not taken:
        raise error
    return taken


def _provider(item: Item) -> Provider:
    return Provider(
        provider_id=item["provider_id"],
        legal_name=item["legal_name"],
        declaration_number=item["declaration_number"],
        contract_reference=item["contract_reference"],
        contract_start=item["contract_start"],
        contract_end=item.get("contract_end"),
        sender_ids=tuple(item.get("sender_ids") or ()),
        opt_out_number=item["opt_out_number"],
        throughput_per_second=int(item["throughput_per_second"]),
        status=ProviderStatus(item["status"]),
        status_reason=item.get("status_reason"),
        created_at=item.get("created_at", ""),
        updated_at=item.get("updated_at", ""),
        version=int(item.get("version", 0)),
        secret_hash=item.get("secret_hash"),
        credential_rotated_at=item.get("credential_rotated_at"),
        is_operator=bool(item.get("is_operator", False)),
    )


def _provider_item(provider: Provider) -> Item:
    return {
        "pk": PROVIDERS_PK,
        "sk": f"PROVIDER#{provider.provider_id}",
        "provider_id": provider.provider_id,
        "legal_name": provider.legal_name,
        "declaration_number": provider.declaration_number,
        "contract_reference": provider.contract_reference,
        "contract_start": provider.contract_start,
        "contract_end": provider.contract_end,
        "sender_ids": list(provider.sender_ids),
        "opt_out_number": provider.opt_out_number,
        "throughput_per_second": provider.throughput_per_second,
        "status": provider.status.value,
        "status_reason": provider.status_reason,
        "created_at": provider.created_at,
        "updated_at": provider.updated_at,
        "version": provider.version,
        "secret_hash": provider.secret_hash,
        "credential_rotated_at": provider.credential_rotated_at,
        "is_operator": provider.is_operator,
    }


def _campaign(item: Item) -> Campaign:
    return Campaign(
        campaign_id=item["campaign_id"],
        provider_id=item["provider_id"],
        sender_id=item["sender_id"],
        text=item["text"],
        status=CampaignStatus(item["status"]),
        created_at=item["created_at"],
        batches=int(item.get("batches", 0)),
        recipients=int(item.get("recipients", 0)),
        done_batches=frozenset(int(b) for b in item.get("done_batches") or ()),
        single=bool(item.get("single", False)),
    )


def _outcome(item: Item) -> MessageOutcome:
    reason = item.get("reason")
    return MessageOutcome(
        campaign_id=item["campaign_id"],
        batch=int(item["batch"]),
        index=int(item["index"]),
        to=item["to"],
        status=MessageStatus(item["status"]),
        reason=RefusalReason(reason) if reason else None,
        at=item["at"],
        encoding=item.get("encoding", "GSM-7"),
        segments=int(item.get("segments", 1)),
    )


def _outcome_item(outcome: MessageOutcome, expires_at: int) -> Item:
    return {
        "pk": f"CAMPAIGN#{outcome.campaign_id}",
        "sk": _message_sk(outcome.batch, outcome.index),
        "campaign_id": outcome.campaign_id,
        "batch": outcome.batch,
        "index": outcome.index,
        "to": outcome.to,
        "status": outcome.status.value,
        "reason": outcome.reason.value if outcome.reason else None,
        "at": outcome.at,
        "encoding": outcome.encoding,
        "segments": outcome.segments,
        "expires_at": expires_at,
    }


class SmsRepository:
    def __init__(self, table: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self.sleep = sleep

    def _get(self, pk: str, sk: str) -> Item | None:
        raw = client().get_item(TableName=self.table, Key=key(pk=pk, sk=sk), ConsistentRead=True).get("Item")
        return from_raw(raw) if raw else None

    # Providers ---------------------------------------------------------------------------------
    def provider(self, provider_id: str) -> Provider | None:
        item = self._get(PROVIDERS_PK, f"PROVIDER#{provider_id}")
        return _provider(item) if item else None

    def providers(self) -> list[Provider]:
        items = query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values(pk=PROVIDERS_PK),
            ConsistentRead=True,
        )
        return [_provider(item) for item in items]

    def save_provider(self, provider: Provider, expected_version: int | None, audit: RawItem) -> None:
        """Create (`expected_version` None: the id must be new) or replace at `expected_version`, with the
        audit entry, in one transaction. ConditionFailed: it exists already, or changed meanwhile."""
        put: dict[str, Any] = {"TableName": self.table, "Item": to_raw(_provider_item(provider))}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = values(v=expected_version)
        transact([{"Put": put}, audit])

    # Opt-outs ----------------------------------------------------------------------------------
    def opt_outs(self, numbers: Iterable[str]) -> dict[str, set[str]]:
        """Each number's opt-out scopes (absent: none), BATCH_GET_LIMIT numbers per BatchGetItem."""
        wanted = list(dict.fromkeys(numbers))
        found: dict[str, set[str]] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys = [key(pk=f"OPTOUT#{n}", sk="OPTOUT") for n in wanted[start : start + BATCH_GET_LIMIT]]
            request: dict[str, Any] = {
                self.table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "pk, scopes"}
            }
            while request:
                answer = client().batch_get_item(RequestItems=request)
                for raw in answer["Responses"].get(self.table, []):
                    item = from_raw(raw)
                    if item.get("scopes"):
                        found[item["pk"].removeprefix("OPTOUT#")] = set(item["scopes"])
                request = answer.get("UnprocessedKeys") or {}
        return found

    def add_opt_out(self, number: str, scope: str, at: str, source: str) -> bool:
        """Add `scope` to the number's opt-outs; False when it was there already (nothing changed)."""
        try:
            client().update_item(
                TableName=self.table,
                Key=key(pk=f"OPTOUT#{number}", sk="OPTOUT"),
                UpdateExpression="ADD scopes :s SET updated_at = :at, #src = :src",
                ConditionExpression="attribute_not_exists(scopes) OR NOT contains(scopes, :scope)",
                ExpressionAttributeNames={"#src": "source"},
                ExpressionAttributeValues=values(s={scope}, at=at, src=source, scope=scope),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def remove_opt_outs(self, number: str, scopes: set[str], at: str, source: str) -> bool:
        """Remove these scopes; False when the number had none of them."""
        current = self.opt_outs([number]).get(number, set())
        if not current & scopes:
            return False
        client().update_item(
            TableName=self.table,
            Key=key(pk=f"OPTOUT#{number}", sk="OPTOUT"),
            UpdateExpression="DELETE scopes :s SET updated_at = :at, #src = :src",
            ExpressionAttributeNames={"#src": "source"},
            ExpressionAttributeValues=values(s=current & scopes, at=at, src=source),
        )
        return True

    # Campaigns ---------------------------------------------------------------------------------
    def create_campaign(self, campaign: Campaign, now: datetime) -> None:
        item = {
            "pk": f"CAMPAIGN#{campaign.campaign_id}",
            "sk": "META",
            "campaign_id": campaign.campaign_id,
            "provider_id": campaign.provider_id,
            "sender_id": campaign.sender_id,
            "text": campaign.text,
            "status": campaign.status.value,
            "created_at": campaign.created_at,
            "batches": 0,
            "recipients": 0,
            "single": campaign.single,
            "expires_at": epoch(add_months(now, RETENTION_MONTHS)),
        }
        client().put_item(TableName=self.table, Item=to_raw(item), ConditionExpression="attribute_not_exists(pk)")

    def campaign(self, campaign_id: str) -> Campaign | None:
        item = self._get(f"CAMPAIGN#{campaign_id}", "META")
        return _campaign(item) if item else None

    def add_batch(self, campaign_id: str, recipients: list[Recipient], now: datetime) -> int:
        """Append a batch to a draft campaign; its number. ConditionFailed: not a draft any more.

        No transaction (moto copies a whole table per transaction: the bench would measure that): the batch item
        is written first under `attribute_not_exists`, then counted under a condition on the count; a batch that
        could not be counted is deleted, and one left by a crash between the two is past the count, never queued.
        """
        current = self.campaign(campaign_id)
        if current is None or current.status is not CampaignStatus.DRAFT:
            raise ConditionFailed(0)
        batch = current.batches + 1
        item = {
            "pk": f"CAMPAIGN#{campaign_id}",
            "sk": _batch_sk(batch),
            "recipients": [[r.to, r.text] if r.text is not None else [r.to] for r in recipients],
            "expires_at": epoch(now + timedelta(days=BATCH_RETENTION_DAYS)),
        }
        try:
            client().put_item(TableName=self.table, Item=to_raw(item), ConditionExpression="attribute_not_exists(pk)")
            client().update_item(
                TableName=self.table,
                Key=key(pk=f"CAMPAIGN#{campaign_id}", sk="META"),
                UpdateExpression="SET batches = :b, recipients = recipients + :n",
                ConditionExpression="#s = :draft AND batches = :prev",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(
                    b=batch, n=len(recipients), draft=CampaignStatus.DRAFT.value, prev=batch - 1
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise ConditionFailed(0) from error
            raise
        return batch

    def start_campaign(self, campaign_id: str) -> None:
        """draft -> running. ConditionFailed: not a draft, or no recipients."""
        try:
            client().update_item(
                TableName=self.table,
                Key=key(pk=f"CAMPAIGN#{campaign_id}", sk="META"),
                UpdateExpression="SET #s = :running",
                ConditionExpression="#s = :draft AND batches > :zero",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(
                    running=CampaignStatus.RUNNING.value, draft=CampaignStatus.DRAFT.value, zero=0
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise ConditionFailed(0) from error
            raise

    def batch(self, campaign_id: str, batch: int) -> list[Recipient] | None:
        """The batch's recipients (None: no such batch)."""
        item = self._get(f"CAMPAIGN#{campaign_id}", _batch_sk(batch))
        if item is None:
            return None
        return [Recipient(r[0], r[1] if len(r) > 1 else None) for r in item["recipients"]]

    def finish_batch(self, campaign_id: str, batch: int) -> Campaign:
        """Count the batch as processed (a number set: adding it twice counts it once), and mark the campaign
        done with its last batch; the campaign afterwards."""
        meta = key(pk=f"CAMPAIGN#{campaign_id}", sk="META")
        answer = client().update_item(
            TableName=self.table,
            Key=meta,
            UpdateExpression="ADD done_batches :b",
            ExpressionAttributeValues=values(b={batch}),
            ReturnValues="ALL_NEW",
        )
        campaign = _campaign(from_raw(answer["Attributes"]))
        if campaign.batches_done >= campaign.batches and campaign.status is CampaignStatus.RUNNING:
            client().update_item(
                TableName=self.table,
                Key=meta,
                UpdateExpression="SET #s = :done",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(done=CampaignStatus.DONE.value),
            )
            campaign = replace(campaign, status=CampaignStatus.DONE)
        return campaign

    # Messages ----------------------------------------------------------------------------------
    def batch_outcomes(self, campaign_id: str, batch: int) -> dict[int, MessageOutcome]:
        items = query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=values(pk=f"CAMPAIGN#{campaign_id}", prefix=f"MSG#{batch:05d}#"),
            ConsistentRead=True,
        )
        return {int(item["index"]): _outcome(item) for item in items}

    def record_outcomes(self, outcomes: list[MessageOutcome], now: datetime) -> None:
        """Messages' decisions as they are (refused ones; claimed ones once settled), 25 per BatchWriteItem,
        unprocessed items retried. Never over a message claimed by another run: the caller writes only refused
        messages that had no item and messages it claimed itself."""
        expires_at = epoch(add_months(now, RETENTION_MONTHS))
        self._batch_write([{"PutRequest": {"Item": to_raw(_outcome_item(o, expires_at))}} for o in outcomes])

    def settle(self, outcomes: list[MessageOutcome], now: datetime) -> None:
        """Claimed messages with their final status (`sent`, `failed`): whole items, BatchWriteItem."""
        self.record_outcomes(outcomes, now)

    def release(self, outcomes: list[MessageOutcome]) -> None:
        """Remove the claims of messages this run claimed but never handed to the SMS port (a run failing midway),
        so that the next delivery of the batch sends them."""
        self._batch_write(
            [
                {"DeleteRequest": {"Key": key(pk=f"CAMPAIGN#{o.campaign_id}", sk=_message_sk(o.batch, o.index))}}
                for o in outcomes
            ]
        )

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: list[dict[str, Any]] = requests[start : start + BATCH_WRITE_LIMIT]
            for attempt in range(BATCH_WRITE_ATTEMPTS):
                answer = client().batch_write_item(RequestItems={self.table: pending})
                pending = answer.get("UnprocessedItems", {}).get(self.table, [])
                if not pending:
                    break
                self.sleep(min(1.0, 0.05 * 2**attempt))  # DynamoDB's advice for unprocessed items: back off
            else:
                raise UnprocessedWrites(len(pending))

    def claim(self, outcomes: list[MessageOutcome], now: datetime) -> set[int]:
        """Write each message as `sending` unless it has an item already, CLAIM_GROUP_LIMIT per TransactWriteItems
        (each Put under `attribute_not_exists`); the indices claimed by this call. A transaction cancelled because
        some messages have an item (claimed by an earlier run) is read reason by reason: those are dropped, the
        others claimed again. A message whose index is not returned must never be handed to the SMS port."""
        expires_at = epoch(add_months(now, RETENTION_MONTHS))
        claimed: set[int] = set()
        for start in range(0, len(outcomes), CLAIM_GROUP_LIMIT):
            pending = outcomes[start : start + CLAIM_GROUP_LIMIT]
            while pending:
                operations = [
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_raw(_outcome_item(o, expires_at)),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                    for o in pending
                ]
                try:
                    client().transact_write_items(TransactItems=operations)
                except ClientError as error:
                    taken = _claimed_before(error)
                    pending = [o for position, o in enumerate(pending) if position not in taken]
                    continue
                claimed |= {o.index for o in pending}
                break
        return claimed

    def outcomes(self, campaign_id: str, after: str | None, limit: int) -> tuple[list[MessageOutcome], str | None]:
        """One page of the campaign's outcomes in order; the last sort key as the next cursor."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": values(pk=f"CAMPAIGN#{campaign_id}", prefix="MSG#"),
            "Limit": limit,
        }
        if after:
            request["ExclusiveStartKey"] = key(pk=f"CAMPAIGN#{campaign_id}", sk=after)
        answer = client().query(**request)
        items = [from_raw(raw) for raw in answer.get("Items", [])]
        last = answer.get("LastEvaluatedKey")
        return [_outcome(item) for item in items], (last["sk"]["S"] if last else None)

    # Throughput --------------------------------------------------------------------------------
    def take_throughput(self, provider_id: str, second: int, count: int, limit: int) -> bool:
        """Count `count` messages in this second's window unless that passes `limit`."""
        try:
            client().update_item(
                TableName=self.table,
                Key=key(pk=f"RATE#{provider_id}", sk=str(second)),
                UpdateExpression="ADD sent :n SET expires_at = :exp",
                ConditionExpression="attribute_not_exists(sent) OR sent <= :room",
                ExpressionAttributeValues=values(n=count, exp=second + 120, room=limit - count),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    # Monthly figures ---------------------------------------------------------------------------
    def add_stats(self, provider_id: str, month: str, counts: dict[str, int]) -> MonthlyStats:
        counts = {name: n for name, n in counts.items() if n}
        if not counts:
            return self.stats(provider_id, month)
        names = {f"#c{i}": name for i, name in enumerate(counts)}
        answer = client().update_item(
            TableName=self.table,
            Key=key(pk=f"STATS#{provider_id}", sk=month),
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values(**{f"c{i}": n for i, n in enumerate(counts.values())}),
            ReturnValues="ALL_NEW",
        )
        return _stats(provider_id, month, from_raw(answer["Attributes"]))

    def stats(self, provider_id: str, month: str) -> MonthlyStats:
        item = self._get(f"STATS#{provider_id}", month) or {}
        return _stats(provider_id, month, item)

    # Suspension proposals and complaints ------------------------------------------------------
    def add_proposal(self, proposal: SuspensionProposal, audit: RawItem, now: datetime) -> bool:
        """Record the month's proposal with its audit entry; False when one exists for that month already."""
        item = {
            "pk": PROPOSALS_PK,
            "sk": f"{proposal.provider_id}#{proposal.month}",
            "provider_id": proposal.provider_id,
            "month": proposal.month,
            "reasons": list(proposal.reasons),
            "at": proposal.at,
            "expires_at": epoch(add_months(now, RETENTION_MONTHS)),
        }
        put = {"TableName": self.table, "Item": to_raw(item), "ConditionExpression": "attribute_not_exists(pk)"}
        try:
            transact([{"Put": put}, audit])
        except ConditionFailed:
            return False
        return True

    def proposals(self) -> list[SuspensionProposal]:
        items = query_all(
            TableName=self.table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=values(pk=PROPOSALS_PK)
        )
        return [SuspensionProposal(i["provider_id"], i["month"], tuple(i.get("reasons") or ()), i["at"]) for i in items]

    def complaint_op(self, complaint: Complaint, now: datetime) -> RawItem:
        item = {
            "pk": f"COMPLAINT#{complaint.provider_id or 'unknown'}",
            "sk": f"{complaint.at}#{complaint.complaint_id}",
            "complaint_id": complaint.complaint_id,
            "provider_id": complaint.provider_id,
            "customer_id": complaint.customer_id,
            "line_id": complaint.line_id,
            "sender_id": complaint.sender_id,
            "received_at": complaint.received_at,
            "text": complaint.text,
            "at": complaint.at,
            "expires_at": epoch(add_months(now, RETENTION_MONTHS)),
        }
        return {"Put": {"TableName": self.table, "Item": to_raw(item)}}


def _stats(provider_id: str, month: str, item: Item) -> MonthlyStats:
    refused = {name.removeprefix("refused_"): int(n) for name, n in item.items() if name.startswith("refused_")}
    return MonthlyStats(
        provider_id=provider_id,
        month=month,
        submitted=int(item.get("submitted", 0)),
        sent=int(item.get("sent", 0)),
        failed=int(item.get("failed", 0)),
        refused=refused,
        opt_outs=int(item.get("opt_outs", 0)),
        complaints=int(item.get("complaints", 0)),
    )
