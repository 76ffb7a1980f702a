"""The authorizer's logic: bearer token -> verified claims -> live session (and grant) -> Caller.

One DynamoDB read per request (BatchGetItem of the session and, for staff, the grant named in the
X-Assisted-Access header). The session check is what makes logout immediate: API Gateway does not
cache the answer (definitions.AUTHORIZER_CACHE_TTL_SECONDS = 0).
"""

from __future__ import annotations

from dataclasses import replace

from selfcare.auth.context import authorizer_context, caller_from_context
from selfcare.auth.policy import Caller, PrincipalType
from selfcare.auth.tokens import TokenVerifier
from selfcare.clock import Clock, SystemClock, epoch
from selfcare.config import AuthorizerSettings
from selfcare.dal.sessions import SessionsRepository
from selfcare.errors import AccountClosed, Forbidden, Unauthenticated
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
        if session is None or session.principal_key != caller.actor:
            raise Unauthenticated()
        if session.account_closed:  # retention: revoked by the hide step, answered as closed
            raise AccountClosed()
        if not session.is_live(now):
            raise Unauthenticated()
        if grant_id is None:
            return caller
        if grant is None or grant.staff_id != caller.principal_id:
            raise Forbidden("No live assisted-access grant of yours has this id.")
        if grant.account_closed:  # retention: the customer's space was hidden while the grant was live
            raise AccountClosed()
        if not grant.is_live(now):
            raise Forbidden("No live assisted-access grant of yours has this id.")
        return replace(caller, customer_id=grant.customer_id, grant_id=grant.grant_id, grant_reference=grant.reference)


__all__ = ["RequestAuthorizer", "authorizer_context", "caller_from_context"]
