"""Builds the billing service from the settings (the handler's one call at cold start). Nothing is
read or connected until first use: the secrets and the provider are reached lazily."""

from __future__ import annotations

from selfcare.billing.logic import BillingService, PaymentConfig
from selfcare.clock import Clock, SystemClock
from selfcare.config import BillingSettings
from selfcare.dal.billing import BillingRepository
from selfcare.dal.invoice_documents import InvoiceDocuments
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.ports.hash_key import SecretsManagerHashKey
from selfcare.ports.payments_https import HttpsPaymentProvider


def build_billing_service(settings: BillingSettings, *, clock: Clock | None = None) -> BillingService:
    return BillingService(
        repository=BillingRepository(settings.customers_table),
        lines=LineItemsRepository(settings.customers_table),
        logs=LogsRepository(None, settings.audit_log_table),
        documents=InvoiceDocuments(settings.invoices_bucket_name),
        provider=HttpsPaymentProvider(
            settings.payment_provider_endpoint,
            settings.payment_provider_api_key_secret_id,
            timeout=settings.payment_timeout_seconds,
        ),
        webhook_secret=SecretsManagerHashKey(settings.payment_webhook_secret_id),
        cursor_key=SecretsManagerHashKey(settings.billing_cursor_key_secret_id),
        clock=clock or SystemClock(),
        config=PaymentConfig(
            return_url=settings.payment_return_url,
            webhook_tolerance_seconds=settings.webhook_tolerance_seconds,
            invoice_url_ttl_seconds=settings.invoice_url_ttl_seconds,
        ),
    )
