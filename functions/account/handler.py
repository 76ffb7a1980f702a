"""Capability `account`: the account view, contact details and address, consents, support tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.account import schemas
from selfcare.account.models import ConsentPurpose, ContactKind
from selfcare.account.schemas import AccountView
from selfcare.account.wiring import build_account_services
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.config import AccountSettings
from selfcare.observability import logger, metrics
from selfcare.types import AccountNumber, OpaqueId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = AccountSettings.from_env()
services = build_account_services(settings)
service = services.account
app = create_resolver()

READ = responses(401, 403, 404)
CHANGE = responses(401, 403, 404)
CODE_SENT = responses(
    401,
    403,
    404,
    success={202: {"description": "Code sent", "content": {"application/json": {"model": schemas.CodeSentView}}}},
)
CREATED = responses(
    401,
    403,
    404,
    success={
        201: {"description": "Created", "content": {"application/json": {"model": schemas.TicketView}}},
        200: {
            "description": "Already created by an earlier request with the same Idempotency-Key: that ticket",
            "content": {"application/json": {"model": schemas.TicketView}},
        },
    },
)
RECENT = (
    "Needs an authentication of less than 5 minutes (POST /auth/reauthenticate): else 401 reauthentication_required."
)


def _json(status: int, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.get("/account", summary="My account", tags=["account"], responses=READ)
def my_account() -> AccountView:
    return AccountView.of(service.view(caller_from(app.current_event), request_info(app.current_event)))


@app.get(
    "/accounts/<account_number>",
    summary="One account by its number",
    description="Only an account of the caller's: any other number answers 404, as an unknown one does.",
    tags=["account"],
    responses=READ,
)
def account(account_number: Annotated[AccountNumber, Path()]) -> AccountView:
    caller = caller_from(app.current_event)
    return AccountView.of(service.view(caller, request_info(app.current_event), account_number))


# Contact details and address -----------------------------------------------------------------
@app.put(
    "/account/contact/email",
    summary="Change the contact email (step 1: a code to the new address)",
    description=f"The change applies once the code is confirmed. {RECENT}",
    tags=["account"],
    responses=CODE_SENT,
)
def change_email(body: schemas.EmailChangeRequest) -> Response[schemas.CodeSentView]:
    sent = services.contact.request_email_change(
        caller_from(app.current_event), body.email, request_info(app.current_event)
    )
    return _json(202, schemas.CodeSentView.of(sent, "email address"))


@app.post(
    "/account/contact/email/confirmation",
    summary="Change the contact email (step 2: the code)",
    description=(
        "Single use, 10 minutes, 5 attempts. The previous address is told of the change. Once the space is "
        "activated, the address is a login key: the new one logs in, the old one no longer (in the same "
        "transaction); 409 identifier_taken when the new address is another customer's login key."
    ),
    tags=["account"],
    responses=responses(400, 401, 403, 404, 409),
)
def confirm_email(body: schemas.CodeConfirmation) -> AccountView:
    caller = caller_from(app.current_event)
    return AccountView.of(
        services.contact.confirm(caller, ContactKind.EMAIL, body.code, request_info(app.current_event))
    )


@app.put(
    "/account/contact/mobile",
    summary="Change the contact mobile (step 1: a code by SMS to the new number)",
    description=f"The change applies once the code is confirmed. {RECENT}",
    tags=["account"],
    responses=CODE_SENT,
)
def change_mobile(body: schemas.MobileChangeRequest) -> Response[schemas.CodeSentView]:
    sent = services.contact.request_mobile_change(
        caller_from(app.current_event), body.mobile, request_info(app.current_event)
    )
    return _json(202, schemas.CodeSentView.of(sent, "mobile number"))


@app.post(
    "/account/contact/mobile/confirmation",
    summary="Change the contact mobile (step 2: the code)",
    description=(
        "Single use, 10 minutes, 5 attempts. The previous number is told of the change by SMS. The login key "
        "moves with the number (the old one stays a key while it is one of the customer's line numbers); 409 "
        "identifier_taken when the new number is another customer's login key."
    ),
    tags=["account"],
    responses=responses(400, 401, 403, 404, 409),
)
def confirm_mobile(body: schemas.CodeConfirmation) -> AccountView:
    caller = caller_from(app.current_event)
    return AccountView.of(
        services.contact.confirm(caller, ContactKind.MOBILE, body.code, request_info(app.current_event))
    )


@app.put(
    "/account/contact/landline",
    summary="Change the contact landline",
    description=f"Applies at once; the contact email is told of it. {RECENT}",
    tags=["account"],
    responses=CHANGE,
)
def change_landline(body: schemas.LandlineChangeRequest) -> AccountView:
    caller = caller_from(app.current_event)
    return AccountView.of(services.contact.change_landline(caller, body.landline, request_info(app.current_event)))


@app.put(
    "/account/address",
    summary="Change the postal address (outside Monaco only)",
    description=(
        "Addresses in Monaco come from the operator's records: a Monaco address (country MC or postal code "
        f"980xx), or a change of a current Monaco address, answers 422 monaco_address_managed_by_operator. {RECENT}"
    ),
    tags=["account"],
    responses=CHANGE,
)
def change_address(body: schemas.AddressChangeRequest) -> AccountView:
    caller = caller_from(app.current_event)
    return AccountView.of(services.contact.change_address(caller, body.address(), request_info(app.current_event)))


# Consents ------------------------------------------------------------------------------------
@app.get("/account/consents", summary="Newsletter and survey consents: current state", tags=["account"], responses=READ)
def consents() -> schemas.ConsentsView:
    states = services.consents.states(caller_from(app.current_event), request_info(app.current_event))
    return schemas.ConsentsView(consents=[schemas.ConsentView.of(s) for s in states])


@app.get("/account/consents/history", summary="Every consent decision, newest first", tags=["account"], responses=READ)
def consent_history() -> schemas.ConsentHistoryView:
    history = services.consents.history(caller_from(app.current_event), request_info(app.current_event))
    return schemas.ConsentHistoryView(records=[schemas.ConsentRecordView.of(r) for r in history])


@app.put(
    "/account/consents/<purpose>",
    summary="Subscribe or unsubscribe (newsletter); consent or refuse (surveys)",
    description="Recorded with its time, channel and author, kept in the history.",
    tags=["account"],
    responses=CHANGE,
)
def set_consent(purpose: Annotated[ConsentPurpose, Path()], body: schemas.ConsentRequest) -> schemas.ConsentView:
    caller = caller_from(app.current_event)
    state = services.consents.set(caller, purpose, body.granted, body.channel, request_info(app.current_event))
    return schemas.ConsentView.of(state)


# Support tickets -----------------------------------------------------------------------------
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Optional: the same key within 24 hours answers the same ticket (200), creating nothing",
    ),
]


@app.post(
    "/account/tickets",
    summary="Create a support ticket",
    description=(
        "With an Idempotency-Key: the first request creates the ticket (201); a repetition with the same key and "
        "the same body within 24 hours answers that ticket (200) and creates nothing; the same key with another "
        "body answers 422 idempotency_key_reused (at header Idempotency-Key). Keys are per customer."
    ),
    tags=["account"],
    responses=CREATED,
)
def create_ticket(body: schemas.TicketRequest, idempotency_key: IdempotencyKey = None) -> Response[schemas.TicketView]:
    created = services.tickets.create(
        caller_from(app.current_event),
        request_info(app.current_event),
        category=body.category,
        subject=body.subject,
        description=body.description,
        related_line_id=body.related_line_id,
        related_invoice_id=body.related_invoice_id,
        idempotency_key=idempotency_key,
    )
    return _json(200 if created.replayed else 201, schemas.TicketView.of(created.ticket))


@app.get("/account/tickets", summary="Open web tickets, newest first", tags=["account"], responses=READ)
def open_tickets() -> schemas.TicketListView:
    tickets = services.tickets.open_web_tickets(caller_from(app.current_event), request_info(app.current_event))
    return schemas.TicketListView(tickets=[schemas.TicketSummaryView.of(t) for t in tickets])


@app.get(
    "/account/tickets/<ticket_id>",
    summary="One ticket, with its status history and notes",
    tags=["account"],
    responses=READ,
)
def ticket(ticket_id: Annotated[OpaqueId, Path()]) -> schemas.TicketView:
    found = services.tickets.get(caller_from(app.current_event), request_info(app.current_event), ticket_id)
    return schemas.TicketView.of(found)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
