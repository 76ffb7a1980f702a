"""Domain entities of TV: the line, the pack catalogue, subscribed packs (with effective dates), VOD views.

Effective dates (all UTC):
- a subscription starts at once (`start="now"`, the default), or on the line's next billing day
  (`start="next_billing_day"`: the first billing day strictly after today, at 00:00);
- a cancellation takes effect at the end of the current calendar month: the pack stays until the
  first instant of the next month, then it has ended and may be subscribed again.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from selfcare.clock import iso
from selfcare.lines.models import ChildKind, LineDetail


@dataclass(frozen=True)
class CataloguePack:
    pack_id: str
    name: str
    monthly_price_cents: int


# The packs one may subscribe to (the operator's catalogue; a projection will feed it).
CATALOGUE: dict[str, CataloguePack] = {
    pack.pack_id: pack
    for pack in (
        CataloguePack("cinema", "Cinéma+", 1199),
        CataloguePack("sport", "Sport Live", 1499),
        CataloguePack("kids", "Kids", 499),
        CataloguePack("docs", "Documentaires", 699),
        CataloguePack("music", "Music", 399),
    )
}


class StartRule(StrEnum):
    NOW = "now"
    NEXT_BILLING_DAY = "next_billing_day"


class PackStatus(StrEnum):
    PENDING = "pending"  # subscribed, starts later (next billing day)
    ACTIVE = "active"
    CANCELLING = "cancelling"  # cancelled, active until the end of the month
    ENDED = "ended"


@dataclass(frozen=True)
class TvPack:
    pack_id: str
    name: str
    monthly_price_cents: int
    subscribed_at: str
    effective_from: str
    effective_until: str | None
    cancelled_at: str | None
    replaces_end: str | None  # the end of the subscription this one follows (idempotency basis)

    def status(self, now: datetime) -> PackStatus:
        moment = iso(now)
        if self.effective_until is not None and self.effective_until <= moment:
            return PackStatus.ENDED
        if self.effective_until is not None:
            return PackStatus.CANCELLING
        return PackStatus.PENDING if self.effective_from > moment else PackStatus.ACTIVE

    @staticmethod
    def of(item: Mapping[str, Any]) -> TvPack:
        return TvPack(
            pack_id=str(item["id"]),
            name=str(item["name"]),
            monthly_price_cents=int(item["monthly_price_cents"]),
            subscribed_at=str(item["subscribed_at"]),
            effective_from=str(item["effective_from"]),
            effective_until=item.get("effective_until"),
            cancelled_at=item.get("cancelled_at"),
            replaces_end=item.get("replaces_end"),
        )

    def item(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "monthly_price_cents": self.monthly_price_cents,
            "subscribed_at": self.subscribed_at,
            "effective_from": self.effective_from,
            "effective_until": self.effective_until,
            "cancelled_at": self.cancelled_at,
            "replaces_end": self.replaces_end,
        }


@dataclass(frozen=True)
class PackState:
    """A pack and its status at the time of the request."""

    pack: TvPack
    status: PackStatus


def packs(line: LineDetail) -> list[TvPack]:
    return [TvPack.of(item) for item in line.of_kind(ChildKind.PACK)]


def start_of_next_month(now: datetime) -> datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def next_billing_day(now: datetime, billing_day: int) -> datetime:
    """The first billing day strictly after today, at 00:00 UTC (day clamped to the month's length)."""
    year, month = now.year, now.month
    for _ in range(2):
        day = min(billing_day, calendar.monthrange(year, month)[1])
        candidate = datetime(year, month, day, tzinfo=UTC)
        if candidate.date() > now.date():
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = min(billing_day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, tzinfo=UTC)


def effective_from(rule: StartRule, now: datetime, billing_day: int) -> datetime:
    return now if rule is StartRule.NOW else next_billing_day(now, billing_day)


@dataclass(frozen=True)
class VodView:
    """One VOD title watched. `title_ref` is the keyed hash of the title's reference, never the reference."""

    view_id: str
    watched_at: str
    title_ref: str
    category: str
    price_cents: int

    @staticmethod
    def of(item: Mapping[str, Any]) -> VodView:
        return VodView(
            view_id=str(item["id"]),
            watched_at=str(item["watched_at"]),
            title_ref=str(item["title_ref"]),
            category=str(item.get("category", "")),
            price_cents=int(item.get("price_cents", 0)),
        )


def vod_views(line: LineDetail) -> list[VodView]:
    return sorted((VodView.of(item) for item in line.of_kind(ChildKind.VOD)), key=lambda v: v.watched_at, reverse=True)


@dataclass(frozen=True)
class TvLine:
    line_id: str
    offer: str
    status: str
    login: str | None
    password_changed_at: str | None
    billing_day: int

    @staticmethod
    def of(line: LineDetail) -> TvLine:
        return TvLine(
            line_id=line.line_id,
            offer=line.offer,
            status=line.status,
            login=line.attributes.get("tv_login"),
            password_changed_at=line.attributes.get("tv_password_changed_at"),
            billing_day=int(line.attributes.get("billing_day", 1)),
        )
