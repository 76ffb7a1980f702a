"""Builds the services of the line workflows from their settings (handlers call these at cold start)."""

from __future__ import annotations

from selfcare.clock import SystemClock
from selfcare.config import LineTasksSettings, SuspensionSettings
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.lines import LinesRepository
from selfcare.dal.logs import LogsRepository
from selfcare.ports.notifications import SesNotifier
from selfcare.ports.provisioning_https import HttpsProvisioning
from selfcare.ports.workflows import StepFunctionsWorkflows
from selfcare.workflows.models import WorkflowKind
from selfcare.workflows.service import LineWorkflowPolicy, LineWorkflowService
from selfcare.workflows.tasks import LineTasks


def build_workflow_service(settings: SuspensionSettings) -> LineWorkflowService:
    return LineWorkflowService(
        lines=LinesRepository(settings.customers_table),
        logs=LogsRepository(None, settings.audit_log_table),
        workflows=StepFunctionsWorkflows(),
        state_machines={
            WorkflowKind.SUSPENSION: settings.suspension_state_machine_arn,
            WorkflowKind.REACTIVATION: settings.reactivation_state_machine_arn,
        },
        clock=SystemClock(),
        policy=LineWorkflowPolicy(recent_auth_seconds=settings.recent_auth_seconds),
    )


def build_line_tasks(settings: LineTasksSettings) -> LineTasks:
    return LineTasks(
        lines=LinesRepository(settings.customers_table),
        customers=CustomersRepository(settings.customers_table),
        logs=LogsRepository(None, settings.audit_log_table),
        provisioning=HttpsProvisioning(
            settings.provisioning_endpoint,
            settings.provisioning_credentials_secret_id,
            connect_timeout=settings.provisioning_connect_timeout_seconds,
            read_timeout=settings.provisioning_read_timeout_seconds,
        ),
        notifier=SesNotifier(settings.notification_sender),
        clock=SystemClock(),
    )
