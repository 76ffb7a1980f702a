"""HTTP boundary models of commercial SMS governance (every component name starts with `Sms`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from selfcare.api.schema import Schema
from selfcare.sms.control import MonthlyReport
from selfcare.sms.models import Campaign, MessageOutcome, Provider, SuspensionProposal
from selfcare.sms.optout import LineOptOut
from selfcare.sms.providers import AUTH_SCHEME, IssuedCredentials, ProviderDraft
from selfcare.types import E164, CustomerId, LineId

SenderId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 .-]{1,10}$")]
ShortNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,8}$")]
SmsText = Annotated[str, StringConstraints(min_length=1, max_length=1600)]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=500)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# Staff: the register -------------------------------------------------------------------------
class SmsRequest(Schema):
    """Writes refuse unknown fields (as every other capability's requests)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class SmsProviderRequest(SmsRequest):
    legal_name: Label
    declaration_number: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The regulator's declaration number"
    )
    contract_reference: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    contract_start: date
    contract_end: date | None = Field(None, description="Inclusive; none: open-ended")
    sender_ids: list[SenderId] = Field(min_length=1, max_length=20, description="Allowed sender ids")
    opt_out_number: ShortNumber = Field(description="The short number recipients send STOP to")
    throughput_per_second: int = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _dates(self) -> SmsProviderRequest:
        if self.contract_end is not None and self.contract_end < self.contract_start:
            raise ValueError("contract_end is before contract_start")
        return self

    def draft(self) -> ProviderDraft:
        return ProviderDraft(
            legal_name=self.legal_name,
            declaration_number=self.declaration_number,
            contract_reference=self.contract_reference,
            contract_start=self.contract_start.isoformat(),
            contract_end=self.contract_end.isoformat() if self.contract_end else None,
            sender_ids=tuple(dict.fromkeys(self.sender_ids)),
            opt_out_number=self.opt_out_number,
            throughput_per_second=self.throughput_per_second,
        )


class SmsProviderView(Schema):
    provider_id: str
    legal_name: str
    declaration_number: str
    contract_reference: str
    contract_start: str
    contract_end: str | None
    sender_ids: list[str]
    opt_out_number: str
    throughput_per_second: int
    status: str
    status_reason: str | None
    has_credentials: bool
    credential_rotated_at: str | None
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, p: Provider) -> SmsProviderView:
        return cls(
            provider_id=p.provider_id,
            legal_name=p.legal_name,
            declaration_number=p.declaration_number,
            contract_reference=p.contract_reference,
            contract_start=p.contract_start,
            contract_end=p.contract_end,
            sender_ids=list(p.sender_ids),
            opt_out_number=p.opt_out_number,
            throughput_per_second=p.throughput_per_second,
            status=p.status.value,
            status_reason=p.status_reason,
            has_credentials=p.secret_hash is not None,
            credential_rotated_at=p.credential_rotated_at,
            created_at=p.created_at,
            updated_at=p.updated_at,
            version=p.version,
        )


class SmsProviderList(Schema):
    providers: list[SmsProviderView]


class SmsReasonRequest(SmsRequest):
    reason: Reason


class SmsCredentialsView(Schema):
    provider_id: str
    secret: str = Field(description="Shown once: only its hash is kept. A new one replaces it at once.")
    authorization: str = Field(description="The header value to send on the provider API")
    issued_at: str

    @classmethod
    def of(cls, issued: IssuedCredentials) -> SmsCredentialsView:
        return cls(
            provider_id=issued.provider_id,
            secret=issued.secret,
            authorization=f"{AUTH_SCHEME} {issued.provider_id}:{issued.secret}",
            issued_at=issued.issued_at,
        )


class SmsProposalView(Schema):
    provider_id: str
    month: str
    reasons: list[str]
    at: str

    @classmethod
    def of(cls, p: SuspensionProposal) -> SmsProposalView:
        return cls(provider_id=p.provider_id, month=p.month, reasons=list(p.reasons), at=p.at)


class SmsProposalList(Schema):
    proposals: list[SmsProposalView]


