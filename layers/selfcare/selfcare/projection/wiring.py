"""Builds the projection from its settings (the handler calls this at cold start)."""

from __future__ import annotations

from selfcare.clock import Clock, SystemClock
from selfcare.config import ProjectionSettings
from selfcare.dal.billing_projection import BillingProjection
from selfcare.dal.customers import CustomerProjection
from selfcare.dal.erasure import CustomerErasure
from selfcare.dal.inventory_projection import InventoryProjection
from selfcare.dal.login_keys import CustomerLoginKeys
from selfcare.dal.logs import LogsRepository
from selfcare.dal.retention import RetentionRepository
from selfcare.dal.rights import RightsRepository
from selfcare.ports.dead_letters import SqsDeadLetters
from selfcare.ports.hash_key import SecretsManagerHashKey
from selfcare.ports.notifications import SesNotifier
from selfcare.ports.schedules import SchedulerRetentionSchedules
from selfcare.projection.inventory import InventoryProjector
from selfcare.projection.service import ProjectionService
from selfcare.retention.service import RetentionService
from selfcare.rights.crm import RectificationAnswers


def build_retention(settings: ProjectionSettings, customers: CustomerProjection, clock: Clock) -> RetentionService:
    return RetentionService(
        customers=customers,
        steps=RetentionRepository(settings.customers_table, settings.credentials_table, settings.sessions_table),
        erasure=CustomerErasure(
            settings.customers_table,
            settings.credentials_table,
            sessions_table=settings.sessions_table,
            connection_log_table=settings.connection_log_table,
            invoices_bucket=settings.invoices_bucket,
        ),
        schedules=SchedulerRetentionSchedules(
            settings.anonymisation_schedule_group, settings.anonymisation_scheduler_role_arn
        ),
        clock=clock,
        # Termination, reinstatement, hide and anonymisation go to the audit trail (the one writer, append-only).
        audit=LogsRepository(None, settings.audit_log_table) if settings.audit_log_table else None,
    )


def build_projection(settings: ProjectionSettings, clock: Clock | None = None) -> ProjectionService:
    """`clock`: the system's; tests pass a fixed one."""
    clock = clock or SystemClock()
    customers = CustomerProjection(settings.customers_table, settings.idempotency_table, clock)
    login_keys = CustomerLoginKeys(settings.customers_table)  # identity (issue 8): keys follow the record and lines
    # Lines and services from the product inventory; VOD title references hashed with the VOD key.
    inventory = InventoryProjector(
        store=InventoryProjection(settings.customers_table, settings.idempotency_table, clock),
        customers=customers,
        hash_key=SecretsManagerHashKey(settings.vod_hash_key_secret_id),
        login_keys=login_keys,
    )
    return ProjectionService(
        customers=customers,
        billing=BillingProjection(settings.customers_table, settings.idempotency_table, clock),
        dead_letters=SqsDeadLetters(settings.dead_letter_queue_url),
        retention=build_retention(settings, customers, clock),
        clock=clock,
        inventory=inventory,
        login_keys=login_keys,  # identity (issue 8)
        # Rights (issue 10): the CRM's answers close rectification requests (their audit entry in the transaction).
        rectifications=RectificationAnswers(
            requests=RightsRepository(settings.customers_table),
            receipts_table=settings.idempotency_table,
            audit=LogsRepository(None, settings.audit_log_table) if settings.audit_log_table else None,
            clock=clock,
            profiles=customers,  # the customer is told of the answer at the record's contact email
            notifier=SesNotifier(settings.notification_sender) if settings.notification_sender else None,
        ),
    )
