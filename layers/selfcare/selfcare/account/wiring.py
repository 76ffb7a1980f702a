"""Builds the account services from the settings (the handler's one call at cold start)."""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.account.consents import ConsentService
from selfcare.account.contact import ContactPolicy, ContactService
from selfcare.account.logic import AccountService
from selfcare.account.tickets import TicketService
from selfcare.clock import Clock, SystemClock
from selfcare.config import AccountSettings
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.verifications import VerificationsRepository
from selfcare.observability import logger
from selfcare.ports.crm_events import CrmEvent, CrmEvents, EventBridgeCrmEvents
from selfcare.ports.notifications import Notifier, SesNotifier, SmsSender, SnsSmsSender


class UndeliveredCrmEvents:
    """Where no CRM bus is configured (CRM_EVENT_BUS_NAME unset): logs the event type only."""

    def publish(self, event: CrmEvent) -> None:
        logger.warning(
            "crm event not published: no adapter wired",
            extra={"event_type": event.event_type, "customer_id": event.customer_id},
        )


@dataclass
class AccountServices:
    account: AccountService
    contact: ContactService
    consents: ConsentService
    tickets: TicketService


def build_account_services(
    settings: AccountSettings,
    *,
    notifier: Notifier | None = None,
    sms: SmsSender | None = None,
    crm: CrmEvents | None = None,
    clock: Clock | None = None,
) -> AccountServices:
    customers = CustomersRepository(settings.customers_table)
    logs = LogsRepository(None, settings.audit_log_table)
    clock = clock or SystemClock()
    if crm is None:
        bus = settings.crm_event_bus_name
        crm = EventBridgeCrmEvents(bus) if bus else UndeliveredCrmEvents()
    return AccountServices(
        account=AccountService(customers, logs, clock),
        contact=ContactService(
            customers=customers,
            verifications=VerificationsRepository(settings.customers_table),
            logs=logs,
            notifier=notifier or SesNotifier(settings.notification_sender),
            sms=sms or SnsSmsSender(),
            crm=crm,
            clock=clock,
            policy=ContactPolicy(recent_auth_seconds=settings.recent_auth_seconds),
        ),
        consents=ConsentService(table=settings.customers_table, logs=logs, crm=crm, clock=clock),
        tickets=TicketService(customers=customers, logs=logs, clock=clock),
    )
