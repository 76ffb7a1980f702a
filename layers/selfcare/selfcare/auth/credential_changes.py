"""Changes to one's own credential: password (other sessions revoked) and login id."""

from __future__ import annotations

from dataclasses import replace

from selfcare.api.context import RequestInfo
from selfcare.auth import passwords as password_policy
from selfcare.auth.core import AuthPart, Tokens, personal_identifiers
from selfcare.auth.policy import Caller, require_customer
from selfcare.clock import epoch
from selfcare.dal.credentials import login_key
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.errors import (
    FieldProblem,
    IdentifierTaken,
    InvalidCredentials,
    InvalidInput,
    NotFound,
)
from selfcare.identifiers import IdentifierKind


class CredentialChanges(AuthPart):
    """A principal changing their own password or login id."""

    # Passwords ---------------------------------------------------------------------------------
    def change_password(self, caller: Caller, current: str, new: str, request: RequestInfo) -> Tokens:
        """Change one's own password; every other session is revoked; a fresh access token."""
        now = self.clock.now()
        t = epoch(now)
        credential = self.credentials.get(caller.principal_id)
        if credential is None:
            raise InvalidCredentials()
        if credential.locked_until > t or not self.passwords.verify(credential.password_hash, current):
            lock = self.policy.throttle.account_lock_seconds(credential.failed_attempts + 1)
            transact(
                [self.credentials.failure_op(credential.principal_id, t + lock if lock else credential.locked_until)]
            )
            raise InvalidInput(
                [
                    FieldProblem(
                        ("body", "current_password"),
                        "The current password is not correct.",
                        "invalid_password",
                    )
                ]
            )
        if new == current:
            raise InvalidInput(
                [
                    FieldProblem(
                        ("body", "new_password"),
                        "The new password must differ from the current one.",
                        "same_password",
                    )
                ]
            )
        password_policy.check_policy(new, personal=personal_identifiers(credential))
        transact(
            [
                self.credentials.password_op(credential.principal_id, self.passwords.hash(new), t),
                self.sessions.reauthenticate_op(caller.session_id, caller.actor, t),
                self.logs.audit_op(self._audit(caller, "password.changed", caller.actor, request, now), now),
            ]
        )
        self._revoke_all(caller.actor, keep=caller.session_id, now=now)
        session = self.sessions.get_session(caller.session_id, t)
        if session is None:
            raise InvalidCredentials()
        # The password is new: whatever expiry the session carried is over.
        fresh = replace(session, password_expired=False)
        return self._tokens(fresh, t, auth_time=t)

    # Login identifier --------------------------------------------------------------------------
    def change_login_id(self, caller: Caller, new_login_id: str, request: RequestInfo) -> str:
        customer_id = require_customer(caller)
        self._require_recent(caller)
        now = self.clock.now()
        credential = self.credentials.get(customer_id)
        if credential is None:
            raise NotFound()
        if credential.login_id == new_login_id:
            return new_login_id
        ops = [self.credentials.login_put_op(login_key(IdentifierKind.LOGIN_ID, new_login_id), credential)]
        if credential.login_id:
            ops.append(
                self.credentials.login_delete_op(login_key(IdentifierKind.LOGIN_ID, credential.login_id), customer_id)
            )
        ops.append(self.credentials.login_id_op(customer_id, new_login_id))
        ops.append(self.logs.audit_op(self._audit(caller, "login_id.changed", caller.actor, request, now), now))
        try:
            transact(ops)
        except ConditionFailed as failure:
            if failure.index == 0:
                raise IdentifierTaken() from None
            raise
        return new_login_id
