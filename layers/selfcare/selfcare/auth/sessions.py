"""Sessions: refresh-token rotation (reuse revokes), logout, listing and revoking one's sessions."""

from __future__ import annotations

from datetime import datetime

from selfcare.api.context import RequestInfo
from selfcare.auth.core import AuthPart, Tokens
from selfcare.auth.models import (
    AuditEntry,
    Session,
)
from selfcare.auth.policy import Caller
from selfcare.auth.tokens import (
    RefreshToken,
    digest,
    new_secret,
    same_digest,
)
from selfcare.clock import epoch, iso
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.errors import (
    InvalidRefreshToken,
    NotFound,
)
from selfcare.observability import count, logger


class SessionService(AuthPart):
    """A principal's sessions."""

    # Refresh -----------------------------------------------------------------------------------
    def refresh(self, raw_token: str, request: RequestInfo) -> Tokens:
        """Rotate the refresh token. A token presented twice revokes the whole session."""
        now = self.clock.now()
        t = epoch(now)
        token = RefreshToken.parse(raw_token)
        if token is None:
            raise InvalidRefreshToken()
        session = self.sessions.get_session(token.session_id, t)
        if session is None or session.revoked:
            raise InvalidRefreshToken()
        presented = digest(token.secret)
        if same_digest(presented, session.refresh_digest):
            replacement = new_secret()
            try:
                self.sessions.rotate_refresh(session.session_id, presented, digest(replacement), iso(now))
            except ConditionFailed:
                # Another request rotated it first: the same token was used twice.
                self._revoke_for_reuse(session, request, now)
                raise InvalidRefreshToken() from None
            return self._tokens(session, t, replacement)
        if presented in session.used_refresh_digests:
            self._revoke_for_reuse(session, request, now)
        raise InvalidRefreshToken()

    def _revoke_for_reuse(self, session: Session, request: RequestInfo, now: datetime) -> None:
        at = iso(now)
        logger.warning("refresh token reused: session revoked", extra={"session_id": session.session_id})
        count("RefreshTokenReused")
        transact(
            [
                self.sessions.revoke_op(session.session_id, session.principal_key, at),
                self.logs.audit_op(
                    AuditEntry(
                        actor=session.principal_key,
                        on_behalf_of=session.principal_key,
                        action="session.revoked_on_refresh_reuse",
                        target=f"session#{session.session_id}",
                        at=at,
                        request_id=request.request_id,
                    ),
                    now,
                ),
            ]
        )

    # Sessions ----------------------------------------------------------------------------------
    def logout(self, caller: Caller, request: RequestInfo) -> None:
        self.revoke_session(caller, caller.session_id, request, action="session.logged_out")

    def list_sessions(self, caller: Caller) -> list[Session]:
        return self.sessions.live_sessions(caller.actor, epoch(self.clock.now()))

    def revoke_session(
        self, caller: Caller, session_id: str, request: RequestInfo, action: str = "session.revoked"
    ) -> None:
        now = self.clock.now()
        try:
            transact(
                [
                    self.sessions.revoke_op(session_id, caller.actor, iso(now)),
                    self.logs.audit_op(self._audit(caller, action, f"session#{session_id}", request, now), now),
                ]
            )
        except ConditionFailed:
            raise NotFound("No such session.") from None
