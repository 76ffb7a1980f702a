"""Capability `digital_identity`: sign-in through OpenID Connect providers, and the customer's link.

- Customers: the government digital identity (POST /auth/digital-identity/authorizations, then the provider
  redirects the browser to GET /auth/digital-identity/callback). A first login answers link_required: the link
  itself (a proof of control of the account, counted like a login) is POST /auth/digital-identity/link, served
  by the `auth` function. GET and DELETE /account/digital-identity: see and remove the link.
- Staff: the operator's identity provider (POST /staff/auth/directory/authorizations, then GET
  /staff/auth/directory/callback): the role comes from the directory's groups.
Thin: each route validates its input, makes one call into the logic, maps the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver, no_content
from selfcare.auth import digital_identity_schemas as schemas
from selfcare.auth.digital_identity import IssuedTokens, LinkRequired, Started
from selfcare.auth.digital_identity_wiring import build_customer_login, build_links, build_staff_login
from selfcare.auth.schemas import TokenResponse
from selfcare.config import DigitalIdentitySettings
from selfcare.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = DigitalIdentitySettings.from_env()
customers = build_customer_login(settings)
staff = build_staff_login(settings)
links = build_links(
    sessions_table=settings.sessions_table,
    credentials_table=settings.credentials_table,
    connection_log_table=settings.connection_log_table,
    audit_log_table=settings.audit_log_table,
)
app = create_resolver()

STARTED = {
    201: {
        "description": "Attempt started",
        "content": {"application/json": {"model": schemas.DigitalIdentityAuthorizationView}},
    }
}
TOKENS = {200: {"description": "Tokens", "content": {"application/json": {"model": TokenResponse}}}}
CodeQuery = Annotated[
    str | None, Query(max_length=2048, description="The authorization code (absent when the provider answers error)")
]
StateQuery = Annotated[str, Query(min_length=20, max_length=200, description="The attempt's state")]
ErrorQuery = Annotated[str | None, Query(max_length=64, description="The provider's error code, if any")]


def _started(started: Started) -> Response[schemas.DigitalIdentityAuthorizationView]:
    view = schemas.DigitalIdentityAuthorizationView(
        authorization_url=started.authorization_url, state=started.state, expires_in=started.expires_in
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)


def _tokens(tokens: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        session_id=tokens.session_id,
    )


# Customers: the government digital identity ----------------------------------------------------------------
@app.post(
    "/auth/digital-identity/authorizations",
    summary="Start a digital-identity login (customer)",
    description=(
        "Answers the provider's authorize URL (authorization code flow, PKCE S256, state, nonce, acr_values: the "
        "accepted assurance levels). The attempt is kept server-side for 10 minutes and completes once."
    ),
    tags=["auth"],
    responses=responses(503, success=STARTED),
)
def start_customer() -> Response[schemas.DigitalIdentityAuthorizationView]:
    return _started(customers.start())


@app.get(
    "/auth/digital-identity/callback",
    summary="Digital-identity login: the provider's redirect (customer)",
    description=(
        "The provider redirects the browser here with code and state. The state is spent at the first call (400 "
        "invalid_authorization_state for an unknown, used or expired one); the code is redeemed with the PKCE "
        "verifier and the ID token verified (signature, issuer, audience, dates, nonce: else 401 "
        "digital_identity_refused; an assurance level below the minimum: 401 assurance_level_too_low). A linked "
        "person is logged in (outcome logged_in, tokens); the first login of a person answers link_required with a "
        "link_ticket (10 minutes, once) for POST /auth/digital-identity/link."
    ),
    tags=["auth"],
    responses=responses(
        400,
        401,
        503,
        success={
            200: {
                "description": "Logged in, or link required",
                "content": {"application/json": {"model": schemas.DigitalIdentityCallbackView}},
            }
        },
    ),
)
def customer_callback(
    state: StateQuery, code: CodeQuery = None, error: ErrorQuery = None
) -> schemas.DigitalIdentityCallbackView:
    del error  # the provider's error code is not trusted for anything: no code means refused
    outcome = customers.complete(code, state, request_info(app.current_event))
    if isinstance(outcome, LinkRequired):
        return schemas.DigitalIdentityCallbackView(
            outcome="link_required", link_ticket=outcome.link_ticket, link_expires_in=outcome.expires_in
        )
    return schemas.DigitalIdentityCallbackView(
        outcome="logged_in",
        access_token=outcome.access_token,
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_in=outcome.expires_in,
        refresh_token=outcome.refresh_token,
        session_id=outcome.session_id,
    )


@app.get(
    "/account/digital-identity",
    summary="The digital identity linked to my account",
    tags=["account"],
    responses=responses(
        401,
        403,
        success={
            200: {
                "description": "The link, if any",
                "content": {"application/json": {"model": schemas.DigitalIdentityLinkView}},
            }
        },
    ),
)
def view_link() -> schemas.DigitalIdentityLinkView:
    link = links.view(caller_from(app.current_event))
    if link is None:
        return schemas.DigitalIdentityLinkView(linked=False)
    return schemas.DigitalIdentityLinkView(
        linked=True,
        digital_identity_id=link.claims.subject,
        given_name=link.claims.given_name,
        family_name=link.claims.family_name,
        birth_date=link.claims.birth_date,
        linked_at=link.linked_at,
    )


@app.delete(
    "/account/digital-identity",
    summary="Remove the digital identity linked to my account",
    description="Customers only. The next digital-identity login of that person needs a proof of control again.",
    tags=["account"],
    responses=responses(401, 403, 404, success={204: {"description": "Unlinked"}}),
)
def remove_link() -> Response[Any]:
    links.unlink(caller_from(app.current_event), request_info(app.current_event))
    return no_content()


# Staff: the operator's identity provider (the directory) -----------------------------------------------------
@app.post(
    "/staff/auth/directory/authorizations",
    summary="Start a staff sign-in at the operator's identity provider",
    description="Answers the provider's authorize URL (authorization code flow, PKCE S256, state, nonce).",
    tags=["staff"],
    responses=responses(503, success=STARTED),
)
def start_staff() -> Response[schemas.DigitalIdentityAuthorizationView]:
    return _started(staff.start())


@app.get(
    "/staff/auth/directory/callback",
    summary="Staff sign-in: the provider's redirect",
    description=(
        "As the customers' callback. The role comes from the directory's groups claim (403 staff_role_not_granted "
        "when no group, or groups of different roles, map to a role). The session lasts as long as its access "
        "token (15 minutes) and has no refresh token: signing in again asks the directory again."
    ),
    tags=["staff"],
    responses=responses(400, 401, 403, 503, success=TOKENS),
)
def staff_callback(state: StateQuery, code: CodeQuery = None, error: ErrorQuery = None) -> TokenResponse:
    del error
    return _tokens(staff.complete(code, state, request_info(app.current_event)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
