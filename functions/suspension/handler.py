"""Capability `suspension`: suspend a mobile line after loss or theft, reactivate it, follow the workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.config import SuspensionSettings
from selfcare.observability import logger, metrics
from selfcare.workflows.models import WorkflowKind
from selfcare.workflows.schemas import LineId, ReactivationRequest, SuspensionRequest, WorkflowHandle, WorkflowView
from selfcare.workflows.wiring import build_workflow_service

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

service = build_workflow_service(SuspensionSettings.from_env())
app = create_resolver()
ACCEPTED = {
    202: {
        "description": "Workflow started (or already under way): its handle",
        "content": {"application/json": {"model": WorkflowView}},
    }
}


@app.post(
    "/mobile/lines/<line_id>/suspension",
    summary="Suspend a mobile line after loss or theft",
    description="Answers at once with the workflow's handle. The same request again starts nothing new.",
    tags=["mobile"],
    responses=responses(401, 403, 404, 409, success=ACCEPTED),
)
def suspend(
    line_id: Annotated[LineId, Path()], request: Annotated[SuspensionRequest | None, Body()] = None
) -> Response[WorkflowView]:
    status = service.request(
        caller_from(app.current_event), request_info(app.current_event), line_id, WorkflowKind.SUSPENSION
    )
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=WorkflowView.of(status))


@app.post(
    "/mobile/lines/<line_id>/reactivation",
    summary="Reactivate a suspended mobile line, optionally on a new SIM",
    description="Needs an authentication younger than 5 minutes (POST /auth/reauthenticate). Answers at once "
    "with the workflow's handle. The same request again starts nothing new.",
    tags=["mobile"],
    responses=responses(401, 403, 404, 409, success=ACCEPTED),
)
def reactivate(
    line_id: Annotated[LineId, Path()], request: Annotated[ReactivationRequest | None, Body()] = None
) -> Response[WorkflowView]:
    status = service.request(
        caller_from(app.current_event),
        request_info(app.current_event),
        line_id,
        WorkflowKind.REACTIVATION,
        new_iccid=request.new_iccid if request else None,
    )
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=WorkflowView.of(status))


@app.get(
    "/mobile/lines/<line_id>/workflows/<handle>",
    summary="Where a suspension or reactivation stands, with the line's status",
    tags=["mobile"],
    responses=responses(401, 403, 404),
)
def workflow(line_id: Annotated[LineId, Path()], handle: Annotated[WorkflowHandle, Path()]) -> WorkflowView:
    return WorkflowView.of(
        service.status(caller_from(app.current_event), request_info(app.current_event), line_id, handle)
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
