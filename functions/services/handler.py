"""Capability `services`: other subscribed services (safety, password manager, device insurance)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.clock import SystemClock
from selfcare.config import LinesReadSettings
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.lines.wiring import NoProvisioning
from selfcare.observability import logger, metrics
from selfcare.services import schemas
from selfcare.services.logic import OtherServicesService
from selfcare.types import LineId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = LinesReadSettings.from_env()
service = OtherServicesService(
    LineItemsRepository(settings.customers_table),
    LogsRepository(None, settings.audit_log_table),
    NoProvisioning(),
    SystemClock(),
)
app = create_resolver()


@app.get("/services", summary="My other services (subscribed offers)", tags=["services"], responses=responses(401, 403))
def services() -> schemas.ServicesView:
    found = service.services_of(caller_from(app.current_event), request_info(app.current_event))
    return schemas.ServicesView(services=[schemas.ServiceView.of(s) for s in found])


@app.get(
    "/services/<service_id>", summary="One subscribed service", tags=["services"], responses=responses(401, 403, 404)
)
def one_service(service_id: Annotated[LineId, Path()]) -> schemas.ServiceView:
    found = service.service(caller_from(app.current_event), request_info(app.current_event), service_id)
    return schemas.ServiceView.of(found)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
