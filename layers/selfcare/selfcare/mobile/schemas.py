"""Request and response models of the mobile capability (the HTTP boundary)."""

from __future__ import annotations

from pydantic import Field

from selfcare.api.schema import Schema
from selfcare.lines.schemas import Command
from selfcare.mobile.models import MobileInternet, MobileLine, OutOfBundleCharge, RoamingZone, SimStatus
from selfcare.types import Iccid


class MobileLineSummary(Schema):
    line_id: str
    number: str | None
    offer: str
    user: str | None = Field(description="The line's user")
    status: str

    @staticmethod
    def of(line: MobileLine) -> MobileLineSummary:
        return MobileLineSummary(
            line_id=line.line_id, number=line.number, offer=line.offer, user=line.user, status=line.status
        )


class MobileLines(Schema):
    lines: list[MobileLineSummary]


class OptionView(Schema):
    code: str
    label: str
    monthly_price_cents: int


class SimView(Schema):
    status: SimStatus
    iccid_last_digits: str | None = Field(description="The last 4 digits of the SIM card's ICCID")


class MobileLineView(Schema):
    line_id: str
    number: str | None
    offer: str
    options: list[OptionView]
    user: str | None
    status: str
    renewal_eligible_on: str | None = Field(description="Date of eligibility for renewal / handset subsidy")
    commitment_ends_on: str | None = Field(description="End of the commitment period (none: no commitment)")
    sim: SimView

    @staticmethod
    def of(line: MobileLine) -> MobileLineView:
        return MobileLineView(
            line_id=line.line_id,
            number=line.number,
            offer=line.offer,
            options=[
                OptionView(code=o.code, label=o.label, monthly_price_cents=o.monthly_price_cents) for o in line.options
            ],
            user=line.user,
            status=line.status,
            renewal_eligible_on=line.renewal_eligible_on,
            commitment_ends_on=line.commitment_ends_on,
            sim=SimView(status=line.sim_status, iccid_last_digits=line.iccid[-4:] if line.iccid else None),
        )


class ChargeView(Schema):
    at: str
    label: str
    amount_excl_tax_cents: int


class ChargesView(Schema):
    line_id: str
    charges: list[ChargeView]
    total_excl_tax_cents: int

    @staticmethod
    def of(line_id: str, charges: list[OutOfBundleCharge]) -> ChargesView:
        return ChargesView(
            line_id=line_id,
            charges=[
                ChargeView(at=c.at, label=c.label, amount_excl_tax_cents=c.amount_excl_tax_cents) for c in charges
            ],
            total_excl_tax_cents=sum(c.amount_excl_tax_cents for c in charges),
        )


class PukView(Schema):
    line_id: str
    puk: str = Field(description="PUK code of the line's SIM card (every view is audited)")


class SimActivationRequest(Command):
    iccid: Iccid = Field(description="The SIM card's ICCID (19-20 digits starting with 89, Luhn check digit)")


class ZoneView(Schema):
    zone: str
    mobile_internet: MobileInternet
    allowance_mb: int
    used_mb: int


class RoamingView(Schema):
    line_id: str
    zones: list[ZoneView] = Field(description="Roaming zones included in the offer")

    @staticmethod
    def of(line_id: str, zones: list[RoamingZone]) -> RoamingView:
        return RoamingView(
            line_id=line_id,
            zones=[
                ZoneView(zone=z.zone, mobile_internet=z.mobile_internet, allowance_mb=z.allowance_mb, used_mb=z.used_mb)
                for z in zones
            ],
        )
