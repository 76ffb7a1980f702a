"""Domain entities of the mobile capability, read from the line's read-model attributes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from selfcare.lines.models import ChildKind, LineDetail


class SimStatus(StrEnum):
    ACTIVE = "active"
    NONE = "none"  # no SIM card activated on the line yet


class MobileInternet(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    EXHAUSTED = "exhausted"  # the zone's allowance is used up


@dataclass(frozen=True)
class MobileOption:
    code: str
    label: str
    monthly_price_cents: int


@dataclass(frozen=True)
class MobileLine:
    line_id: str
    number: str | None
    offer: str
    status: str
    user: str | None
    options: tuple[MobileOption, ...]
    renewal_eligible_on: str | None
    commitment_ends_on: str | None
    sim_status: SimStatus
    iccid: str | None

    @staticmethod
    def of(line: LineDetail) -> MobileLine:
        attributes = line.attributes
        return MobileLine(
            line_id=line.line_id,
            number=line.number,
            offer=line.offer,
            status=line.status,
            user=attributes.get("user"),
            options=tuple(
                MobileOption(str(o["code"]), str(o["label"]), int(o.get("monthly_price_cents", 0)))
                for o in attributes.get("options") or ()
            ),
            renewal_eligible_on=attributes.get("renewal_eligible_on"),
            commitment_ends_on=attributes.get("commitment_ends_on"),
            sim_status=SimStatus.ACTIVE if attributes.get("iccid") else SimStatus.NONE,
            iccid=attributes.get("iccid"),
        )


@dataclass(frozen=True)
class OutOfBundleCharge:
    at: str
    label: str
    amount_excl_tax_cents: int

    @staticmethod
    def of(item: Mapping[str, Any]) -> OutOfBundleCharge:
        return OutOfBundleCharge(str(item["at"]), str(item["label"]), int(item["amount_excl_tax_cents"]))


@dataclass(frozen=True)
class RoamingZone:
    zone: str
    mobile_internet: MobileInternet
    allowance_mb: int
    used_mb: int


def roaming_zones(line: LineDetail) -> list[RoamingZone]:
    """Mobile internet status in each roaming zone that the offer includes."""
    zones = []
    for zone in line.attributes.get("roaming") or ():
        if not zone.get("included"):
            continue
        allowance, used = int(zone.get("allowance_mb", 0)), int(zone.get("used_mb", 0))
        if not zone.get("data_enabled"):
            status = MobileInternet.DISABLED
        elif used >= allowance:
            status = MobileInternet.EXHAUSTED
        else:
            status = MobileInternet.ENABLED
        zones.append(RoamingZone(str(zone["zone"]), status, allowance, used))
    return zones


def out_of_bundle(line: LineDetail) -> list[OutOfBundleCharge]:
    return sorted((OutOfBundleCharge.of(i) for i in line.of_kind(ChildKind.CHARGE)), key=lambda c: c.at)
