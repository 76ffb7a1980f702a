"""Builds the rights service from the settings (the handlers' one call at cold start)."""

from __future__ import annotations

from selfcare.clock import Clock, SystemClock
from selfcare.config import RightsExportSettings, RightsSettings
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.rights import PersonalDataReader, RightsFiles, RightsRepository
from selfcare.ports.notifications import Notifier, SesNotifier, SmsSender, SnsSmsSender
from selfcare.ports.rights_queue import ExportQueue, SqsExportQueue
from selfcare.rights.service import RightsPolicy, RightsService
from selfcare.rights.staff import IdentityPolicy, RightsDesk


def build_rights_service(
    settings: RightsSettings,
    *,
    notifier: Notifier | None = None,
    queue: ExportQueue | None = None,
    clock: Clock | None = None,
) -> RightsService:
    reader = None
    if isinstance(settings, RightsExportSettings):
        reader = PersonalDataReader(
            settings.customers_table,
            settings.credentials_table,
            settings.sessions_table,
            settings.connection_log_table,
            settings.audit_log_table,
            settings.invoices_bucket_name,
            settings.sms_table,
        )
    return RightsService(
        requests=RightsRepository(settings.customers_table),
        customers=CustomersRepository(settings.customers_table),
        logs=LogsRepository(None, settings.audit_log_table),
        queue=queue or SqsExportQueue(settings.rights_export_queue_url),
        files=RightsFiles(settings.rights_bucket_name),
        reader=reader,
        notifier=notifier or SesNotifier(settings.notification_sender),
        clock=clock or SystemClock(),
        policy=RightsPolicy(
            recent_auth_seconds=settings.recent_auth_seconds, link_seconds=settings.download_link_seconds
        ),
    )


def build_rights_desk(
    settings: RightsSettings,
    *,
    notifier: Notifier | None = None,
    sms: SmsSender | None = None,
    queue: ExportQueue | None = None,
    clock: Clock | None = None,
) -> RightsDesk:
    return RightsDesk(
        requests=RightsRepository(settings.customers_table),
        customers=CustomersRepository(settings.customers_table),
        logs=LogsRepository(None, settings.audit_log_table),
        queue=queue or SqsExportQueue(settings.rights_export_queue_url),
        files=RightsFiles(settings.rights_bucket_name),
        notifier=notifier or SesNotifier(settings.notification_sender),
        sms=sms or SnsSmsSender(),
        clock=clock or SystemClock(),
        policy=IdentityPolicy(
            recent_auth_seconds=settings.recent_auth_seconds, document_link_seconds=settings.download_link_seconds
        ),
    )
