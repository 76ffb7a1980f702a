"""Opting out: inbound SMS (STOP, START and their variants), and the customer's own commercial-SMS settings
and complaints in the space.

Inbound: the two-way channel (AWS End User Messaging SMS, or SNS two-way SMS) publishes each inbound SMS to an
SNS topic as JSON with `originationNumber` (the recipient who answered), `destinationNumber` (the short number
they wrote to) and `messageBody`. STOP variants put the number on the opt-out list for that short number, or
for every commercial SMS when the operator so configured (`SMS_OPT_OUT_SCOPE=all`) or the keyword was STOPALL;
START removes the short number's opt-out and the all-SMS one. One confirmation reply goes back from the short
number, only when the list changed (SNS delivers at least once: a redelivered STOP sends no second reply).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from selfcare.account.models import LineType
from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, iso
from selfcare.dal.dynamo import transact
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sms import SmsRepository
from selfcare.errors import NotFound
from selfcare.observability import logger
from selfcare.ports.commercial_sms import CommercialSms, SmsNetwork
from selfcare.sms.models import ALL_SCOPE, Complaint, OptOutScope, Provider, short_scope
from selfcare.sms.policy import Thresholds
from selfcare.sms.sending import month_of, review
from selfcare.sms.text import InboundKeyword, inbound_keyword

CONFIRM_STOP = "Vous ne recevrez plus de SMS commerciaux {what}. Pour les recevoir a nouveau, envoyez START au {n}."
CONFIRM_START = "Vous recevrez a nouveau les SMS commerciaux {what}. Pour ne plus les recevoir, envoyez STOP au {n}."


@dataclass(frozen=True)
class InboundSms:
    origination: str  # E.164 of the recipient who wrote
    destination: str  # the short number written to
    body: str
    message_id: str | None = None


def parse_inbound(message: str) -> InboundSms:
    """The SNS message of the two-way channel (a JSON document)."""
    document: dict[str, Any] = json.loads(message)
    return InboundSms(
        origination=str(document["originationNumber"]),
        destination=str(document["destinationNumber"]),
        body=str(document.get("messageBody") or ""),
        message_id=document.get("inboundMessageId"),
    )


@dataclass(frozen=True)
class InboundResult:
    keyword: InboundKeyword | None
    changed: bool
    replied: bool


class InboundService:
    def __init__(
        self,
        *,
        repository: SmsRepository,
        network: SmsNetwork,
        clock: Clock,
        scope: OptOutScope,
        operator_short_number: str,
    ) -> None:
        self.repository = repository
        self.network = network
        self.clock = clock
        self.scope = scope
        self.operator_short_number = operator_short_number

    def _owner(self, short_number: str) -> Provider | None:
        return next((p for p in self.repository.providers() if p.opt_out_number == short_number), None)

    def handle(self, sms: InboundSms) -> InboundResult:
        keyword = inbound_keyword(sms.body)
        if keyword is None:
            logger.info("inbound sms without keyword")
            return InboundResult(None, False, False)
        now = self.clock.now()
        at = iso(now)
        source = f"sms:{sms.destination}"
        everywhere = keyword is InboundKeyword.STOP_ALL or self.scope is OptOutScope.ALL
        what = "" if everywhere else "de ce service"
        if keyword is InboundKeyword.START:
            changed = self.repository.remove_opt_outs(
                sms.origination, {short_scope(sms.destination), ALL_SCOPE}, at, source
            )
            reply = CONFIRM_START.format(what="de ce service", n=sms.destination)
        else:
            scope = ALL_SCOPE if everywhere else short_scope(sms.destination)
            changed = self.repository.add_opt_out(sms.origination, scope, at, source)
            reply = CONFIRM_STOP.format(what=what, n=sms.destination).replace("  ", " ")
        owner = self._owner(sms.destination)
        if changed and keyword is not InboundKeyword.START:
            owner_id = (
                owner.provider_id if owner else ("operator" if sms.destination == self.operator_short_number else None)
            )
            if owner_id:
                self.repository.add_stats(owner_id, month_of(now), {"opt_outs": 1})
        replied = False
        if changed:
            self.network.send(CommercialSms(sms.origination, reply, sms.destination, f"{keyword.value}_confirmation"))
            replied = True
        logger.info("inbound sms handled", extra={"keyword": keyword.value, "changed": changed})
        return InboundResult(keyword, changed, replied)


@dataclass(frozen=True)
class LineOptOut:
    line_id: str
    number: str
    opted_out: bool  # every commercial SMS refused (the "all" scope)
    short_numbers: tuple[str, ...]  # short numbers the line sent STOP to


class CustomerSmsService:
    """The customer's commercial-SMS opt-out per mobile line, and their reports of unwanted SMS."""

    def __init__(
        self,
        *,
        repository: SmsRepository,
        customers: LineItemsRepository,
        logs: LogsRepository,
        clock: Clock,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.repository = repository
        self.customers = customers
        self.logs = logs
        self.clock = clock
        self.thresholds = thresholds or Thresholds()

    def sender_owner(self, sender_id: str) -> str | None:
        return next((p.provider_id for p in self.repository.providers() if sender_id in p.sender_ids), None)

    def _mobile_lines(self, customer_id: str) -> dict[str, str]:
        return {line.line_id: line.number for line in self.customers.lines(customer_id, LineType.MOBILE) if line.number}

    def _audit(
        self, caller: Caller, customer_id: str, action: str, target: str, request: RequestInfo, now: datetime
    ) -> AuditEntry:
        return AuditEntry(
            actor=caller.actor,
            on_behalf_of=f"customer#{customer_id}",
            action=action,
            target=target,
            at=iso(now),
            request_id=request.request_id,
            grant_id=caller.grant_id,
        )

    def lines(self, caller: Caller, request: RequestInfo) -> list[LineOptOut]:
        customer_id = authorize(caller, Permission.READ)
        lines = self._mobile_lines(customer_id)
        scopes = self.repository.opt_outs(lines.values())
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(self._audit(caller, customer_id, "commercial_sms.viewed", "lines", request, now), now)
        return [
            LineOptOut(
                line_id=line_id,
                number=number,
                opted_out=ALL_SCOPE in scopes.get(number, set()),
                short_numbers=tuple(
                    sorted(s.removeprefix("short:") for s in scopes.get(number, set()) if s != ALL_SCOPE)
                ),
            )
            for line_id, number in sorted(lines.items())
        ]

    def set_line(self, caller: Caller, line_id: str, opted_out: bool, request: RequestInfo) -> LineOptOut:
        customer_id = authorize(caller, Permission.MODIFY)
        number = self._mobile_lines(customer_id).get(line_id)
        if number is None:
            raise NotFound("No such mobile line.")
        now = self.clock.now()
        source = f"space:{caller.actor}"
        if opted_out:
            self.repository.add_opt_out(number, ALL_SCOPE, iso(now), source)
        else:
            self.repository.remove_opt_outs(number, {ALL_SCOPE}, iso(now), source)
        state = "opted_out" if opted_out else "opted_in"
        self.logs.audit(
            self._audit(caller, customer_id, f"commercial_sms.{state}", f"line#{line_id}", request, now), now
        )
        scopes = self.repository.opt_outs([number]).get(number, set())
        return LineOptOut(
            line_id,
            number,
            ALL_SCOPE in scopes,
            tuple(sorted(s.removeprefix("short:") for s in scopes if s != ALL_SCOPE)),
        )

    def report(
        self, caller: Caller, line_id: str, sender_id: str, received_at: str, text: str, request: RequestInfo
    ) -> Complaint:
        """A report of an unwanted commercial SMS: recorded, counted against the provider of that sender id."""
        customer_id = authorize(caller, Permission.MODIFY)
        if line_id not in self._mobile_lines(customer_id):
            raise NotFound("No such mobile line.")
        now = self.clock.now()
        provider_id = self.sender_owner(sender_id)
        complaint = Complaint(
            complaint_id=uuid.uuid4().hex[:16],
            provider_id=provider_id,
            customer_id=customer_id,
            line_id=line_id,
            sender_id=sender_id,
            received_at=received_at,
            at=iso(now),
            text=text,
        )
        audit = self._audit(caller, customer_id, "commercial_sms.complaint_reported", f"line#{line_id}", request, now)
        transact([self.repository.complaint_op(complaint, now), self.logs.audit_op(audit, now)])
        if provider_id:
            stats = self.repository.add_stats(provider_id, month_of(now), {"complaints": 1})
            review(self.repository, self.logs, stats, self.thresholds, now)
        return complaint
