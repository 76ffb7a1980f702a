"""Sending: single messages, campaigns (async, in batches), the operator's own commercial SMS.

Every message gets a recorded decision (selfcare.sms.policy.decide) before anything reaches the network; a
refused message never reaches the SMS port. Messages are handled in chunks of 100: one BatchGetItem reads the
chunk's opt-outs just before its messages go out, so an opt-out received while a campaign runs refuses the
next chunk's message to that number.

At most once per recipient: accepted messages are first written as `sending` under `attribute_not_exists` (the
claim), CLAIM_GROUP of them in one TransactWriteItems (a message another run claimed cancels the transaction: it is
dropped and the others claimed again), then each message claimed by this run is handed to the SMS port, then the
group is marked `sent` (or `failed`) with BatchWriteItem. A batch processed again (SQS redelivers it after a crash
or a timeout) skips every message that already has an item, so a message is never handed to the port twice. A run
that fails midway with an exception settles the messages it handed over and releases (deletes) the claims of those
it never handed over; the message in flight stays `sending`. A worker killed outright between a group's claim and
its settle leaves that group `sending` (at most CLAIM_GROUP messages, some possibly sent): reported as such, never
sent again (we prefer a lost commercial SMS to a duplicate one).

Night time: a single message is refused (`night_time`: it is answered at once). A campaign is not: its worker
raises CampaignPaused before the first chunk that would go out at night, with the end of the window; the
messages decided before stay decided, and the batch, delivered again after the night, goes on from there.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller, require_staff
from selfcare.clock import Clock, iso
from selfcare.dal.dynamo import ConditionFailed
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sms import BATCH_GET_LIMIT, SmsRepository
from selfcare.errors import CampaignNotDraft, Forbidden, NotFound
from selfcare.observability import logger
from selfcare.ports.commercial_sms import BatchJob, CampaignQueue, CommercialSms, SmsNetwork, SmsRejected
from selfcare.sms.models import (
    Campaign,
    CampaignStatus,
    MessageOutcome,
    MessageStatus,
    MonthlyStats,
    Provider,
    Recipient,
    RefusalReason,
    SuspensionProposal,
)
from selfcare.sms.policy import OPERATOR_SENDERS, SendingPolicy, Thresholds, decide, proposal_reasons
from selfcare.sms.providers import audit_entry
from selfcare.sms.text import encoding_of

MAX_BATCH = 500  # recipients per batch (one request, one SQS message)
# Messages claimed together (one TransactWriteItems) and settled together (one BatchWriteItem): a worker killed
# outright (timeout, out of memory) between a group's claim and its settle leaves at most this many `sending`.
CLAIM_GROUP = 25
SYSTEM_ACTOR = "system#sms"


class CampaignPaused(Exception):
    """A campaign's batch met the night window: deliver it again at `until` (aware, UTC), `seconds` from now.
    Not an error."""

    def __init__(self, until: datetime, now: datetime) -> None:
        super().__init__(f"paused by the night window until {iso(until)}")
        self.until = until
        self.seconds = math.ceil((until - now).total_seconds())


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


@dataclass(frozen=True)
class ConsentLookup:
    """The operator's own SMS: whether a customer consented to commercial SMS, and their mobile lines."""

    consented: Callable[[str], bool]
    mobile_number: Callable[[str, str], str | None]  # (customer id, line id) -> E.164 or None


