"""Domain entities of internet access and VoIP, read from the line's read-model attributes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from selfcare.lines.models import Box, ChildKind, LineDetail, boxes

__all__ = ["Box", "boxes"]


@dataclass(frozen=True)
class NomadicAccess:
    active: bool
    login: str | None
    password_changed_at: str | None


@dataclass(frozen=True)
class Drive:
    active: bool
    quota_mb: int
    used_mb: int

    @property
    def remaining_mb(self) -> int:
        return max(0, self.quota_mb - self.used_mb) if self.active else 0


@dataclass(frozen=True)
class AccessSettings:
    technology: str
    max_down_mbps: int
    max_up_mbps: int
    ipv4_mode: str
    ipv6_enabled: bool
    dns_servers: tuple[str, ...]
    pppoe_login: str | None


@dataclass(frozen=True)
class InternetLine:
    line_id: str
    offer: str
    status: str
    nomadic: NomadicAccess
    drive: Drive
    has_voip: bool
    mail_domain: str

    @staticmethod
    def of(line: LineDetail) -> InternetLine:
        nomadic, drive = line.section("nomadic"), line.section("drive")
        return InternetLine(
            line_id=line.line_id,
            offer=line.offer,
            status=line.status,
            nomadic=NomadicAccess(
                bool(nomadic.get("active")), nomadic.get("login"), nomadic.get("password_changed_at")
            ),
            drive=Drive(bool(drive.get("active")), int(drive.get("quota_mb", 0)), int(drive.get("used_mb", 0))),
            has_voip=bool(line.section("voip")),
            mail_domain=str(line.attributes.get("mail_domain", "mail.selfcare.example")),
        )


def access_settings(line: LineDetail) -> AccessSettings:
    s = line.section("access_settings")
    return AccessSettings(
        technology=str(s.get("technology", "unknown")),
        max_down_mbps=int(s.get("max_down_mbps", 0)),
        max_up_mbps=int(s.get("max_up_mbps", 0)),
        ipv4_mode=str(s.get("ipv4_mode", "dynamic")),
        ipv6_enabled=bool(s.get("ipv6_enabled", False)),
        dns_servers=tuple(s.get("dns_servers") or ()),
        pppoe_login=s.get("pppoe_login"),
    )


@dataclass(frozen=True)
class Mailbox:
    mailbox_id: str
    address: str
    created_at: str

    @staticmethod
    def of(item: Mapping[str, Any]) -> Mailbox:
        return Mailbox(str(item["id"]), str(item["address"]), str(item.get("created_at", "")))


def mailboxes(line: LineDetail) -> list[Mailbox]:
    return sorted((Mailbox.of(item) for item in line.of_kind(ChildKind.MAILBOX)), key=lambda m: m.address)


class ForwardingMode(StrEnum):
    ALWAYS = "always"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Forwarding:
    mode: ForwardingMode
    destination: str


@dataclass(frozen=True)
class Restrictions:
    international: bool = False
    premium_rate: bool = True
    mobile: bool = False


@dataclass(frozen=True)
class VoipLine:
    line_id: str
    number: str
    call_waiting: bool
    hide_caller_id: bool
    forwarding: Forwarding | None
    restrictions: Restrictions

    @staticmethod
    def of(line: LineDetail) -> VoipLine:
        voip = line.section("voip")
        forwarding = voip.get("forwarding")
        restrictions = voip.get("restrictions") or {}
        return VoipLine(
            line_id=line.line_id,
            number=str(voip.get("number") or line.attributes.get("voip_number") or ""),
            call_waiting=bool(voip.get("call_waiting", False)),
            hide_caller_id=bool(voip.get("hide_caller_id", False)),
            forwarding=Forwarding(ForwardingMode(forwarding["mode"]), str(forwarding["destination"]))
            if forwarding
            else None,
            restrictions=Restrictions(
                international=bool(restrictions.get("international", False)),
                premium_rate=bool(restrictions.get("premium_rate", True)),
                mobile=bool(restrictions.get("mobile", False)),
            ),
        )
