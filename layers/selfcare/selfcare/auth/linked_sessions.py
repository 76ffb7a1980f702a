"""Sessions of linked customer accounts (unification): switching, and revoking what a link held."""

from __future__ import annotations

from dataclasses import replace

from selfcare.account.models import AccountLink, SessionRef, SwitchedSession, SwitchOrigin
from selfcare.api.context import RequestInfo
from selfcare.auth.core import AuthContext, AuthPart, Tokens
from selfcare.auth.login import LoginService
from selfcare.auth.policy import Caller, PrincipalType, require_customer
from selfcare.clock import epoch, iso
from selfcare.dal import account as account_records
from selfcare.dal.dynamo import ConditionFailed, RawItem, transact
from selfcare.errors import (
    AccountClosed,
    NotFound,
    Unauthenticated,
)

# A link side forgets its expired switched sessions once it holds this many (one extra write, now and then).
SWITCHED_SESSIONS_PRUNE_AT = 20


class LinkedSessions(AuthPart):
    """What account unification (selfcare.account.links.AccountAuth) needs from auth: the proofs of control
    (from login) and the sessions opened by a switch."""

    def __init__(self, context: AuthContext, login: LoginService) -> None:
        super().__init__(context)
        self.login = login

    def verify_customer_credentials(
        self, identifier: str, password: str, request: RequestInfo, captcha: str | None = None
    ) -> str:
        return self.login.verify_customer_credentials(identifier, password, request, captcha)

    def find_customer(self, identifier: str, request: RequestInfo) -> str | None:
        return self.login.find_customer(identifier, request)

    def open_linked_session(self, caller: Caller, link: AccountLink, request: RequestInfo) -> Tokens:
        """A new session of a linked customer account (the caller read the link): a session like a login's,
        listed and revocable, but carrying the caller's auth_time: switching never makes an authentication
        recent. It records where it came from (the caller's customer and session), and the switch is recorded on
        the caller's session and on the link side, in the same transaction: it fails if either is gone (revoked,
        unlinked), and an unlink finds the new session, or sees that it raced it (selfcare.account.links)."""
        me = require_customer(caller)
        now = self.clock.now()
        t = epoch(now)
        customer_id = link.linked_customer_id
        credential = self.credentials.get(customer_id)
        if credential is None or credential.principal_type is not PrincipalType.CUSTOMER:
            raise NotFound()
        if credential.account_closed:
            # Retention: the linked space is hidden (hide step); it opens no session, whichever way in.
            raise AccountClosed()
        expired = {ref for ref in link.switched_sessions if ref.expires_at <= t}
        if len(expired) >= SWITCHED_SESSIONS_PRUNE_AT:
            account_records.forget_switched_sessions(self.customers.table, link, expired)
        session, refresh = self._new_session(credential, request, t)
        session = replace(session, auth_time=caller.auth_time)
        opened = SessionRef(session.session_id, session.expires_at)
        try:
            transact(
                [
                    self.sessions.put_session_op(session, SwitchOrigin(me, caller.session_id)),
                    self.sessions.switch_from_op(caller.session_id, caller.actor, t, opened),
                    account_records.link_switch_op(self.customers.table, me, link.linked_account_number, opened),
                    self.logs.audit_op(
                        self._audit(caller, "account.switched", f"customer#{customer_id}", request, now), now
                    ),
                ]
            )
        except ConditionFailed as failed:
            if failed.index == 1:
                raise Unauthenticated() from None  # this session was revoked meanwhile
            raise NotFound("No such linked account.") from None
        return self._tokens(session, t, refresh)

    def linked_session_revocations(self, sides: list[AccountLink]) -> list[RawItem]:
        """Operations that revoke every live session depending on a link (`sides`: its sides, as just read): the
        sessions opened by a switch from either side, and, transitively, those opened by a switch from one of
        those. Followed with consistent reads of the link sides and of the sessions (never the principal index,
        which lags). Each revocation is conditioned on the switches made from that session since it was read: a
        switch made meanwhile fails the transaction (the unlink then starts again), so none escapes."""
        now = self.clock.now()
        return [
            self.sessions.revoke_switched_op(s, iso(now))
            for s in self._switched_from(sides, epoch(now))
            if not s.revoked
        ]

    def _switched_from(self, sides: list[AccountLink], t: int) -> list[SwitchedSession]:
        found: dict[str, SwitchedSession] = {}
        refs = {ref for side in sides for ref in side.switched_sessions}
        while refs:
            # Revoked ones are followed too: they may have opened others before they were revoked.
            sessions = [s for s in self.sessions.switched_sessions(refs, t) if s.session_id not in found]
            found |= {s.session_id: s for s in sessions}
            refs = {ref for s in sessions for ref in s.switched_to if ref.session_id not in found}
        return list(found.values())
