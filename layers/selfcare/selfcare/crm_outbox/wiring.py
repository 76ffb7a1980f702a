"""Builds the outbox relay from its settings (the handler's one call at cold start)."""

from __future__ import annotations

from selfcare.config import CrmOutboxSettings
from selfcare.crm_outbox.relay import OutboxRelay
from selfcare.ports.crm_events import EventBridgeCrmEvents


def build_relay(settings: CrmOutboxSettings) -> OutboxRelay:
    return OutboxRelay(settings.customers_table, EventBridgeCrmEvents(settings.crm_event_bus_name))
