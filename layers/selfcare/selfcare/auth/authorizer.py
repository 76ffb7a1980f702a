"""The authorizer's logic: bearer token -> verified claims -> live session (and grant) -> Caller.

One DynamoDB read per request (BatchGetItem of the session and, for staff, the grant named in the
X-Assisted-Access header). The session check is what makes logout immediate: API Gateway does not
cache the answer (definitions.AUTHORIZER_CACHE_TTL_SECONDS = 0).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from selfcare.auth.policy import Caller, PrincipalType, StaffRole
from selfcare.auth.tokens import TokenVerifier
from selfcare.clock import Clock, SystemClock, epoch
from selfcare.config import AuthorizerSettings
from selfcare.dal.sessions import SessionsRepository
from selfcare.errors import Forbidden, Unauthenticated
from selfcare.ports.keys import SsmPublicKeys


class RequestAuthorizer:
    def __init__(self, verifier: TokenVerifier, sessions: SessionsRepository, clock: Clock) -> None:
        self.verifier = verifier
        self.sessions = sessions
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: AuthorizerSettings) -> RequestAuthorizer:
        verifier = TokenVerifier(
            SsmPublicKeys(settings.public_keys_parameter), settings.jwt_issuer, settings.jwt_audience
        )
        return cls(verifier, SessionsRepository(settings.sessions_table), SystemClock())

    def authorize(self, authorization: str | None, grant_id: str | None) -> Caller:
        if not authorization:
            raise Unauthenticated()
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated()
        claims = self.verifier.verify(token.strip())
        caller = claims.caller()
        if grant_id is not None and caller.principal_type is not PrincipalType.STAFF:
            raise Forbidden("Assisted access is for staff.")
        now = epoch(self.clock.now())
        session, grant = self.sessions.session_and_grant(claims.session_id, grant_id, now)
        if session is None or not session.is_live(now) or session.principal_key != caller.actor:
            raise Unauthenticated()
        if grant_id is None:
            return caller
        if grant is None or not grant.is_live(now) or grant.staff_id != caller.principal_id:
            raise Forbidden("No live assisted-access grant of yours has this id.")
        return replace(caller, customer_id=grant.customer_id, grant_id=grant.grant_id)


def authorizer_context(caller: Caller) -> dict[str, str | int | bool]:
    """What the authorizer hands to API Gateway (values must be strings, numbers or booleans)."""
    context: dict[str, str | int | bool] = {
        "principal_type": caller.principal_type.value,
        "principal_id": caller.principal_id,
        "session_id": caller.session_id,
        "auth_time": caller.auth_time,
        "password_expired": caller.password_expired,
    }
    if caller.customer_id:
        context["customer_id"] = caller.customer_id
    if caller.role:
        context["role"] = caller.role.value
    if caller.grant_id:
        context["grant_id"] = caller.grant_id
    return context


def caller_from_context(raw: dict[str, Any]) -> Caller:
    """The inverse of authorizer_context, from what API Gateway passes on (every value a string)."""
    try:
        return Caller(
            principal_type=PrincipalType(raw["principal_type"]),
            principal_id=str(raw["principal_id"]),
            session_id=str(raw["session_id"]),
            auth_time=int(raw["auth_time"]),
            customer_id=raw.get("customer_id") or None,
            role=StaffRole(raw["role"]) if raw.get("role") else None,
            grant_id=raw.get("grant_id") or None,
            password_expired=str(raw.get("password_expired", "false")).lower() == "true",
        )
    except (KeyError, ValueError) as error:
        raise Unauthenticated() from error
