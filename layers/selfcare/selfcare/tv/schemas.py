"""Request and response models of the TV capability."""

from __future__ import annotations

from pydantic import Field

from selfcare.api.schema import Schema
from selfcare.internet.schemas import BoxName, BoxView
from selfcare.lines.schemas import Command
from selfcare.tv.models import CATALOGUE, PackState, PackStatus, StartRule, TvLine, VodView
from selfcare.types import ItemId, NewPassword

__all__ = ["BoxName", "BoxView"]


class TvLineView(Schema):
    line_id: str
    offer: str
    status: str
    login: str | None = Field(description="The TV service login")
    password_changed_at: str | None
    billing_day: int = Field(description="Day of the month packs are billed (next_billing_day start)")

    @staticmethod
    def of(line: TvLine) -> TvLineView:
        return TvLineView(
            line_id=line.line_id,
            offer=line.offer,
            status=line.status,
            login=line.login,
            password_changed_at=line.password_changed_at,
            billing_day=line.billing_day,
        )


class TvLines(Schema):
    lines: list[TvLineView]


class TvBoxes(Schema):
    line_id: str
    boxes: list[BoxView]


class TvPasswordRequest(Command):
    new_password: NewPassword = Field(description="The new TV service password (password policy applies)")


class PackView(Schema):
    pack_id: str
    name: str
    monthly_price_cents: int
    status: PackStatus
    subscribed_at: str
    effective_from: str = Field(description="When the pack starts (ISO 8601, UTC)")
    effective_until: str | None = Field(
        description="When a cancelled pack stops: the end of the month it was cancelled in"
    )

    @staticmethod
    def of(state: PackState) -> PackView:
        pack = state.pack
        return PackView(
            pack_id=pack.pack_id,
            name=pack.name,
            monthly_price_cents=pack.monthly_price_cents,
            status=state.status,
            subscribed_at=pack.subscribed_at,
            effective_from=pack.effective_from,
            effective_until=pack.effective_until,
        )


class CatalogueEntry(Schema):
    pack_id: str
    name: str
    monthly_price_cents: int


class PacksView(Schema):
    line_id: str
    packs: list[PackView] = Field(description="Packs subscribed on the line (ended ones included)")
    catalogue: list[CatalogueEntry] = Field(description="Packs one may subscribe to")

    @staticmethod
    def of(line_id: str, packs: list[PackState]) -> PacksView:
        return PacksView(
            line_id=line_id,
            packs=[PackView.of(p) for p in packs],
            catalogue=[
                CatalogueEntry(pack_id=c.pack_id, name=c.name, monthly_price_cents=c.monthly_price_cents)
                for c in CATALOGUE.values()
            ],
        )


class SubscribeRequest(Command):
    pack_id: ItemId
    start: StartRule = Field(
        StartRule.NOW, description="now (default): at once; next_billing_day: on the line's next billing day"
    )


class VodEntry(Schema):
    watched_at: str
    title_ref: str = Field(description="Anonymised reference of the title (keyed hash: not reversible)")
    category: str
    price_cents: int


class VodConsumption(Schema):
    line_id: str
    views: list[VodEntry]
    total_cents: int

    @staticmethod
    def of(line_id: str, views: list[VodView]) -> VodConsumption:
        return VodConsumption(
            line_id=line_id,
            views=[
                VodEntry(watched_at=v.watched_at, title_ref=v.title_ref, category=v.category, price_cents=v.price_cents)
                for v in views
            ],
            total_cents=sum(v.price_cents for v in views),
        )
