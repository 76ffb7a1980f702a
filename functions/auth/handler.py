"""Capability `auth`: login, tokens, sessions, passwords, staff login and assisted access.

Thin: each route validates its input model, makes one call into a part of the auth service (one per
concern, composed in selfcare.auth.wiring), maps the result.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.account import schemas as account_schemas
from selfcare.account.links import LinkPolicy, LinkService
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver, no_content
from selfcare.auth import schemas
from selfcare.auth.core import Tokens
from selfcare.auth.digital_identity_schemas import DigitalIdentityLinkRequest
from selfcare.auth.digital_identity_wiring import build_links
from selfcare.auth.grant_conditions import AssistedAccessConditions
from selfcare.auth.incidents import OpenIncidents, incident_tracker_from
from selfcare.auth.models import Grant
from selfcare.auth.wiring import build_auth_service
from selfcare.clock import SystemClock
from selfcare.config import AuthSettings, IncidentTrackerSettings
from selfcare.dal import account as account_records
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.verifications import VerificationsRepository
from selfcare.observability import logger, metrics
from selfcare.ports.notifications import SnsSmsSender
from selfcare.types import AccountNumber, OpaqueId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = AuthSettings.from_env()
service = build_auth_service(settings)
links = LinkService(
    customers=CustomersRepository(settings.customers_table),
    verifications=VerificationsRepository(settings.customers_table),
    logs=LogsRepository(settings.connection_log_table, settings.audit_log_table),
    auth=service.linked_sessions,
    notifier=service.notifier,
    sms=SnsSmsSender(),
    clock=SystemClock(),
    policy=LinkPolicy(code_response_floor_ms=settings.recovery_response_floor_ms),
    captcha=service.activation.captcha,  # identity (issue 8)
)
# Role conditions of assisted-access grants (incident, customer's request): checked before the AuthService opens it.
grant_conditions = AssistedAccessConditions(
    service.staff_access,
    lambda customer_id, ticket_id: account_records.ticket(settings.customers_table, customer_id, ticket_id),
    # An incident named must be open in the operator's incident tracker (issue 8): no tracker configured, 503.
    OpenIncidents(incident_tracker_from(IncidentTrackerSettings.from_env())),
)
app = create_resolver()

TOKENS = {200: {"description": "Tokens", "content": {"application/json": {"model": schemas.TokenResponse}}}}
NO_CONTENT = {204: {"description": "Done"}}


def _tokens(tokens: Tokens) -> schemas.TokenResponse:
    return schemas.TokenResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        session_id=tokens.session_id,
    )


def _no_content() -> Response[Any]:
    return no_content()


# Public routes ---------------------------------------------------------------------------------
LOGIN_CAPTCHA = (
    "After 3 failed logins naming this identifier (known or not; within 15 minutes) or from this source address "
    "(within an hour), the next attempt needs a solved CAPTCHA in `captcha` (GET /auth/captcha): without one, or "
    "with a forged, expired or already used one, 400 captcha_required, whatever the account, before the password "
    "is checked. A solved one covers the failures so far: the next failure asks again. 401 invalid_credentials: "
    "wrong identifier or password, or locked account (one answer). 429 too_many_requests: the source address is "
    "blocked (Retry-After)."
)


# Identity (issue 8): the password proofs of control (account links, the digital-identity link) ask for it alike.
CAPTCHA_AFTER_FAILURES = (
    "after 3 failed password attempts (logins and these proofs alike) naming this identifier (known or not; within 15 "
    "minutes) or from this source address (within an hour), the next one needs a solved CAPTCHA in `captcha` (GET "
    "/auth/captcha), else 400 captcha_required, whatever the account, before the password is checked."
)


@app.post(
    "/auth/login",
    summary="Log in (customer)",
    description=LOGIN_CAPTCHA,
    tags=["auth"],
    responses=responses(400, 401, 429, success=TOKENS),
)
def login(body: schemas.LoginRequest) -> schemas.TokenResponse:
    return _tokens(
        service.login.login_customer(body.identifier, body.password, request_info(app.current_event), body.captcha)
    )


@app.post(
    "/staff/auth/login",
    summary="Log in (staff)",
    description=LOGIN_CAPTCHA,
    tags=["staff"],
    responses=responses(400, 401, 429, success=TOKENS),
)
def staff_login(body: schemas.StaffLoginRequest) -> schemas.TokenResponse:
    return _tokens(service.login.login_staff(body.email, body.password, request_info(app.current_event), body.captcha))


@app.post("/auth/refresh", summary="Rotate the refresh token", tags=["auth"], responses=responses(401, success=TOKENS))
def refresh(body: schemas.RefreshRequest) -> schemas.TokenResponse:
    return _tokens(service.sessions.refresh(body.refresh_token, request_info(app.current_event)))


@app.post(
    "/auth/password/forgot",
    summary="Ask for a password-recovery code",
    description=(
        "Needs a solved CAPTCHA (GET /auth/captcha; else 400 captcha_required). The answer and its timing are "
        "the same whether the account exists or not; the code goes to the record's current contact email, at "
        "most 5 per account and 24 hours."
    ),
    tags=["auth"],
    responses=responses(
        400,
        success={
            202: {"description": "Accepted", "content": {"application/json": {"model": schemas.AcceptedResponse}}}
        },
    ),
)
def forgot_password(body: schemas.ForgotPasswordRequest) -> Response[schemas.AcceptedResponse]:
    service.recovery.forgot_password(body.identifier, body.captcha, request_info(app.current_event))
    message = "If an account matches, a recovery code has been sent to its contact email."
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body=schemas.AcceptedResponse(message=message)
    )


@app.post(
    "/auth/password/reset",
    summary="Set a new password with a recovery code",
    tags=["auth"],
    responses=responses(400, success=NO_CONTENT),
)
def reset_password(body: schemas.ResetPasswordRequest) -> Response[Any]:
    service.recovery.reset_password(body.token, body.new_password, request_info(app.current_event))
    return _no_content()


# Identity (issue 8): CAPTCHA and activation of the web account -----------------------------------
CHALLENGE = {"model": schemas.CaptchaChallengeView}
ACCEPTED = {"model": schemas.AcceptedResponse}
ACTIVATION_ACCEPTED = (
    "If this identifier names a customer whose space is not active yet, a code has been sent to the contact "
    "email (or mobile) of its record."
)


@app.get(
    "/auth/captcha",
    summary="A CAPTCHA challenge (ALTCHA proof of work)",
    description=(
        "Public. Solve it (the ALTCHA widget or library) and send the base64 payload {challenge, solution} as "
        "`captcha` where a route asks for one. Valid 5 minutes, accepted once; no cookie, no personal data."
    ),
    tags=["auth"],
    responses=responses(
        success={
            200: {
                "description": "A challenge",
                "content": {"application/json": {"model": schemas.CaptchaChallengeView}},
            }
        }
    ),
)
def captcha_challenge() -> schemas.CaptchaChallengeView:
    return schemas.CaptchaChallengeView.model_validate(service.activation.captcha.challenge())


@app.post(
    "/auth/activation",
    summary="Activate my customer space, step 1: a code to the contact of my record",
    description=(
        "Public. An account number or a line number, and a solved CAPTCHA (else 400 captcha_required). The "
        "answer and its timing are the same whether the account exists, is already active or not. The 8-digit "
        "code goes to the contact email held in the customer record (else its contact mobile), works once, for "
        "15 minutes and 5 tries; at most 5 codes per identifier and 24 hours."
    ),
    tags=["auth"],
    responses=responses(
        400,
        success={
            202: {"description": "Accepted", "content": {"application/json": {"model": schemas.AcceptedResponse}}}
        },
    ),
)
def request_activation(body: schemas.ActivationRequest) -> Response[schemas.AcceptedResponse]:
    service.activation.request_code(body.identifier, body.captcha)
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=schemas.AcceptedResponse(message=ACTIVATION_ACCEPTED),
    )


@app.post(
    "/auth/activation/confirm",
    summary="Activate my customer space, step 2: the code and my new password",
    description=(
        "Public. Creates the credential (login keys derived from the customer record: contact email and mobile, "
        "line numbers, account number) and answers a session. 400 invalid_activation_code: wrong, spent or "
        "expired code, or a terminated account. 409 identifier_taken: a login key of the record is held by "
        "another customer's credential (nothing is created). 422: the password policy."
    ),
    tags=["auth"],
    responses=responses(400, 409, success=TOKENS),
)
def confirm_activation(body: schemas.ActivationConfirmRequest) -> schemas.TokenResponse:
    request = request_info(app.current_event)
    return _tokens(service.activation.activate(body.identifier, body.code, body.password, request))


# Authenticated routes --------------------------------------------------------------------------
@app.post(
    "/auth/logout",
    summary="Log out (revokes this session)",
    tags=["auth"],
    responses=responses(401, 404, success=NO_CONTENT),
)
def logout() -> Response[Any]:
    service.sessions.logout(caller_from(app.current_event), request_info(app.current_event))
    return _no_content()


@app.post(
    "/auth/reauthenticate",
    summary="Prove the password again (recent authentication)",
    tags=["auth"],
    responses=responses(401, success=TOKENS),
)
def reauthenticate(body: schemas.ReauthenticateRequest) -> schemas.TokenResponse:
    return _tokens(
        service.login.reauthenticate(caller_from(app.current_event), body.password, request_info(app.current_event))
    )


@app.get("/auth/sessions", summary="My sessions", tags=["auth"], responses=responses(401))
def list_sessions() -> schemas.SessionsResponse:
    caller = caller_from(app.current_event)
    return schemas.SessionsResponse(
        sessions=[
            schemas.SessionView(
                session_id=s.session_id,
                created_at=s.created_at,
                last_used_at=s.last_used_at,
                device=s.device,
                current=s.session_id == caller.session_id,
            )
            for s in service.sessions.list_sessions(caller)
        ]
    )


@app.delete(
    "/auth/sessions/<session_id>",
    summary="Revoke one of my sessions",
    tags=["auth"],
    responses=responses(401, 404, success=NO_CONTENT),
)
def revoke_session(session_id: Annotated[OpaqueId, Path()]) -> Response[Any]:
    service.sessions.revoke_session(caller_from(app.current_event), session_id, request_info(app.current_event))
    return _no_content()


@app.put(
    "/auth/password",
    summary="Change my password",
    description="Needs the current password. Every other session is revoked; a fresh access token is returned.",
    tags=["auth"],
    responses=responses(401, success=TOKENS),
)
def change_password(body: schemas.ChangePasswordRequest) -> schemas.TokenResponse:
    caller = caller_from(app.current_event)
    return _tokens(
        service.credential_changes.change_password(
            caller, body.current_password, body.new_password, request_info(app.current_event)
        )
    )


@app.put(
    "/auth/login-id",
    summary="Change my login id",
    description="Needs a recent authentication (POST /auth/reauthenticate, 5 minutes).",
    tags=["auth"],
    responses=responses(401, 403, 409),
)
def change_login_id(body: schemas.ChangeLoginIdRequest) -> schemas.LoginIdResponse:
    caller = caller_from(app.current_event)
    return schemas.LoginIdResponse(
        login_id=service.credential_changes.change_login_id(caller, body.login_id, request_info(app.current_event))
    )


# Staff: assisted access ------------------------------------------------------------------------
def _grant(grant: Grant) -> schemas.GrantView:
    return schemas.GrantView(
        grant_id=grant.grant_id,
        customer_id=grant.customer_id,
        role=grant.role,
        reason=grant.reason,
        created_at=grant.created_at,
        expires_at=datetime.fromtimestamp(grant.expires_at, UTC),
        reference=grant.reference,
    )


@app.post(
    "/staff/assisted-access",
    summary="Open an assisted-access grant on a customer's space",
    description=(
        "Send its grant_id in the X-Assisted-Access header to act in the customer's space. Role conditions: the "
        "production / test team names an incident (incident_reference, INC-<digits>) that the operator's incident "
        "tracker says is open (any role that names an incident likewise); customer-service staff name an open request "
        "of the customer (ticket_id, a ticket of theirs); else 422 at that field (incident_not_open: closed or unknown "
        "to the tracker). 503 incident_tracker_unavailable: the tracker could not say (unreachable, slow, unreadable "
        "answer, or none configured): the grant is refused. The grant and its audit entry record the reference."
    ),
    tags=["staff"],
    responses=responses(
        401,
        403,
        404,
        503,
        success={201: {"description": "Granted", "content": {"application/json": {"model": schemas.GrantView}}}},
    ),
)
def grant_access(body: schemas.GrantRequest) -> Response[schemas.GrantView]:
    caller = caller_from(app.current_event)
    grant = grant_conditions.open_grant(
        caller,
        body.customer_id,
        body.reason,
        body.duration_minutes,
        request_info(app.current_event),
        incident_reference=body.incident_reference,
        ticket_id=body.ticket_id,
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=_grant(grant))


@app.get(
    "/staff/assisted-access", summary="My live assisted-access grants", tags=["staff"], responses=responses(401, 403)
)
def list_grants() -> schemas.GrantsResponse:
    return schemas.GrantsResponse(
        grants=[_grant(g) for g in service.staff_access.list_grants(caller_from(app.current_event))]
    )


@app.delete(
    "/staff/assisted-access/<grant_id>",
    summary="End an assisted-access grant",
    tags=["staff"],
    responses=responses(401, 403, 404, success=NO_CONTENT),
)
def end_grant(grant_id: Annotated[OpaqueId, Path()]) -> Response[Any]:
    service.staff_access.end_grant(caller_from(app.current_event), grant_id, request_info(app.current_event))
    return _no_content()


# Account unification (capability `account`, served here: it needs credentials and sessions) ---------------
LINK_CODE_ACCEPTED = "If an account matches and has a contact of that kind, a code has been sent to it."


@app.post(
    "/account/links/codes",
    summary="Ask for a code to link another customer account (sent to its contact)",
    description=(
        "Customers only. Needs a solved CAPTCHA (`captcha`, GET /auth/captcha; else 400 captcha_required). "
        "Sends a 6-digit code to the contact email (channel email) or contact mobile (channel "
        "sms) of the account the identifier names, saying who asks (masked) and that ignoring it is safe. The "
        "answer and its timing are the same whether the account exists or not. The code works once, for this "
        "customer and that account only, for 10 minutes, and dies after 5 wrong tries; a new request replaces "
        "it. At most 5 requests per customer per 24 hours (else 429). Your own identifier: 422 own_account. "
        "Needs an authentication of less than 5 minutes (POST /auth/reauthenticate): else 401 "
        "reauthentication_required."
    ),
    tags=["account"],
    responses=responses(
        400,
        401,
        403,
        429,
        success={
            202: {
                "description": "Accepted",
                "content": {"application/json": {"model": account_schemas.LinkCodeAcceptedView}},
            }
        },
    ),
)
def link_code(body: account_schemas.LinkCodeRequest) -> Response[account_schemas.LinkCodeAcceptedView]:
    caller, request = caller_from(app.current_event), request_info(app.current_event)
    links.request_code(caller, body.identifier, body.channel, request, body.captcha)
    accepted = account_schemas.LinkCodeAcceptedView(message=LINK_CODE_ACCEPTED, expires_in=links.policy.code_seconds)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


@app.post(
    "/account/links",
    summary="Link another customer account (proof: its credentials, or the code sent to its contact)",
    description=(
        "Customers only. Exactly one proof: `password` (the other account's credentials, checked and counted "
        "like a login: wrong ones answer 401 and count towards its lock and the address's block) or `code` "
        "(from POST /account/links/codes, with the same identifier: a wrong, spent or expired code, or a code "
        "asked for another account, answers 400 invalid_verification_code and counts as a wrong try). Both or "
        "neither: 422 at body.password and body.code. Needs an authentication of less than 5 minutes "
        "(POST /auth/reauthenticate): else 401 reauthentication_required. With `password`, the login's CAPTCHA: "
        + CAPTCHA_AFTER_FAILURES
    ),
    tags=["account"],
    responses=responses(
        400,
        401,
        403,
        404,
        409,
        429,
        success={201: {"description": "Linked", "content": {"application/json": {"model": account_schemas.LinkView}}}},
    ),
)
def link_account(body: Annotated[account_schemas.LinkRequest, Body()]) -> Response[account_schemas.LinkView]:
    caller, request = caller_from(app.current_event), request_info(app.current_event)
    if isinstance(body, account_schemas.LinkWithCode):
        link = links.link_with_code(caller, body.identifier, body.code, request)
    else:
        link = links.link(caller, body.identifier, body.password, request, body.captcha)
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=account_schemas.LinkView.of(link)
    )


@app.get("/account/links", summary="Linked accounts", tags=["account"], responses=responses(401, 403, 404))
def linked_accounts() -> account_schemas.LinkListView:
    found = links.list(caller_from(app.current_event), request_info(app.current_event))
    return account_schemas.LinkListView(links=[account_schemas.LinkView.of(link) for link in found])


@app.post(
    "/account/links/<account_number>/switch",
    summary="Switch to a linked account",
    description=(
        "Customers only. Opens a new session of the linked customer and answers its tokens; the new "
        "session keeps this one's authentication time (a switch never counts as a recent authentication)."
    ),
    tags=["account"],
    responses=responses(401, 403, 404),
)
def switch_account(account_number: Annotated[AccountNumber, Path()]) -> account_schemas.SwitchView:
    caller = caller_from(app.current_event)
    return account_schemas.SwitchView.of(links.switch(caller, account_number, request_info(app.current_event)))


@app.delete(
    "/account/links/<account_number>",
    summary="Unlink an account (both sides)",
    description=(
        "Customers only. Also revokes, in the same transaction, every session opened by a switch between the "
        "two accounts (either way) and every session switched to from one of those: their tokens answer 401 "
        "at once. 409 unlink_interrupted: switches kept racing the unlink; nothing changed, try again."
    ),
    tags=["account"],
    responses=responses(401, 403, 404, 409, success={204: {"description": "Unlinked"}}),
)
def unlink_account(account_number: Annotated[AccountNumber, Path()]) -> Response[Any]:
    links.unlink(caller_from(app.current_event), account_number, request_info(app.current_event))
    return _no_content()


# Digital-identity login: the link after a proof of control (capability `digital_identity`; served here because it
# is a login: the credentials are checked and counted by the AuthService) ------------------------------------------
digital_identity_links = build_links(
    sessions_table=settings.sessions_table,
    credentials_table=settings.credentials_table,
    connection_log_table=settings.connection_log_table,
    audit_log_table=settings.audit_log_table,
    customers_table=settings.customers_table,
    verifier=service.login,
    issuer=service.context.issuer,
)


@app.post(
    "/auth/digital-identity/link",
    summary="Link my digital identity to my account (first digital-identity login), and log in",
    description=(
        "With the link_ticket of the callback's link_required answer and the account's identifier and password: "
        "checked and counted like a login (401 invalid_credentials, lock and block as for logins). Then the digital "
        "identity is linked to the account, in one transaction with the session, the connection-log entry (with the "
        "digital-identity id) and the audit entry; the next digital-identity logins go straight in. 400 "
        "invalid_link_ticket: unknown, used or expired ticket; 409 digital_identity_already_linked: the account "
        "already has a digital identity, or this identity was linked meanwhile. The login's CAPTCHA: "
        + CAPTCHA_AFTER_FAILURES
    ),
    tags=["auth"],
    responses=responses(400, 401, 409, 429, success=TOKENS),
)
def link_digital_identity(body: DigitalIdentityLinkRequest) -> schemas.TokenResponse:
    tokens = digital_identity_links.link(
        body.link_ticket, body.identifier, body.password, request_info(app.current_event), body.captcha
    )
    return schemas.TokenResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        session_id=tokens.session_id,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
