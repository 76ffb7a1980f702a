"""Domain entities shared by the line capabilities, as the read model holds them.

A line is one item of the customer's partition (`LINE#<id>`) with its type-specific attributes;
what belongs to a line (boxes, mailboxes, TV packs, VOD views, usage records, out-of-bundle
charges) are items under it (`LINE#<id>#<KIND>#<id>`), so that one Query reads a line and all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from selfcare.account.models import LineType

__all__ = ["Box", "ChildKind", "LineDetail", "LineType", "UsageKind", "UsageRecord", "boxes"]


LINE_ENDED = "ended"  # a line's status once the product inventory ended it (terminal; selfcare.projection.inventory)


class ChildKind(StrEnum):
    BOX = "BOX"
    MAILBOX = "MAILBOX"
    PACK = "PACK"
    VOD = "VOD"
    USAGE = "USAGE"
    CHARGE = "CHARGE"  # out-of-bundle charge


@dataclass(frozen=True)
class LineDetail:
    """A line and everything under it. `attributes` are the line item's type-specific values
    (read-model documents); `children` the items under it, by kind, in sort-key order."""

    customer_id: str
    line_id: str
    line_type: LineType
    offer: str
    number: str | None
    status: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    children: Mapping[ChildKind, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)

    def of_kind(self, kind: ChildKind) -> tuple[Mapping[str, Any], ...]:
        return self.children.get(kind, ())

    def child(self, kind: ChildKind, child_id: str) -> Mapping[str, Any] | None:
        return next((c for c in self.of_kind(kind) if c.get("id") == child_id), None)

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.attributes.get(name)
        return value if isinstance(value, Mapping) else {}


class UsageKind(StrEnum):
    CALL = "call"
    SMS = "sms"
    MMS = "mms"
    DATA = "data"


@dataclass(frozen=True)
class UsageRecord:
    """One usage record (SPEC.md, usage detail): same fields for mobile, fixed and internet."""

    line_number: str | None
    started_at: str
    kind: UsageKind
    origin_country: str
    destination_country: str | None
    called_number: str | None
    duration_seconds: int | None
    quantity: int | None
    volume_kb: int | None
    amount_excl_tax_cents: int

    @staticmethod
    def of(item: Mapping[str, Any]) -> UsageRecord:
        return UsageRecord(
            line_number=item.get("line_number"),
            started_at=str(item["started_at"]),
            kind=UsageKind(item["kind"]),
            origin_country=str(item["origin_country"]),
            destination_country=item.get("destination_country"),
            called_number=item.get("called_number"),
            duration_seconds=item.get("duration_seconds"),
            quantity=item.get("quantity"),
            volume_kb=item.get("volume_kb"),
            amount_excl_tax_cents=int(item.get("amount_excl_tax_cents", 0)),
        )


@dataclass(frozen=True)
class Box:
    box_id: str
    model: str
    name: str

    @staticmethod
    def of(item: Mapping[str, Any]) -> Box:
        return Box(str(item["id"]), str(item.get("model", "")), str(item.get("name", "")))


def boxes(line: LineDetail) -> list[Box]:
    return [Box.of(item) for item in line.of_kind(ChildKind.BOX)]
