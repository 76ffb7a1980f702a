"""HTTP boundary models shared by the line capabilities."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from selfcare.api.schema import Schema
from selfcare.lines.models import UsageKind, UsageRecord
from selfcare.lines.usage import MonthUsage


class Command(Schema):
    """Base of every write request: unknown fields are refused (422 with their location)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")


class LineUsageRecordView(Schema):
    line_number: str | None
    started_at: str = Field(description="Start date and time (ISO 8601, UTC)")
    type: UsageKind
    origin_country: str = Field(description="ISO 3166-1 alpha-2")
    destination_country: str | None = Field(description="ISO 3166-1 alpha-2")
    called_number: str | None
    duration_seconds: int | None
    quantity: int | None
    volume_kb: int | None
    amount_excl_tax_cents: int

    @staticmethod
    def of(record: UsageRecord) -> LineUsageRecordView:
        return LineUsageRecordView(
            line_number=record.line_number,
            started_at=record.started_at,
            type=record.kind,
            origin_country=record.origin_country,
            destination_country=record.destination_country,
            called_number=record.called_number,
            duration_seconds=record.duration_seconds,
            quantity=record.quantity,
            volume_kb=record.volume_kb,
            amount_excl_tax_cents=record.amount_excl_tax_cents,
        )


class UsageTotals(Schema):
    call_seconds: int
    sms: int
    mms: int
    data_kb: int
    amount_excl_tax_cents: int


class UsageView(Schema):
    """The line's usage of the current calendar month (same fields as the usage detail)."""

    line_id: str
    period: str = Field(description="YYYY-MM")
    records: list[LineUsageRecordView]
    totals: UsageTotals

    @staticmethod
    def of(line_id: str, usage: MonthUsage) -> UsageView:
        return UsageView(
            line_id=line_id,
            period=usage.period,
            records=[LineUsageRecordView.of(r) for r in usage.records],
            totals=UsageTotals(
                call_seconds=usage.total(UsageKind.CALL, "duration_seconds"),
                sms=usage.total(UsageKind.SMS, "quantity"),
                mms=usage.total(UsageKind.MMS, "quantity"),
                data_kb=usage.total(UsageKind.DATA, "volume_kb"),
                amount_excl_tax_cents=usage.amount_excl_tax_cents,
            ),
        )