class SendingService:
    def __init__(
        self,
        *,
        repository: SmsRepository,
        network: SmsNetwork,
        queue: CampaignQueue | None,
        logs: LogsRepository,
        clock: Clock,
        policy: SendingPolicy,
        thresholds: Thresholds,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repository = repository
        self.network = network
        self.queue = queue
        self.logs = logs
        self.clock = clock
        self.policy = policy
        self.thresholds = thresholds
        self.sleep = sleep
        self._proposed: set[tuple[str, str]] = set()

    # Provider API ------------------------------------------------------------------------------
    def send_single(self, provider: Provider, sender_id: str, to: str, text: str) -> MessageOutcome:
        campaign = self._new_campaign(provider, sender_id, text, single=True)
        (outcome,) = self._process(provider, campaign, 1, [Recipient(to)], wait=False)
        return outcome

    def create_campaign(self, provider: Provider, sender_id: str, text: str) -> Campaign:
        return self._new_campaign(provider, sender_id, text, single=False)

    def _new_campaign(self, provider: Provider, sender_id: str, text: str, single: bool) -> Campaign:
        now = self.clock.now()
        campaign = Campaign(
            campaign_id=("M" if single else "C") + uuid.uuid4().hex[:15],
            provider_id=provider.provider_id,
            sender_id=sender_id,
            text=text,
            status=CampaignStatus.RUNNING if single else CampaignStatus.DRAFT,
            created_at=iso(now),
            single=single,
        )
        self.repository.create_campaign(campaign, now)
        return campaign

    def campaign(self, provider: Provider, campaign_id: str) -> Campaign:
        campaign = self.repository.campaign(campaign_id)
        # Another provider's campaign is as unknown as a missing one.
        if campaign is None or campaign.provider_id != provider.provider_id:
            raise NotFound("No such campaign.")
        return campaign

    def add_recipients(self, provider: Provider, campaign_id: str, recipients: list[Recipient]) -> int:
        self.campaign(provider, campaign_id)
        try:
            return self.repository.add_batch(campaign_id, recipients[:MAX_BATCH], self.clock.now())
        except ConditionFailed as error:
            raise CampaignNotDraft() from error

    def start(self, provider: Provider, campaign_id: str) -> Campaign:
        campaign = self.campaign(provider, campaign_id)
        try:
            self.repository.start_campaign(campaign_id)
        except ConditionFailed as error:
            raise CampaignNotDraft() from error
        assert self.queue is not None, "the provider API holds the campaign queue"
        self.queue.enqueue([BatchJob(campaign_id, batch) for batch in range(1, campaign.batches + 1)])
        logger.info("sms campaign started", extra={"campaign_id": campaign_id, "batches": campaign.batches})
        return replace(campaign, status=CampaignStatus.RUNNING)

    def outcomes(
        self, provider: Provider, campaign_id: str, cursor: str | None, limit: int
    ) -> tuple[list[MessageOutcome], str | None]:
        self.campaign(provider, campaign_id)
        return self.repository.outcomes(campaign_id, cursor, limit)

    # Worker ------------------------------------------------------------------------------------
    def process_batch(self, campaign_id: str, batch: int) -> list[MessageOutcome]:
        """One batch of a running campaign (the SQS consumer). Safe to run again: see the module's docstring."""
        campaign = self.repository.campaign(campaign_id)
        recipients = self.repository.batch(campaign_id, batch)
        if campaign is None or recipients is None:
            logger.warning("sms batch without campaign", extra={"campaign_id": campaign_id, "batch": batch})
            return []
        if batch in campaign.done_batches:
            return list(self.repository.batch_outcomes(campaign_id, batch).values())
        # Read now: a provider suspended since the campaign started sends nothing more.
        provider = self.repository.provider(campaign.provider_id)
        if provider is None:
            return []
        outcomes = self._process(provider, campaign, batch, recipients, wait=True)
        self.repository.finish_batch(campaign_id, batch)
        return outcomes

    # Operator's own commercial SMS -------------------------------------------------------------
    def send_operator(
        self,
        caller: Caller,
        operator: Provider,
        lookup: ConsentLookup,
        customer_id: str,
        line_id: str,
        text: str,
        request: RequestInfo,
    ) -> MessageOutcome:
        if require_staff(caller) not in OPERATOR_SENDERS:
            raise Forbidden("Your role does not send the operator's commercial SMS.")
        number = lookup.mobile_number(customer_id, line_id)
        if number is None:
            raise NotFound("No such mobile line.")
        consented = lookup.consented(customer_id)
        campaign = self._new_campaign(operator, operator.sender_ids[0], text, single=True)
        (outcome,) = self._process(operator, campaign, 1, [Recipient(number)], wait=False, consented=consented)
        now = self.clock.now()
        self.logs.audit(
            replace(
                audit_entry(
                    caller.actor, operator.provider_id, f"sms.operator_message.{outcome.status.value}", request, now
                ),
                on_behalf_of=f"customer#{customer_id}",
                target=f"line#{line_id}",
            ),
            now,
        )
        return outcome

    # The decisions -----------------------------------------------------------------------------
    def _process(
        self,
        provider: Provider,
        campaign: Campaign,
        batch: int,
        recipients: list[Recipient],
        *,
        wait: bool,
        consented: bool | None = None,
    ) -> list[MessageOutcome]:
        existing = {} if campaign.single else self.repository.batch_outcomes(campaign.campaign_id, batch)
        results: dict[int, MessageOutcome] = dict(existing)
        for start in range(0, len(recipients), BATCH_GET_LIMIT):
            chunk = [
                (index, recipient)
                for index, recipient in enumerate(recipients[start : start + BATCH_GET_LIMIT], start)
                if index not in existing
            ]
            if chunk:
                results |= self._process_chunk(provider, campaign, batch, chunk, wait, consented)
        return [results[index] for index in sorted(results)]

    def _process_chunk(
        self,
        provider: Provider,
        campaign: Campaign,
        batch: int,
        chunk: list[tuple[int, Recipient]],
        wait: bool,
        consented: bool | None,
    ) -> dict[int, MessageOutcome]:
        now = self.clock.now()
        if wait and self.policy.night.contains(now):  # a campaign waits for the morning; a single SMS is refused
            raise CampaignPaused(self.policy.night.ends_after(now), now)
        opt_outs = self.repository.opt_outs(recipient.to for _, recipient in chunk)
        refused: list[MessageOutcome] = []
        accepted: list[tuple[MessageOutcome, str]] = []
        for index, recipient in chunk:
            text = recipient.text if recipient.text is not None else campaign.text
            decision = decide(
                provider, campaign.sender_id, text, opt_outs.get(recipient.to, ()), now, self.policy, consented
            )
            encoded = encoding_of(text)
            outcome = MessageOutcome(
                campaign_id=campaign.campaign_id,
                batch=batch,
                index=index,
                to=recipient.to,
                status=MessageStatus.SENDING if decision.accepted else MessageStatus.REFUSED,
                reason=decision.reason,
                at=iso(now),
                encoding=encoded.encoding.value,
                segments=encoded.segments,
            )
            if decision.accepted:
                accepted.append((outcome, text))
            else:
                refused.append(outcome)
        if accepted and not self._take_throughput(provider, len(accepted), wait):
            refused += [
                replace(o, status=MessageStatus.REFUSED, reason=RefusalReason.THROUGHPUT_EXCEEDED) for o, _ in accepted
            ]
            accepted = []
        self.repository.record_outcomes(refused, now)
        results = {o.index: o for o in refused}
        for start in range(0, len(accepted), CLAIM_GROUP):
            results |= self._send_group(campaign, accepted[start : start + CLAIM_GROUP], now)
        self._count(provider, now, results.values())
        return results

    def _send_group(
        self, campaign: Campaign, group: list[tuple[MessageOutcome, str]], now: datetime
    ) -> dict[int, MessageOutcome]:
        """Claim the group (one transaction), hand each message claimed by this run to the port, then settle them
        (BatchWriteItem). When the run fails midway (an error of the port or of the worker), the messages already
        handed over are settled, the one in flight stays `sending` (in doubt: never sent again) and those not yet
        handed over are released for the next delivery of the batch."""
        claimed = self.repository.claim([outcome for outcome, _ in group], now)
        settled: list[MessageOutcome] = []
        handed: set[int] = set()
        try:
            for outcome, text in group:
                if outcome.index not in claimed:
                    continue  # claimed by an earlier run: never handed to the network twice
                handed.add(outcome.index)
                try:
                    self.network.send(CommercialSms(outcome.to, text, campaign.sender_id, "campaign"))
                    status = MessageStatus.SENT
                except SmsRejected:
                    status = MessageStatus.FAILED
                settled.append(replace(outcome, status=status))
        except BaseException:
            self.repository.settle(settled, now)
            self.repository.release([o for o, _ in group if o.index in claimed and o.index not in handed])
            raise
        self.repository.settle(settled, now)
        return {outcome.index: outcome for outcome in settled}

    def _take_throughput(self, provider: Provider, count: int, wait: bool) -> bool:
        """Room for `count` messages in the provider's per-second window; campaigns wait for the next second
        (in steps of the limit), single messages are refused at once."""
        limit = max(1, provider.throughput_per_second)
        if not wait:
            return count <= limit and self.repository.take_throughput(
                provider.provider_id, int(self.clock.now().timestamp()), count, limit
            )
        left = count
        while left:
            step = min(left, limit)
            moment = self.clock.now().timestamp()
            if self.repository.take_throughput(provider.provider_id, int(moment), step, limit):
                left -= step
            else:
                self.sleep(max(0.01, math.ceil(moment) - moment))
        return True

    def _count(self, provider: Provider, now: datetime, outcomes: Iterable[MessageOutcome]) -> None:
        counts: Counter[str] = Counter()
        for outcome in outcomes:
            counts["submitted"] += 1
            if outcome.status is MessageStatus.REFUSED and outcome.reason:
                counts[f"refused_{outcome.reason.value}"] += 1
            elif outcome.status in (MessageStatus.SENT, MessageStatus.FAILED):
                counts[outcome.status.value] += 1
        month = month_of(now)
        stats = self.repository.add_stats(provider.provider_id, month, dict(counts))
        if provider.is_operator or (provider.provider_id, month) in self._proposed:
            return
        if review(self.repository, self.logs, stats, self.thresholds, now):
            self._proposed.add((provider.provider_id, month))


def review(
    repository: SmsRepository, logs: LogsRepository, stats: MonthlyStats, thresholds: Thresholds, now: datetime
) -> bool:
    """Propose the provider's suspension when the month's figures pass a threshold; whether one is on record."""
    reasons = proposal_reasons(
        stats.submitted,
        stats.refused.get(RefusalReason.MISSING_OPT_OUT_MENTION.value, 0),
        stats.sent,
        stats.complaints,
        thresholds,
    )
    if not reasons:
        return False
    propose(repository, logs, stats.provider_id, stats.month, reasons, now)
    return True


def propose(
    repository: SmsRepository, logs: LogsRepository, provider_id: str, month: str, reasons: list[str], now: datetime
) -> bool:
    """Record the month's suspension proposal (once) with its audit entry; staff decide."""
    proposal = SuspensionProposal(provider_id, month, tuple(reasons), iso(now))
    entry = audit_entry(SYSTEM_ACTOR, provider_id, "sms_provider.suspension_proposed", RequestInfo("-", "-", None), now)
    created = repository.add_proposal(proposal, logs.audit_op(replace(entry, target=";".join(reasons)), now), now)
    if created:
        logger.warning("sms suspension proposed", extra={"provider_id": provider_id, "month": month})
    return created
