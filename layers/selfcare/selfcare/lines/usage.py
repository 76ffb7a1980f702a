"""Usage of the current month, shared by mobile, fixed and internet lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from selfcare.lines.models import ChildKind, LineDetail, UsageKind, UsageRecord


@dataclass(frozen=True)
class MonthUsage:
    period: str  # YYYY-MM
    records: tuple[UsageRecord, ...]

    def total(self, kind: UsageKind, field: str) -> int:
        return sum(int(getattr(r, field) or 0) for r in self.records if r.kind is kind)

    @property
    def amount_excl_tax_cents(self) -> int:
        return sum(r.amount_excl_tax_cents for r in self.records)


def current_month(line: LineDetail, now: datetime) -> MonthUsage:
    """The line's usage records of the calendar month of `now` (UTC), oldest first."""
    period = now.strftime("%Y-%m")
    records = sorted(
        (UsageRecord.of(item) for item in line.of_kind(ChildKind.USAGE)),
        key=lambda record: record.started_at,
    )
    return MonthUsage(period, tuple(r for r in records if r.started_at.startswith(period)))
