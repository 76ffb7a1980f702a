"""Capability `audit`: production and infrastructure staff read a customer's connection log and audit trail.

Under a live assisted-access grant for that customer; every read is itself audited (selfcare.audit.staff_reads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.audit import schemas
from selfcare.audit.staff_reads import StaffLogReads
from selfcare.auth.incidents import OpenIncidents, incident_tracker_from
from selfcare.clock import SystemClock
from selfcare.config import AuditReadSettings, IncidentTrackerSettings
from selfcare.dal.logs import LogsRepository
from selfcare.observability import logger, metrics
from selfcare.types import CustomerId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = AuditReadSettings.from_env()
# The incident a grant names must still be open at each read: the operator's incident tracker (one call per read).
service = StaffLogReads(
    LogsRepository(settings.connection_log_table, settings.audit_log_table),
    SystemClock(),
    OpenIncidents(incident_tracker_from(IncidentTrackerSettings.from_env())),
)
app = create_resolver()

CONNECTION_LOG = {
    200: {
        "description": "The customer's connection log (audited read)",
        "content": {"application/json": {"model": schemas.StaffConnectionLogView}},
    }
}
AUDIT_TRAIL = {
    200: {
        "description": "The customer's audit trail (audited read)",
        "content": {"application/json": {"model": schemas.StaffAuditTrailView}},
    }
}


@app.get(
    "/staff/customers/<customer_id>/connection-log",
    summary="A customer's connection log (production and infrastructure staff, under a grant; audited)",
    tags=["staff"],
    responses=responses(401, 403, 503, success=CONNECTION_LOG),
)
def connection_log(customer_id: Annotated[CustomerId, Path()]) -> schemas.StaffConnectionLogView:
    records = service.connection_log(caller_from(app.current_event), request_info(app.current_event), customer_id)
    return schemas.StaffConnectionLogView(
        customer_id=customer_id, entries=[schemas.StaffConnectionLogEntry.of(r) for r in records]
    )


@app.get(
    "/staff/customers/<customer_id>/audit-trail",
    summary="A customer's audit trail (production and infrastructure staff, under a grant; audited)",
    tags=["staff"],
    responses=responses(401, 403, 503, success=AUDIT_TRAIL),
)
def audit_trail(customer_id: Annotated[CustomerId, Path()]) -> schemas.StaffAuditTrailView:
    records = service.audit_trail(caller_from(app.current_event), request_info(app.current_event), customer_id)
    return schemas.StaffAuditTrailView(
        customer_id=customer_id, entries=[schemas.StaffAuditTrailEntry.of(r) for r in records]
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
