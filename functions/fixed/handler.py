"""Capability `fixed`: the customer's fixed lines (offer, number, current month's usage)."""

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
from selfcare.fixed import schemas
from selfcare.fixed.logic import FixedService
from selfcare.lines.schemas import UsageView
from selfcare.lines.wiring import NoProvisioning
from selfcare.observability import logger, metrics
from selfcare.types import LineId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = LinesReadSettings.from_env()
service = FixedService(
    LineItemsRepository(settings.customers_table),
    LogsRepository(None, settings.audit_log_table),
    NoProvisioning(),
    SystemClock(),
)
app = create_resolver()
READ = responses(401, 403, 404)
LinePath = Annotated[LineId, Path()]


@app.get("/fixed/lines", summary="My fixed lines", tags=["fixed"], responses=responses(401, 403))
def fixed_lines() -> schemas.FixedLines:
    lines = service.lines_of(caller_from(app.current_event), request_info(app.current_event))
    return schemas.FixedLines(lines=[schemas.FixedLineView.of(line) for line in lines])


@app.get("/fixed/lines/<line_id>", summary="A fixed line: offer and number", tags=["fixed"], responses=READ)
def fixed_line(line_id: LinePath) -> schemas.FixedLineView:
    return schemas.FixedLineView.of(
        service.line(caller_from(app.current_event), request_info(app.current_event), line_id)
    )


@app.get("/fixed/lines/<line_id>/usage", summary="Current month's usage", tags=["fixed"], responses=READ)
def fixed_usage(line_id: LinePath) -> UsageView:
    usage = service.usage(caller_from(app.current_event), request_info(app.current_event), line_id)
    return UsageView.of(line_id, usage)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