class SmsReportView(Schema):
    provider_id: str
    legal_name: str
    month: str
    submitted: int
    sent: int
    failed: int
    refused_total: int
    refused: dict[str, int] = Field(description="Refused messages by reason")
    opt_outs: int
    complaints: int
    above_thresholds: list[str] = Field(description="The thresholds the month's figures pass now")
    proposal: SmsProposalView | None = Field(description="The suspension proposal on record for the month")

    @classmethod
    def of(cls, r: MonthlyReport) -> SmsReportView:
        s = r.stats
        return cls(
            provider_id=r.provider.provider_id,
            legal_name=r.provider.legal_name,
            month=s.month,
            submitted=s.submitted,
            sent=s.sent,
            failed=s.failed,
            refused_total=s.refused_total,
            refused=dict(sorted(s.refused.items())),
            opt_outs=s.opt_outs,
            complaints=s.complaints,
            above_thresholds=list(r.proposal_reasons),
            proposal=SmsProposalView.of(r.proposal) if r.proposal else None,
        )


class SmsOperatorMessageRequest(SmsRequest):
    customer_id: CustomerId
    line_id: LineId
    text: SmsText


# Provider API --------------------------------------------------------------------------------
class SmsMessageRequest(SmsRequest):
    sender_id: SenderId
    to: E164
    text: SmsText


class SmsOutcomeView(Schema):
    """A message's decision, for the number the provider itself submitted."""

    campaign_id: str
    batch: int = Field(description="The batch (the recipients request) the number came in, from 1")
    index: int = Field(description="Its position in that batch, from 0")
    to: str
    status: str = Field(description="refused, sending (claimed, never sent again), sent, failed")
    reason: str | None = Field(description="Why refused (the first failing check)")
    at: str
    encoding: str = Field(description="GSM-7 or UCS-2")
    segments: int

    @classmethod
    def of(cls, o: MessageOutcome) -> SmsOutcomeView:
        return cls(
            campaign_id=o.campaign_id,
            batch=o.batch,
            index=o.index,
            to=o.to,
            status=o.status.value,
            reason=o.reason.value if o.reason else None,
            at=o.at,
            encoding=o.encoding,
            segments=o.segments,
        )


class SmsOutcomePage(Schema):
    outcomes: list[SmsOutcomeView]
    next_cursor: str | None


class SmsCampaignRequest(SmsRequest):
    sender_id: SenderId
    text: SmsText = Field(description="The default text (a recipient may bring its own)")


class SmsCampaignView(Schema):
    campaign_id: str
    status: str
    sender_id: str
    batches: int
    recipients: int
    batches_done: int
    created_at: str

    @classmethod
    def of(cls, c: Campaign) -> SmsCampaignView:
        return cls(
            campaign_id=c.campaign_id,
            status=c.status.value,
            sender_id=c.sender_id,
            batches=c.batches,
            recipients=c.recipients,
            batches_done=c.batches_done,
            created_at=c.created_at,
        )


class SmsRecipientIn(SmsRequest):
    to: E164
    text: SmsText | None = Field(None, description="A personalised text; none: the campaign's")


class SmsRecipientsRequest(SmsRequest):
    recipients: list[SmsRecipientIn] = Field(min_length=1, max_length=500)


class SmsBatchView(Schema):
    campaign_id: str
    batch: int
    count: int


class SmsProviderSelfView(Schema):
    provider_id: str
    legal_name: str
    sender_ids: list[str]
    opt_out_number: str
    throughput_per_second: int
    status: str
    contract_start: str
    contract_end: str | None

    @classmethod
    def of(cls, p: Provider) -> SmsProviderSelfView:
        return cls(
            provider_id=p.provider_id,
            legal_name=p.legal_name,
            sender_ids=list(p.sender_ids),
            opt_out_number=p.opt_out_number,
            throughput_per_second=p.throughput_per_second,
            status=p.status.value,
            contract_start=p.contract_start,
            contract_end=p.contract_end,
        )


# Customers -----------------------------------------------------------------------------------
class SmsLineOptOutView(Schema):
    line_id: str
    number: str
    opted_out: bool = Field(description="No commercial SMS at all on this line")
    short_numbers: list[str] = Field(description="Short numbers this line sent STOP to")

    @classmethod
    def of(cls, line: LineOptOut) -> SmsLineOptOutView:
        return cls(
            line_id=line.line_id, number=line.number, opted_out=line.opted_out, short_numbers=list(line.short_numbers)
        )


class SmsLineOptOutList(Schema):
    lines: list[SmsLineOptOutView]


class SmsLineOptOutRequest(SmsRequest):
    opted_out: bool


class SmsComplaintRequest(SmsRequest):
    line_id: LineId
    sender_id: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    received_at: datetime
    text: Annotated[str, StringConstraints(max_length=1600)] = ""


class SmsComplaintView(Schema):
    complaint_id: str
    sender_id: str
    received_at: str
    at: str
    counted_against_provider: bool
