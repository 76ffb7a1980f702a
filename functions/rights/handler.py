"""Capability `rights`: the data subject's requests (issue 10, section 1): access, from the space."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.clock import SystemClock
from selfcare.config import RightsSettings
from selfcare.observability import logger, metrics
from selfcare.rights import schemas
from selfcare.rights.models import RightsChannel, RightsRequestKind
from selfcare.rights.wiring import build_rights_desk, build_rights_service
from selfcare.types import OpaqueId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = RightsSettings.from_env()
service = build_rights_service(settings)
desk = build_rights_desk(settings)
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
    summary="Ask for a copy of my personal data (access), or for a rectification",
    description=(
        "Needs an authentication of less than 5 minutes (POST /auth/reauthenticate): else 401 "
        "reauthentication_required. The request is recorded with its receipt time and due time (receipt + 1 "
        "calendar month). access: the export (JSON and PDF, per category of data, with purposes and retention) is "
        "built asynchronously and the contact email is told when it is ready. rectification (name, birth date, "
        "address: what the space cannot change): routed to the operator's records (CRM), status sent_to_crm. "
        "With an Idempotency-Key (access), a repetition within 24 hours answers the same request (200); the same "
        "key with another body answers 422."
    ),
    tags=["rights"],
    responses=CREATED,
)
def create_request(
    body: schemas.RightsAccessRequestCreate, idempotency_key: IdempotencyKey = None
) -> Response[schemas.RightsRequestView]:
    caller, info = caller_from(app.current_event), request_info(app.current_event)
    if body.kind is RightsRequestKind.RECTIFICATION:
        changes = body.changes.values() if body.changes else {}
        return _json(201, schemas.RightsRequestView.of(desk.rectify(caller, info, changes), clock.now()))
    created = service.create_access_request(caller, info, idempotency_key, has_changes=body.changes is not None)
    return _json(200 if created.replayed else 201, schemas.RightsRequestView.of(created.request, clock.now()))


@app.get(
    "/account/data-requests",
    summary="My requests, newest first, with their status and clock",
    description="A staff member's read under an assisted-access grant is audited.",
    tags=["rights"],
    responses=responses(
        401,
        403,
        success={200: {"description": "OK", "content": {"application/json": {"model": schemas.RightsRequestListView}}}},
    ),
)
def my_requests() -> schemas.RightsRequestListView:
    now = clock.now()
    found = service.my_requests(caller_from(app.current_event), request_info(app.current_event))
    return schemas.RightsRequestListView(requests=[schemas.RightsRequestView.of(r, now) for r in found])


@app.get(
    "/account/data-requests/<request_id>",
    summary="One request; once ready, short-lived links to download both files",
    description=(
        "The links (presigned, 5 minutes) are issued at each of the customer's reads while the files last (7 days); "
        "audited. Staff under an assisted-access grant see the request, not the links; their read is audited."
    ),
    tags=["rights"],
    responses=responses(401, 403, 404, success={200: {"description": "OK", "content": _VIEW}}),
)
def my_request(request_id: Annotated[OpaqueId, Path()]) -> schemas.RightsRequestView:
    found, downloads = service.my_request(caller_from(app.current_event), request_id, request_info(app.current_event))
    return schemas.RightsRequestView.of(found, clock.now(), downloads)


# Staff: requests received by email or letter, the proof of identity, the queue ---------------------------------
STAFF = (
    "Customer-service advisors and customer-service staff only (docs/decisions.md, 2026-11-26); no assisted-access "
    "grant: registering a request is not acting in the customer's space."
)
_STAFF_VIEW = responses(401, 403, 404, 409, success={200: {"description": "OK", "content": _VIEW}})
_LINK = {"application/json": {"model": schemas.RightsDocumentLinkView}}
CustomerId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
RequestId = Annotated[OpaqueId, Path()]


@app.post(
    "/staff/data-requests",
    summary="Register a request received by email or letter (identity to prove)",
    description=f"{STAFF} The clock starts at receipt (`received_at`, default now). Status awaiting_identity.",
    tags=["rights"],
    responses=responses(401, 403, 404, success={201: {"description": "Registered", "content": _VIEW}}),
)
def register(body: schemas.RightsStaffRegistration) -> Response[schemas.RightsRequestView]:
    registered = desk.register(
        caller_from(app.current_event),
        request_info(app.current_event),
        customer_id=body.customer_id,
        kind=body.kind,
        channel=RightsChannel(body.channel),
        received_at=body.received_at,
        changes=body.changes.values() if body.changes else {},
    )
    return _json(201, schemas.RightsRequestView.of(registered, clock.now()))


@app.get(
    "/staff/data-requests",
    summary="The queue: open requests, earliest due first, with days left",
    description=STAFF,
    tags=["rights"],
    responses=responses(
        401,
        403,
        success={200: {"description": "OK", "content": {"application/json": {"model": schemas.RightsQueueView}}}},
    ),
)
def staff_queue() -> schemas.RightsQueueView:
    now = clock.now()
    found = desk.queue_of_open(caller_from(app.current_event))
    return schemas.RightsQueueView(requests=[schemas.RightsRequestView.of(r, now) for r in found])


@app.post(
    "/staff/customers/<customer_id>/data-requests/<request_id>/identity-code",
    summary="Send the requester a code, to the contact email or mobile on record",
    description=(
        f"{STAFF} The requester gives the code back to staff (by phone or in reply), who enter it: single use, "
        "48 hours, 5 wrong tries. 409 when the identity is already settled or no contact is on record."
    ),
    tags=["rights"],
    responses=responses(
        401,
        403,
        404,
        409,
        success={
            202: {
                "description": "Code sent",
                "content": {"application/json": {"model": schemas.RightsIdentityCodeSentView}},
            }
        },
    ),
)
def send_code(
    customer_id: CustomerId, request_id: RequestId, body: schemas.RightsIdentityCodeRequest
) -> Response[schemas.RightsIdentityCodeSentView]:
    sent = desk.send_code(
        caller_from(app.current_event), request_info(app.current_event), customer_id, request_id, body.to
    )
    return _json(
        202, schemas.RightsIdentityCodeSentView(to=sent.channel, sent_to=sent.sent_to, expires_in=sent.expires_in)
    )


@app.post(
    "/staff/customers/<customer_id>/data-requests/<request_id>/identity-code/verification",
    summary="Enter the code the requester gave back: the identity is proven, the request proceeds",
    description=f"{STAFF} access: the export is queued; rectification: routed to the CRM. 400: a wrong code.",
    tags=["rights"],
    responses=responses(400, 401, 403, 404, 409, success={200: {"description": "OK", "content": _VIEW}}),
)
def verify_code(
    customer_id: CustomerId, request_id: RequestId, body: schemas.RightsIdentityCode
) -> schemas.RightsRequestView:
    verified = desk.verify_code(
        caller_from(app.current_event), request_info(app.current_event), customer_id, request_id, body.code
    )
    return schemas.RightsRequestView.of(verified, clock.now())


@app.post(
    "/staff/customers/<customer_id>/data-requests/<request_id>/identity-document",
    summary="Where no code can reach the person: a link to upload the identity document (presigned PUT)",
    description=f"{STAFF} PUT the file to the link within 5 minutes; it is deleted on verification, 30 days at most.",
    tags=["rights"],
    responses=responses(401, 403, 404, 409, success={201: {"description": "Upload link", "content": _LINK}}),
)
def document_upload(customer_id: CustomerId, request_id: RequestId) -> Response[schemas.RightsDocumentLinkView]:
    link = desk.document_upload(
        caller_from(app.current_event), request_info(app.current_event), customer_id, request_id
    )
    return _json(201, schemas.RightsDocumentLinkView(url=link.url, expires_in=link.expires_in))


@app.get(
    "/staff/customers/<customer_id>/data-requests/<request_id>/identity-document",
    summary="Show the identity document once (presigned GET); a second view answers 409",
    description=STAFF,
    tags=["rights"],
    responses=responses(401, 403, 404, 409, success={200: {"description": "View link", "content": _LINK}}),
)
def document_view(customer_id: CustomerId, request_id: RequestId) -> schemas.RightsDocumentLinkView:
    link = desk.document_view(caller_from(app.current_event), request_info(app.current_event), customer_id, request_id)
    return schemas.RightsDocumentLinkView(url=link.url, expires_in=link.expires_in)


@app.post(
    "/staff/customers/<customer_id>/data-requests/<request_id>/identity-document/verification",
    summary="Decide on the identity document: it is deleted either way; accepted, the request proceeds",
    description=f"{STAFF} Refused: status refused.",
    tags=["rights"],
    responses=_STAFF_VIEW,
)
def document_decision(
    customer_id: CustomerId, request_id: RequestId, body: schemas.RightsDocumentDecision
) -> schemas.RightsRequestView:
    decided = desk.document_decision(
        caller_from(app.current_event), request_info(app.current_event), customer_id, request_id, body.accepted
    )
    return schemas.RightsRequestView.of(decided, clock.now())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
