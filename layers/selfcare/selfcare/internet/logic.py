"""Internet access and VoIP: offer, boxes (rename), nomadic access (activate, password), drive
(activate, remaining volume), access settings, mailboxes (create, list, password, delete), usage;
VoIP number, call waiting, caller-ID hiding, call forwarding, restrictions, PIN (audited view).

Every change goes to the network (provisioning port) first, then to the read model with its audit
entry in one transaction. Passwords and PINs go to the network only inside the change's
parameters; passwords are never stored here, the PIN is (it is shown back to the customer)."""

from __future__ import annotations

import secrets
from dataclasses import asdict, replace

from selfcare.api.context import RequestInfo
from selfcare.auth.passwords import check_policy
from selfcare.auth.policy import Caller
from selfcare.clock import iso
from selfcare.errors import Conflict, NotFound
from selfcare.internet.models import (
    AccessSettings,
    Box,
    Drive,
    Forwarding,
    ForwardingMode,
    InternetLine,
    Mailbox,
    Restrictions,
    VoipLine,
    access_settings,
    boxes,
    mailboxes,
)
from selfcare.lines.models import ChildKind, LineDetail, LineType
from selfcare.lines.phones import forwarding_destination
from selfcare.lines.service import LineServiceBase
from selfcare.lines.usage import MonthUsage, current_month
from selfcare.ports.provisioning import ServiceChange

INTERNET = (LineType.INTERNET,)
MAX_MAILBOXES = 10


class AlreadyActive(Conflict):
    code = "already_active"
    message = "This service is already active."


class NotActive(Conflict):
    code = "not_active"
    message = "This service is not active: activate it first."


class MailboxExists(Conflict):
    code = "mailbox_exists"
    message = "A mailbox with this address already exists on the line."


class TooManyMailboxes(Conflict):
    code = "too_many_mailboxes"
    message = f"A line has at most {MAX_MAILBOXES} mailboxes."


