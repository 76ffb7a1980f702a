"""Capability `rights`: the data subject's requests (issue 10, section 1): access, from the space."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.clock import SystemClock
from selfcare.config import RightsSettings
from selfcare.observability import logger, metrics
from selfcare.rights import schemas
from selfcare.rights.wiring import build_rights_service
from selfcare.types import OpaqueId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = RightsSettings.from_env()
service = build_rights_service(settings)
clock = SystemClock()
app = create_resolver()

_VIEW = {"application/json": {"model": schemas.RightsRequestView}}
CREATED = responses(
    401,
    403,
    404,
    success={
        201: {"description": "Recorded and queued: the export is built asynchronously", "content": _VIEW},
        200: {"description": "Already created by an earlier request with the same Idempotency-Key", "content": _VIEW},
    },
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Optional: the same key within 24 hours answers the same request (200), creating nothing",
    ),
]


def _json(status: int, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.post(
    "/account/data-requests",
    summary="Ask for a copy of my personal data (right of access)",
    description=(
        "Needs an authentication of less than 5 minutes (POST /auth/reauthenticate): else 401 "
        "reauthentication_required. The request is recorded with its receipt time and due time (receipt + 1 "
        "calendar month); the export (JSON and PDF, per category of data, with purposes and retention) is built "
        "asynchronously and the contact email is told when it is ready. With an Idempotency-Key, a repetition "
        "within 24 hours answers the same request (200); the same key with another body answers 422."
    ),
    tags=["rights"],
    responses=CREATED,
)
def create_request(
    body: schemas.RightsAccessRequestCreate, idempotency_key: IdempotencyKey = None
) -> Response[schemas.RightsRequestView]:
    created = service.create_access_request(
        caller_from(app.current_event), request_info(app.current_event), idempotency_key
    )
    return _json(200 if created.replayed else 201, schemas.RightsRequestView.of(created.request, clock.now()))


@app.get(
    "/account/data-requests",
    summary="My requests, newest first, with their status and clock",
    tags=["rights"],
    responses=responses(
        401,
        403,
        success={200: {"description": "OK", "content": {"application/json": {"model": schemas.RightsRequestListView}}}},
    ),
)
def my_requests() -> schemas.RightsRequestListView:
    now = clock.now()
    found = service.my_requests(caller_from(app.current_event))
    return schemas.RightsRequestListView(requests=[schemas.RightsRequestView.of(r, now) for r in found])


@app.get(
    "/account/data-requests/<request_id>",
    summary="One request; once ready, short-lived links to download both files",
    description="The links (presigned, 5 minutes) are issued at each read while the files last (7 days); audited.",
    tags=["rights"],
    responses=responses(401, 403, 404, success={200: {"description": "OK", "content": _VIEW}}),
)
def my_request(request_id: Annotated[OpaqueId, Path()]) -> schemas.RightsRequestView:
    found, downloads = service.my_request(caller_from(app.current_event), request_id, request_info(app.current_event))
    return schemas.RightsRequestView.of(found, clock.now(), downloads)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
