"""Capability `tv`: TV offer, boxes, login and password, packs, VOD consumption and its PDF export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import RequestInfo, caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver, no_content
from selfcare.auth.policy import Caller
from selfcare.clock import SystemClock
from selfcare.config import TvSettings
from selfcare.dal.idempotency import IdempotencyStore
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.internet.schemas import BoxView, RenameBoxRequest
from selfcare.lines.wiring import provisioning_from
from selfcare.observability import logger, metrics
from selfcare.tv import schemas
from selfcare.tv.logic import TvService
from selfcare.types import ItemId, LineId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = TvSettings.from_env()
idempotency = IdempotencyStore(settings.idempotency_table, settings.idempotency_expiry_seconds)
service = TvService(
    LineItemsRepository(settings.customers_table),
    LogsRepository(None, settings.audit_log_table),
    provisioning_from(settings),
    SystemClock(),
    idempotency,
)
app = create_resolver()
READ = responses(401, 403, 404)
CHANGE = responses(401, 403, 404, 409, 502, 503)
LinePath = Annotated[LineId, Path()]
ItemPath = Annotated[ItemId, Path()]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Optional: requests with the same key (and body) are applied once",
    ),
]
PDF = {
    200: {
        "description": "The PDF document",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _caller() -> Caller:
    return caller_from(app.current_event)


def _request() -> RequestInfo:
    return request_info(app.current_event)


@app.get("/tv/lines", summary="My TV lines", tags=["tv"], responses=responses(401, 403))
def tv_lines() -> schemas.TvLines:
    return schemas.TvLines(lines=[schemas.TvLineView.of(x) for x in service.lines_of(_caller(), _request())])


@app.get("/tv/lines/<line_id>", summary="A TV line: offer and TV service login", tags=["tv"], responses=READ)
def tv_line(line_id: LinePath) -> schemas.TvLineView:
    return schemas.TvLineView.of(service.line(_caller(), _request(), line_id))


@app.get("/tv/lines/<line_id>/boxes", summary="The line's TV boxes", tags=["tv"], responses=READ)
def tv_boxes(line_id: LinePath) -> schemas.TvBoxes:
    return schemas.TvBoxes(
        line_id=line_id, boxes=[BoxView.of(b) for b in service.boxes(_caller(), _request(), line_id)]
    )


@app.patch("/tv/lines/<line_id>/boxes/<box_id>", summary="Rename a TV box", tags=["tv"], responses=CHANGE)
def rename_tv_box(line_id: LinePath, box_id: ItemPath, body: RenameBoxRequest) -> BoxView:
    return BoxView.of(service.rename_box(_caller(), _request(), line_id, box_id, body.name))


@app.put(
    "/tv/lines/<line_id>/password",
    summary="Change the TV service password",
    tags=["tv"],
    responses=responses(401, 403, 404, 409, 502, 503, success={204: {"description": "Done"}}),
)
def tv_password(line_id: LinePath, body: schemas.TvPasswordRequest) -> Response[Any]:
    service.change_password(_caller(), _request(), line_id, body.new_password)
    return no_content()


@app.get("/tv/lines/<line_id>/packs", summary="Subscribed packs and the catalogue", tags=["tv"], responses=READ)
def tv_packs(line_id: LinePath) -> schemas.PacksView:
    return schemas.PacksView.of(line_id, service.packs(_caller(), _request(), line_id))


@app.post(
    "/tv/lines/<line_id>/packs",
    summary="Subscribe to a pack (idempotent)",
    description=(
        "Starts at once (`start: now`, the default) or on the line's next billing day. The same request "
        "repeated (same line, pack, start and Idempotency-Key if any) answers the first answer and applies "
        "nothing again."
    ),
    tags=["tv"],
    responses=responses(
        401, 403, 404, 409, 502, 503,
        success={201: {"description": "Subscribed", "content": {"application/json": {"model": schemas.PackView}}}},
    ),
)  # fmt: skip
def subscribe_pack(
    line_id: LinePath, body: schemas.SubscribeRequest, idempotency_key: IdempotencyKey = None
) -> Response[schemas.PackView]:
    state = service.subscribe(_caller(), _request(), line_id, body.pack_id, body.start, idempotency_key)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=schemas.PackView.of(state))


@app.delete(
    "/tv/lines/<line_id>/packs/<pack_id>",
    summary="Cancel a pack (at the end of the current month)",
    description="Cancelling a pack already cancelled answers the same; an ended or unknown pack answers 404.",
    tags=["tv"],
    responses=CHANGE,
)
def cancel_pack(line_id: LinePath, pack_id: ItemPath) -> schemas.PackView:
    return schemas.PackView.of(service.cancel(_caller(), _request(), line_id, pack_id))


@app.get("/tv/lines/<line_id>/vod", summary="VOD consumption (anonymised titles)", tags=["tv"], responses=READ)
def vod(line_id: LinePath) -> schemas.VodConsumption:
    return schemas.VodConsumption.of(line_id, service.vod(_caller(), _request(), line_id))


@app.get(
    "/tv/lines/<line_id>/vod/export",
    summary="VOD consumption as a PDF",
    tags=["tv"],
    responses=responses(401, 403, 404, success=PDF),
)
def vod_export(line_id: LinePath):  # type: ignore[no-untyped-def]
    # No return annotation on purpose: Powertools would validate the PDF's bytes as a JSON response.
    document = service.vod_pdf(_caller(), _request(), line_id)
    return Response(
        status_code=200,
        content_type="application/pdf",
        body=document,
        headers={"Content-Disposition": f'attachment; filename="vod-{line_id}.pdf"'},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