class InternetService(LineServiceBase):
    capability = "internet"

    # Internet --------------------------------------------------------------------------------
    def lines_of(self, caller: Caller, request: RequestInfo) -> list[InternetLine]:
        return [InternetLine.of(line) for line in self._list(caller, request, LineType.INTERNET)]

    def line(self, caller: Caller, request: RequestInfo, line_id: str) -> InternetLine:
        return InternetLine.of(self._line(caller, request, line_id, INTERNET))

    def boxes(self, caller: Caller, request: RequestInfo, line_id: str) -> list[Box]:
        return boxes(self._line(caller, request, line_id, INTERNET, viewed="boxes.viewed"))

    def rename_box(self, caller: Caller, request: RequestInfo, line_id: str, box_id: str, name: str) -> Box:
        line = self._for_change(caller, request, line_id, INTERNET)
        return self._rename_box(caller, request, line, box_id, name)

    def usage(self, caller: Caller, request: RequestInfo, line_id: str) -> MonthUsage:
        return current_month(self._line(caller, request, line_id, INTERNET, viewed="usage.viewed"), self.clock.now())

    def access_settings(self, caller: Caller, request: RequestInfo, line_id: str) -> AccessSettings:
        return access_settings(self._line(caller, request, line_id, INTERNET, viewed="access_settings.viewed"))

    def activate_nomadic(self, caller: Caller, request: RequestInfo, line_id: str, password: str) -> InternetLine:
        line = self._for_change(caller, request, line_id, INTERNET)
        current = InternetLine.of(line)
        login = current.nomadic.login or f"nomad-{line.line_id.lower()}"
        check_policy(password, field="password", personal=(login,))
        if current.nomadic.active:
            raise AlreadyActive("Nomadic access is already active.")
        now = self.clock.now()
        nomadic = {"active": True, "login": login, "activated_at": iso(now), "password_changed_at": iso(now)}
        change = self._service(line, "nomadic", "activate", request, {"login": login, "password": password})
        ops = [self.lines.set_line_op(line.customer_id, line.line_id, {"nomadic": nomadic})]
        self._change(caller, request, line, change, ops, "nomadic.activated", f"line#{line.line_id}")
        return replace(
            current, nomadic=replace(current.nomadic, active=True, login=login, password_changed_at=iso(now))
        )

    def change_nomadic_password(self, caller: Caller, request: RequestInfo, line_id: str, password: str) -> None:
        line = self._for_change(caller, request, line_id, INTERNET)
        nomadic = InternetLine.of(line).nomadic
        check_policy(password, field="new_password", personal=(nomadic.login or "",))
        if not nomadic.active:
            raise NotActive("Nomadic access is not active: activate it first.")
        change = self._service(line, "nomadic", "set_password", request, {"password": password})
        ops = [
            self.lines.set_line_op(
                line.customer_id, line.line_id, {"nomadic.password_changed_at": iso(self.clock.now())}
            )
        ]
        self._change(caller, request, line, change, ops, "nomadic.password_changed", f"line#{line.line_id}")

    def drive(self, caller: Caller, request: RequestInfo, line_id: str) -> Drive:
        return InternetLine.of(self._line(caller, request, line_id, INTERNET, viewed="drive.viewed")).drive

    def activate_drive(self, caller: Caller, request: RequestInfo, line_id: str) -> Drive:
        line = self._for_change(caller, request, line_id, INTERNET)
        drive = InternetLine.of(line).drive
        if drive.active:
            raise AlreadyActive("The drive is already active.")
        quota = drive.quota_mb or int(line.attributes.get("drive_quota_mb", 100 * 1024))
        change = self._service(line, "drive", "activate", request)
        stored = {"active": True, "quota_mb": quota, "used_mb": 0, "activated_at": iso(self.clock.now())}
        ops = [self.lines.set_line_op(line.customer_id, line.line_id, {"drive": stored})]
        self._change(caller, request, line, change, ops, "drive.activated", f"line#{line.line_id}")
        return Drive(True, quota, 0)

    # Mailboxes -------------------------------------------------------------------------------
    def mailboxes(self, caller: Caller, request: RequestInfo, line_id: str) -> list[Mailbox]:
        return mailboxes(self._line(caller, request, line_id, INTERNET, viewed="mailboxes.viewed"))

    def create_mailbox(
        self, caller: Caller, request: RequestInfo, line_id: str, local_part: str, password: str
    ) -> Mailbox:
        line = self._for_change(caller, request, line_id, INTERNET)
        existing = mailboxes(line)
        address = f"{local_part}@{InternetLine.of(line).mail_domain}"
        check_policy(password, field="password", personal=(local_part,))
        if any(m.address == address for m in existing):
            raise MailboxExists()
        if len(existing) >= MAX_MAILBOXES:
            raise TooManyMailboxes()
        mailbox = Mailbox(mailbox_id="mb" + secrets.token_hex(6), address=address, created_at=iso(self.clock.now()))
        change = self._service(line, "mailbox", "create", request, {"address": address, "password": password})
        ops = [
            self.lines.put_child_op(
                line.customer_id,
                line.line_id,
                ChildKind.MAILBOX,
                mailbox.mailbox_id,
                {"address": mailbox.address, "created_at": mailbox.created_at},
            )
        ]
        self._change(caller, request, line, change, ops, "mailbox.created", self._mailbox_target(line, mailbox))
        return mailbox

    def change_mailbox_password(
        self, caller: Caller, request: RequestInfo, line_id: str, mailbox_id: str, password: str
    ) -> None:
        line = self._for_change(caller, request, line_id, INTERNET)
        mailbox = self._mailbox(line, mailbox_id)
        check_policy(password, field="new_password", personal=(mailbox.address,))
        change = self._service(
            line, "mailbox", "set_password", request, {"address": mailbox.address, "password": password}
        )
        ops = [
            self.lines.set_child_op(
                line.customer_id,
                line.line_id,
                ChildKind.MAILBOX,
                mailbox_id,
                {"password_changed_at": iso(self.clock.now())},
            )
        ]
        self._change(
            caller, request, line, change, ops, "mailbox.password_changed", self._mailbox_target(line, mailbox)
        )

    def delete_mailbox(self, caller: Caller, request: RequestInfo, line_id: str, mailbox_id: str) -> None:
        line = self._for_change(caller, request, line_id, INTERNET)
        mailbox = self._mailbox(line, mailbox_id)
        change = self._service(line, "mailbox", "delete", request, {"address": mailbox.address})
        ops = [self.lines.delete_child_op(line.customer_id, line.line_id, ChildKind.MAILBOX, mailbox_id)]
        self._change(caller, request, line, change, ops, "mailbox.deleted", self._mailbox_target(line, mailbox))

    # VoIP ------------------------------------------------------------------------------------
    def voip_lines(self, caller: Caller, request: RequestInfo) -> list[VoipLine]:
        lines = self._list(caller, request, LineType.INTERNET)
        return [VoipLine.of(line) for line in lines if line.section("voip")]

    def voip_line(self, caller: Caller, request: RequestInfo, line_id: str) -> VoipLine:
        return VoipLine.of(self._voip(caller, request, line_id))

    def set_call_waiting(self, caller: Caller, request: RequestInfo, line_id: str, enabled: bool) -> VoipLine:
        return self._set_voip(caller, request, line_id, "call_waiting", enabled, "set_call_waiting")

    def set_caller_id_hiding(self, caller: Caller, request: RequestInfo, line_id: str, enabled: bool) -> VoipLine:
        return self._set_voip(caller, request, line_id, "hide_caller_id", enabled, "set_caller_id_hiding")

    def set_forwarding(
        self, caller: Caller, request: RequestInfo, line_id: str, mode: ForwardingMode, destination: str
    ) -> VoipLine:
        e164 = forwarding_destination(destination)
        line = self._voip(caller, request, line_id, for_change=True)
        forwarding = Forwarding(mode, e164)
        change = self._service(line, "voip", "set_forwarding", request, {"mode": mode.value, "destination": e164})
        stored = {"mode": mode.value, "destination": e164}
        ops = [self.lines.set_line_op(line.customer_id, line.line_id, {"voip.forwarding": stored})]
        self._change(caller, request, line, change, ops, "voip.forwarding_set", f"line#{line.line_id}")
        return replace(VoipLine.of(line), forwarding=forwarding)

    def clear_forwarding(self, caller: Caller, request: RequestInfo, line_id: str) -> VoipLine:
        line = self._voip(caller, request, line_id, for_change=True)
        change = self._service(line, "voip", "clear_forwarding", request)
        ops = [self.lines.set_line_op(line.customer_id, line.line_id, {"voip.forwarding": None})]
        self._change(caller, request, line, change, ops, "voip.forwarding_cleared", f"line#{line.line_id}")
        return replace(VoipLine.of(line), forwarding=None)

    def set_restrictions(
        self, caller: Caller, request: RequestInfo, line_id: str, restrictions: Restrictions
    ) -> VoipLine:
        line = self._voip(caller, request, line_id, for_change=True)
        stored = asdict(restrictions)
        params = {k: str(v).lower() for k, v in stored.items()}
        change = self._service(line, "voip", "set_restrictions", request, params)
        ops = [self.lines.set_line_op(line.customer_id, line.line_id, {"voip.restrictions": stored})]
        self._change(caller, request, line, change, ops, "voip.restrictions_set", f"line#{line.line_id}")
        return replace(VoipLine.of(line), restrictions=restrictions)

    def pin(self, caller: Caller, request: RequestInfo, line_id: str) -> str:
        """The VoIP voicemail/line PIN. Every view is audited, the customer's own included."""
        line = self._voip(caller, request, line_id)
        pin = line.section("voip").get("pin")
        if not pin:
            raise NotFound("No PIN is set on this line.")
        self._audited_view(caller, request, line, "voip.pin.viewed")
        return str(pin)

    def change_pin(self, caller: Caller, request: RequestInfo, line_id: str, pin: str) -> None:
        line = self._voip(caller, request, line_id, for_change=True)
        change = self._service(line, "voip", "set_pin", request, {"pin": pin})
        ops = [self.lines.set_line_op(line.customer_id, line.line_id, {"voip.pin": pin})]
        self._change(caller, request, line, change, ops, "voip.pin_changed", f"line#{line.line_id}")

    # Helpers ---------------------------------------------------------------------------------
    def _voip(self, caller: Caller, request: RequestInfo, line_id: str, for_change: bool = False) -> LineDetail:
        line = (
            self._for_change(caller, request, line_id, INTERNET)
            if for_change
            else self._line(caller, request, line_id, INTERNET, viewed="voip.viewed")
        )
        if not line.section("voip"):
            raise NotFound("No such VoIP line.")
        return line

    def _set_voip(
        self, caller: Caller, request: RequestInfo, line_id: str, setting: str, enabled: bool, action: str
    ) -> VoipLine:
        line = self._voip(caller, request, line_id, for_change=True)
        change = self._service(line, "voip", action, request, {"enabled": str(enabled).lower()})
        ops = [self.lines.set_line_op(line.customer_id, line.line_id, {f"voip.{setting}": enabled})]
        self._change(caller, request, line, change, ops, f"voip.{setting}_set", f"line#{line.line_id}")
        current = VoipLine.of(line)
        if setting == "call_waiting":
            return replace(current, call_waiting=enabled)
        return replace(current, hide_caller_id=enabled)

    @staticmethod
    def _service(
        line: LineDetail, service: str, action: str, request: RequestInfo, params: dict[str, str] | None = None
    ) -> ServiceChange:
        return ServiceChange(
            line_id=line.line_id,
            service=service,
            action=action,
            params=params or {},
            idempotency_key=f"{request.request_id}:{service}:{action}",
        )

    @staticmethod
    def _mailbox(line: LineDetail, mailbox_id: str) -> Mailbox:
        item = line.child(ChildKind.MAILBOX, mailbox_id)
        if item is None:
            raise NotFound("No such mailbox.")
        return Mailbox.of(item)

    @staticmethod
    def _mailbox_target(line: LineDetail, mailbox: Mailbox) -> str:
        return f"line#{line.line_id}/mailbox#{mailbox.mailbox_id}"
