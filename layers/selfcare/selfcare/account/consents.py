"""Consents (newsletter, surveys): each decision is a record kept forever as the history; the current
state of a purpose is its latest record. Customers set their own; staff under assisted access with the
MODIFY permission, saying on which channel the customer asked."""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.account.common import audit_entry, crm_event
from selfcare.account.models import ConsentChannel, ConsentPurpose, ConsentRecord
from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock
from selfcare.dal import account as records
from selfcare.dal.crm_outbox import outbox_put_op
from selfcare.dal.dynamo import transact
from selfcare.dal.logs import LogsRepository


@dataclass(frozen=True)
class ConsentState:
    purpose: ConsentPurpose
    granted: bool  # no record yet: not granted (consent is never presumed)
    latest: ConsentRecord | None


def current(history: list[ConsentRecord]) -> list[ConsentState]:
    """The state of every purpose from its history (oldest first): the latest record wins."""
    latest: dict[ConsentPurpose, ConsentRecord] = {}
    for record in history:
        latest[record.purpose] = record
    return [
        ConsentState(purpose=p, granted=latest[p].granted if p in latest else False, latest=latest.get(p))
        for p in ConsentPurpose
    ]


class ConsentService:
    def __init__(self, *, table: str, logs: LogsRepository, clock: Clock) -> None:
        self.table = table
        self.logs = logs
        self.clock = clock

    def _read(self, caller: Caller, request: RequestInfo, action: str) -> list[ConsentRecord]:
        customer_id = authorize(caller, Permission.READ)
        if caller.is_staff:
            now = self.clock.now()
            self.logs.audit(audit_entry(caller, customer_id, action, "consents", request, now), now)
        return records.consents(self.table, customer_id)

    def states(self, caller: Caller, request: RequestInfo) -> list[ConsentState]:
        return current(self._read(caller, request, "consents.viewed"))

    def history(self, caller: Caller, request: RequestInfo) -> list[ConsentRecord]:
        return list(reversed(self._read(caller, request, "consents.history_viewed")))

    def set(
        self,
        caller: Caller,
        purpose: ConsentPurpose,
        granted: bool,
        channel: ConsentChannel | None,
        request: RequestInfo,
    ) -> ConsentState:
        customer_id = authorize(caller, Permission.MODIFY)
        now = self.clock.now()
        record = ConsentRecord(
            customer_id=customer_id,
            purpose=purpose,
            granted=granted,
            at=now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            # Customers decide in the space; staff say how the customer told them (phone by default).
            channel=(channel or ConsentChannel.PHONE) if caller.is_staff else ConsentChannel.WEB,
            set_by=caller.actor,
            grant_id=caller.grant_id,
        )
        state = "granted" if granted else "refused"
        event = crm_event(
            "ConsentChanged",
            customer_id,
            now,
            caller,
            purpose=purpose.value,
            granted=granted,
            channel=record.channel.value,
            at=record.at,
        )
        transact(
            [
                records.consent_put_op(self.table, record),
                self.logs.audit_op(
                    audit_entry(caller, customer_id, f"consent.{purpose.value}.{state}", "consents", request, now), now
                ),
                outbox_put_op(self.table, event, now),
            ]
        )
        return ConsentState(purpose=purpose, granted=granted, latest=record)
