"""Request and response models of the internet capability (internet access and VoIP)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from selfcare.api.schema import Schema
from selfcare.internet.models import (
    AccessSettings,
    Box,
    Drive,
    ForwardingMode,
    InternetLine,
    Mailbox,
    Restrictions,
    VoipLine,
)
from selfcare.lines.schemas import Command
from selfcare.types import NewPassword

BoxName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^<>\x00-\x1f]+$")
]
LocalPart = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}[a-z0-9]$")]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]


class BoxView(Schema):
    box_id: str
    model: str
    name: str

    @staticmethod
    def of(box: Box) -> BoxView:
        return BoxView(box_id=box.box_id, model=box.model, name=box.name)


class BoxesView(Schema):
    line_id: str
    boxes: list[BoxView]


class RenameBoxRequest(Command):
    name: BoxName = Field(description="The box's new name (1-40 characters)")


class NomadicView(Schema):
    active: bool
    login: str | None
    password_changed_at: str | None


class DriveView(Schema):
    active: bool
    quota_mb: int
    used_mb: int
    remaining_mb: int = Field(description="Remaining volume")

    @staticmethod
    def of(drive: Drive) -> DriveView:
        return DriveView(
            active=drive.active, quota_mb=drive.quota_mb, used_mb=drive.used_mb, remaining_mb=drive.remaining_mb
        )


class InternetLineView(Schema):
    line_id: str
    offer: str
    status: str
    nomadic_access: NomadicView
    drive: DriveView
    voip: bool = Field(description="Whether the line carries a VoIP number (see /voip/lines)")

    @staticmethod
    def of(line: InternetLine) -> InternetLineView:
        return InternetLineView(
            line_id=line.line_id,
            offer=line.offer,
            status=line.status,
            nomadic_access=NomadicView(
                active=line.nomadic.active,
                login=line.nomadic.login,
                password_changed_at=line.nomadic.password_changed_at,
            ),
            drive=DriveView.of(line.drive),
            voip=line.has_voip,
        )


class InternetLines(Schema):
    lines: list[InternetLineView]


class AccessSettingsView(Schema):
    line_id: str
    technology: str
    max_down_mbps: int
    max_up_mbps: int
    ipv4_mode: str
    ipv6_enabled: bool
    dns_servers: list[str]
    pppoe_login: str | None

    @staticmethod
    def of(line_id: str, s: AccessSettings) -> AccessSettingsView:
        return AccessSettingsView(
            line_id=line_id,
            technology=s.technology,
            max_down_mbps=s.max_down_mbps,
            max_up_mbps=s.max_up_mbps,
            ipv4_mode=s.ipv4_mode,
            ipv6_enabled=s.ipv6_enabled,
            dns_servers=list(s.dns_servers),
            pppoe_login=s.pppoe_login,
        )


class ActivateNomadicRequest(Command):
    password: NewPassword = Field(description="The nomadic access password (password policy applies)")


class NewPasswordRequest(Command):
    new_password: NewPassword = Field(description="The new password (password policy applies)")


class MailboxView(Schema):
    mailbox_id: str
    address: str
    created_at: str

    @staticmethod
    def of(mailbox: Mailbox) -> MailboxView:
        return MailboxView(mailbox_id=mailbox.mailbox_id, address=mailbox.address, created_at=mailbox.created_at)


class MailboxesView(Schema):
    line_id: str
    mailboxes: list[MailboxView]


class CreateMailboxRequest(Command):
    local_part: LocalPart = Field(description="What comes before the @ (lower case letters, digits, . _ -)")
    password: NewPassword = Field(description="The mailbox password (password policy applies)")


class ForwardingView(Schema):
    mode: ForwardingMode
    destination: str = Field(description="E.164")


class RestrictionsView(Schema):
    international: bool = Field(description="Outgoing international calls barred")
    premium_rate: bool = Field(description="Outgoing premium-rate calls barred")
    mobile: bool = Field(description="Outgoing calls to mobiles barred")


class VoipLineView(Schema):
    line_id: str
    number: str
    call_waiting: bool
    hide_caller_id: bool
    forwarding: ForwardingView | None
    restrictions: RestrictionsView

    @staticmethod
    def of(line: VoipLine) -> VoipLineView:
        f, r = line.forwarding, line.restrictions
        return VoipLineView(
            line_id=line.line_id,
            number=line.number,
            call_waiting=line.call_waiting,
            hide_caller_id=line.hide_caller_id,
            forwarding=ForwardingView(mode=f.mode, destination=f.destination) if f else None,
            restrictions=RestrictionsView(international=r.international, premium_rate=r.premium_rate, mobile=r.mobile),
        )


class VoipLines(Schema):
    lines: list[VoipLineView]


class ToggleRequest(Command):
    enabled: StrictBool


class ForwardingRequest(Command):
    mode: ForwardingMode = ForwardingMode.ALWAYS
    destination: str = Field(
        min_length=3,
        max_length=32,
        description="A valid phone number (E.164, or national Monaco form); premium-rate numbers are refused",
    )


class RestrictionsRequest(Command):
    international: StrictBool
    premium_rate: StrictBool
    mobile: StrictBool

    def restrictions(self) -> Restrictions:
        return Restrictions(international=self.international, premium_rate=self.premium_rate, mobile=self.mobile)


class PinView(Schema):
    line_id: str
    pin: str = Field(description="The VoIP line's PIN (every view is audited)")


class PinRequest(Command):
    pin: Pin = Field(description="4 to 8 digits")
