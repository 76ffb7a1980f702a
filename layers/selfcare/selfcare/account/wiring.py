"""Builds the account services from the settings (the handler's one call at cold start). Changes reach
the CRM through the outbox (selfcare.dal.crm_outbox): no CRM client here."""

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
from selfcare.ports.notifications import Notifier, SesNotifier, SmsSender, SnsSmsSender


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
    clock: Clock | None = None,
) -> AccountServices:
    customers = CustomersRepository(settings.customers_table)
    logs = LogsRepository(None, settings.audit_log_table)
    clock = clock or SystemClock()
    return AccountServices(
        account=AccountService(customers, logs, clock),
        contact=ContactService(
            customers=customers,
            verifications=VerificationsRepository(settings.customers_table),
            logs=logs,
            notifier=notifier or SesNotifier(settings.notification_sender),
            sms=sms or SnsSmsSender(),
            clock=clock,
            policy=ContactPolicy(recent_auth_seconds=settings.recent_auth_seconds),
        ),
        consents=ConsentService(table=settings.customers_table, logs=logs, clock=clock),
        tickets=TicketService(customers=customers, logs=logs, clock=clock),
    )
