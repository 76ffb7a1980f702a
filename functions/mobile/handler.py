"""Capability `mobile`: the customer's mobile lines (suspension and reactivation: `suspension`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.clock import SystemClock
from selfcare.config import LinesSettings
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.lines.schemas import UsageView
from selfcare.lines.wiring import provisioning_from
from selfcare.mobile import schemas
from selfcare.mobile.logic import MobileService
from selfcare.observability import logger, metrics
from selfcare.types import LineId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = LinesSettings.from_env()
service = MobileService(
    LineItemsRepository(settings.customers_table),
    LogsRepository(None, settings.audit_log_table),
    provisioning_from(settings),
    SystemClock(),
)
app = create_resolver()
READ = responses(401, 403, 404)
CHANGE = responses(401, 403, 404, 409, 502, 503)
LinePath = Annotated[LineId, Path()]


@app.get("/mobile/lines", summary="My mobile lines", tags=["mobile"], responses=responses(401, 403))
def mobile_lines() -> schemas.MobileLines:
    lines = service.lines_of(caller_from(app.current_event), request_info(app.current_event))
    return schemas.MobileLines(lines=[schemas.MobileLineSummary.of(line) for line in lines])


@app.get(
    "/mobile/lines/<line_id>",
    summary="A mobile line: offer, options, user, renewal and commitment dates, SIM",
    tags=["mobile"],
    responses=READ,
)
def mobile_line(line_id: LinePath) -> schemas.MobileLineView:
    line = service.line(caller_from(app.current_event), request_info(app.current_event), line_id)
    return schemas.MobileLineView.of(line)


@app.get("/mobile/lines/<line_id>/usage", summary="Current month's usage", tags=["mobile"], responses=READ)
def mobile_usage(line_id: LinePath) -> UsageView:
    usage = service.usage(caller_from(app.current_event), request_info(app.current_event), line_id)
    return UsageView.of(line_id, usage)


@app.get("/mobile/lines/<line_id>/out-of-bundle", summary="Out-of-bundle charges", tags=["mobile"], responses=READ)
def mobile_charges(line_id: LinePath) -> schemas.ChargesView:
    charges = service.charges(caller_from(app.current_event), request_info(app.current_event), line_id)
    return schemas.ChargesView.of(line_id, charges)


@app.get(
    "/mobile/lines/<line_id>/puk",
    summary="PUK code",
    description="Every view is written to the audit trail, the customer's own included.",
    tags=["mobile"],
    responses=READ,
)
def mobile_puk(line_id: LinePath) -> schemas.PukView:
    puk = service.puk(caller_from(app.current_event), request_info(app.current_event), line_id)
    return schemas.PukView(line_id=line_id, puk=puk)


@app.post(
    "/mobile/lines/<line_id>/sim",
    summary="Activate a SIM card",
    description="On a line without an active SIM. One SIM per line: an ICCID in use answers 409.",
    tags=["mobile"],
    responses=CHANGE,
)
def activate_sim(line_id: LinePath, body: schemas.SimActivationRequest) -> schemas.MobileLineView:
    line = service.activate_sim(caller_from(app.current_event), request_info(app.current_event), line_id, body.iccid)
    return schemas.MobileLineView.of(line)


@app.get(
    "/mobile/lines/<line_id>/roaming",
    summary="Mobile internet status per roaming zone of the offer",
    tags=["mobile"],
    responses=READ,
)
def mobile_roaming(line_id: LinePath) -> schemas.RoamingView:
    zones = service.roaming(caller_from(app.current_event), request_info(app.current_event), line_id)
    return schemas.RoamingView.of(line_id, zones)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
