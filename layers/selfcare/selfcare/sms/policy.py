"""The per-message decision (pure), the night-time window, and which staff roles keep the register.

Checks, in this order; the first one failing is the recorded reason:
1. the provider is active (not suspended, not ended) and today is within its contract's dates;
2. the sender id is one of the provider's allowed sender ids;
3. the text carries the opt-out mention (keyword and the provider's short number, selfcare.sms.text);
4. (the operator's own SMS) the subscriber consented to commercial SMS;
5. the recipient is not on the opt-out list (every commercial SMS, or this provider's short number);
6. it is not night time where the recipients are (the operator's configured window). A campaign's worker does
   not refuse at night: it pauses the batch until the window ends (selfcare.sms.sending.CampaignPaused);
   single messages, answered at once, are refused.
The throughput limit is checked by the sending service (it needs the store: a shared per-second window).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from selfcare.auth.policy import StaffRole
from selfcare.sms.models import ALL_SCOPE, Decision, Provider, ProviderStatus, RefusalReason, short_scope
from selfcare.sms.text import MentionForm, has_opt_out_mention

# Who keeps the register (SPEC.md, Staff access, has no row for it; decided in docs/decisions.md 2026-11-25):
# VAS contracts are signed by the business departments (sales) and the provider API is run by the
# infrastructure team; the production team acts during incidents (suspending a provider that floods the
# network). Customer-service staff of the subsidiary serve customers, not providers: no access.
REGISTER_READERS: frozenset[StaffRole] = frozenset({StaffRole.SALES, StaffRole.INFRASTRUCTURE, StaffRole.PRODUCTION})
REGISTER_KEEPERS: frozenset[StaffRole] = frozenset({StaffRole.SALES, StaffRole.INFRASTRUCTURE, StaffRole.PRODUCTION})
# The operator's own commercial SMS are marketing: sales send them.
OPERATOR_SENDERS: frozenset[StaffRole] = frozenset({StaffRole.SALES})


@dataclass(frozen=True)
class NightWindow:
    """No commercial SMS from `start` to `end` (local time of `timezone`; the window may cross midnight).
    `start == end`: no night window (the local stack's default, so that it can be tried at any hour)."""

    start: time = time(22, 0)
    end: time = time(8, 0)
    timezone: str = "Europe/Monaco"

    def contains(self, moment: datetime) -> bool:
        if self.start == self.end:
            return False
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first end of the window after `moment` (aware, UTC): when a campaign paused by night resumes.
        A local time that a clock change skips resolves as zoneinfo does (fold 0)."""
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=zone)
        return end.astimezone(UTC)


@dataclass(frozen=True)
class SendingPolicy:
    mention: MentionForm = field(default_factory=MentionForm)
    night: NightWindow = field(default_factory=NightWindow)


def under_contract(provider: Provider, moment: datetime) -> bool:
    today = moment.date().isoformat()
    return provider.contract_start <= today and (provider.contract_end is None or today <= provider.contract_end)


def provider_refusal(provider: Provider, moment: datetime) -> RefusalReason | None:
    """Check 1: why this provider may not send now, or None."""
    if provider.status is ProviderStatus.ENDED:
        return RefusalReason.PROVIDER_ENDED
    if provider.status is ProviderStatus.SUSPENDED:
        return RefusalReason.PROVIDER_SUSPENDED
    if not under_contract(provider, moment):
        return RefusalReason.OUTSIDE_CONTRACT
    return None


def decide(
    provider: Provider,
    sender_id: str,
    text: str,
    opt_out_scopes: Collection[str],
    moment: datetime,
    policy: SendingPolicy,
    consented: bool | None = None,
) -> Decision:
    """One message's decision. `opt_out_scopes`: the recipient's opt-outs (empty: none). `consented`: the
    subscriber's commercial-SMS consent, for the operator's own SMS only (None: not applicable)."""
    refusal = provider_refusal(provider, moment)
    if refusal is not None:
        return Decision(False, refusal)
    if sender_id not in provider.sender_ids:
        return Decision(False, RefusalReason.SENDER_ID_NOT_ALLOWED)
    if not has_opt_out_mention(text, provider.opt_out_number, policy.mention):
        return Decision(False, RefusalReason.MISSING_OPT_OUT_MENTION)
    if consented is False:
        return Decision(False, RefusalReason.NO_CONSENT)
    if ALL_SCOPE in opt_out_scopes or short_scope(provider.opt_out_number) in opt_out_scopes:
        return Decision(False, RefusalReason.OPTED_OUT)
    if policy.night.contains(moment):
        return Decision(False, RefusalReason.NIGHT_TIME)
    return Decision(True)


@dataclass(frozen=True)
class Thresholds:
    """Above these, a month's figures make a suspension proposal (staff decide)."""

    missing_mention_rate: float = 0.05  # refused for a missing mention / submitted
    complaints_per_10k: float = 5.0  # complaints per 10,000 messages sent
    min_submitted: int = 20  # below this many messages, rates say nothing


def proposal_reasons(
    submitted: int, missing_mention: int, sent: int, complaints: int, thresholds: Thresholds
) -> list[str]:
    reasons = []
    if submitted >= thresholds.min_submitted and missing_mention / submitted > thresholds.missing_mention_rate:
        reasons.append(f"missing_mention_rate {missing_mention / submitted:.3f} > {thresholds.missing_mention_rate}")
    per_10k = complaints * 10_000 / max(sent, 1)
    if complaints and per_10k > thresholds.complaints_per_10k:
        reasons.append(f"complaints_per_10k {per_10k:.1f} > {thresholds.complaints_per_10k}")
    return reasons
