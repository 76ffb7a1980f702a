"""Composition of the commercial SMS services from the settings (each function builds what it serves)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from selfcare.account.models import ConsentPurpose, LineType
from selfcare.clock import Clock, SystemClock
from selfcare.config import SmsSettings
from selfcare.dal import account as account_records
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sms import SmsRepository
from selfcare.ports.commercial_sms import SmsNetwork, SnsSmsNetwork, SqsCampaignQueue
from selfcare.sms.control import ControlService
from selfcare.sms.models import OptOutScope, Provider, ProviderStatus
from selfcare.sms.optout import CustomerSmsService, InboundService
from selfcare.sms.policy import NightWindow, SendingPolicy, Thresholds
from selfcare.sms.providers import ProviderAuthenticator, RegisterService
from selfcare.sms.sending import ConsentLookup, SendingService
from selfcare.sms.text import MentionForm

OPERATOR_ID = "operator"


def night_window(settings: SmsSettings) -> NightWindow:
    if not settings.night_window:
        return NightWindow(time(0, 0), time(0, 0), settings.timezone)
    start, end = settings.night_window.split("-")
    return NightWindow(time.fromisoformat(start), time.fromisoformat(end), settings.timezone)


def sending_policy(settings: SmsSettings) -> SendingPolicy:
    keywords = tuple(k.strip() for k in settings.opt_out_keywords.split(",") if k.strip())
    return SendingPolicy(mention=MentionForm(keywords, settings.mention_max_gap), night=night_window(settings))


def thresholds(settings: SmsSettings) -> Thresholds:
    return Thresholds(settings.missing_mention_rate, settings.complaints_per_10k, settings.proposal_min_submitted)


def operator_provider(settings: SmsSettings) -> Provider:
    """The operator, as a sender of its own commercial SMS: same checks as a provider (plus consent)."""
    return Provider(
        provider_id=OPERATOR_ID,
        legal_name="Operator",
        declaration_number="-",
        contract_reference="-",
        contract_start="2000-01-01",
        contract_end=None,
        sender_ids=(settings.operator_sender_id,),
        opt_out_number=settings.operator_short_number,
        throughput_per_second=settings.operator_throughput_per_second,
        status=ProviderStatus.ACTIVE,
        is_operator=True,
    )


def consent_lookup(customers_table: str) -> ConsentLookup:
    customers = LineItemsRepository(customers_table)

    def consented(customer_id: str) -> bool:
        records = [r for r in account_records.consents(customers_table, customer_id)]
        latest = [r for r in records if r.purpose is ConsentPurpose.COMMERCIAL_SMS]
        return bool(latest) and latest[-1].granted

    def mobile_number(customer_id: str, line_id: str) -> str | None:
        return next(
            (line.number for line in customers.lines(customer_id, LineType.MOBILE) if line.line_id == line_id),
            None,
        )

    return ConsentLookup(consented, mobile_number)


@dataclass(frozen=True)
class SmsServices:
    settings: SmsSettings
    repository: SmsRepository
    register: RegisterService
    authenticator: ProviderAuthenticator
    sending: SendingService
    control: ControlService
    inbound: InboundService
    customer: CustomerSmsService | None
    operator: Provider
    consents: ConsentLookup | None


def build_sms_services(
    settings: SmsSettings, clock: Clock | None = None, network: SmsNetwork | None = None
) -> SmsServices:
    clock = clock or SystemClock()
    network = network or SnsSmsNetwork()
    repository = SmsRepository(settings.sms_table)
    logs = LogsRepository(None, settings.audit_log_table)
    queue = SqsCampaignQueue(settings.campaign_queue_url) if settings.campaign_queue_url else None
    limits = thresholds(settings)
    customer = (
        CustomerSmsService(
            repository=repository,
            customers=LineItemsRepository(settings.customers_table),
            logs=logs,
            clock=clock,
            thresholds=limits,
        )
        if settings.customers_table
        else None
    )
    return SmsServices(
        settings=settings,
        repository=repository,
        register=RegisterService(repository=repository, logs=logs, clock=clock),
        authenticator=ProviderAuthenticator(repository=repository, clock=clock),
        sending=SendingService(
            repository=repository,
            network=network,
            queue=queue,
            logs=logs,
            clock=clock,
            policy=sending_policy(settings),
            thresholds=limits,
        ),
        control=ControlService(repository=repository, logs=logs, clock=clock, thresholds=limits),
        inbound=InboundService(
            repository=repository,
            network=network,
            clock=clock,
            scope=OptOutScope(settings.opt_out_scope),
            operator_short_number=settings.operator_short_number,
        ),
        customer=customer,
        operator=operator_provider(settings),
        consents=consent_lookup(settings.customers_table) if settings.customers_table else None,
    )
