"""Builds the projection from its settings (the handler calls this at cold start)."""

from __future__ import annotations

from selfcare.clock import SystemClock
from selfcare.config import ProjectionSettings
from selfcare.dal.billing_projection import BillingProjection
from selfcare.dal.customers import CustomerProjection
from selfcare.dal.erasure import CustomerErasure
from selfcare.dal.inventory_projection import InventoryProjection
from selfcare.dal.login_keys import CustomerLoginKeys
from selfcare.ports.dead_letters import SqsDeadLetters
from selfcare.ports.hash_key import SecretsManagerHashKey
from selfcare.ports.schedules import SchedulerAnonymisationSchedules
from selfcare.projection.inventory import InventoryProjector
from selfcare.projection.service import ProjectionService


def build_projection(settings: ProjectionSettings) -> ProjectionService:
    clock = SystemClock()
    customers = CustomerProjection(settings.customers_table, settings.idempotency_table, clock)
    # Lines and services from the product inventory; VOD title references hashed with the VOD key.
    inventory = InventoryProjector(
        store=InventoryProjection(settings.customers_table, settings.idempotency_table, clock),
        customers=customers,
        hash_key=SecretsManagerHashKey(settings.vod_hash_key_secret_id),
    )
    return ProjectionService(
        customers=customers,
        billing=BillingProjection(settings.customers_table, settings.idempotency_table, clock),
        erasure=CustomerErasure(settings.customers_table, settings.credentials_table),
        dead_letters=SqsDeadLetters(settings.dead_letter_queue_url),
        schedules=SchedulerAnonymisationSchedules(
            settings.anonymisation_schedule_group, settings.anonymisation_scheduler_role_arn
        ),
        clock=clock,
        inventory=inventory,
        login_keys=CustomerLoginKeys(settings.customers_table),  # identity (issue 8)
    )
