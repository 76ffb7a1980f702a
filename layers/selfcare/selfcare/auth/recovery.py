"""Password recovery: a code to the contact email, same answer and time either way; reset with it."""

from __future__ import annotations

import time

from selfcare.api.context import RequestInfo
from selfcare.auth import passwords as password_policy
from selfcare.auth.captcha import Captcha
from selfcare.auth.core import AuthContext, AuthPart, personal_identifiers
from selfcare.auth.models import (
    AuditEntry,
    RecoveryToken,
)
from selfcare.auth.policy import PrincipalType
from selfcare.auth.tokens import (
    digest,
    new_secret,
)
from selfcare.clock import epoch, iso
from selfcare.dal.credentials import login_key
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.errors import (
    InvalidRecoveryToken,
)
from selfcare.identifiers import customer_lookup_keys
from selfcare.observability import count, logger
from selfcare.ports.notifications import Notification


class RecoveryService(AuthPart):
    """Forgotten password."""

    def __init__(self, context: AuthContext, captcha: Captcha) -> None:
        super().__init__(context)
        self.captcha = captcha

    def forgot_password(self, identifier: str, captcha_payload: str | None, request: RequestInfo) -> None:
        """Same answer, same time, whether the account exists or not (the CAPTCHA, checked first, says nothing
        of the account)."""
        self.captcha.require(captcha_payload)
        started = time.monotonic()
        try:
            self._send_recovery(identifier, request)
        except Exception as error:  # noqa: BLE001 - the answer must not depend on what happened
            logger.error("password recovery failed", extra={"error_type": type(error).__name__})
        remaining = self.policy.recovery_response_floor_ms / 1000 - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)

    def _send_recovery(self, identifier: str, request: RequestInfo) -> None:
        now = self.clock.now()
        t = epoch(now)
        keys = [login_key(kind, value) for kind, value in customer_lookup_keys(identifier)]
        lookup = self.credentials.lookup(keys, request.source_ip, t)
        principal_id = next((lookup.principals[k] for k in keys if k in lookup.principals), None)
        if principal_id is None:
            return
        credential = self.credentials.get(principal_id)
        if credential is None or credential.principal_type is not PrincipalType.CUSTOMER:
            return
        # The recovery address is the record's current contact email (it moves with the customer's changes).
        profile = self.customers.get_profile(principal_id)
        address = profile.contact_email if profile else None
        if not address:
            return
        policy = self.policy
        if not self.sessions.count_request(
            f"recovery#{principal_id}", t, policy.recovery_emails_per_window, policy.recovery_window_seconds
        ):
            logger.info("password recovery not sent: per-account limit", extra={"reason": "recovery_limit"})
            count("RecoveryLimited")
            return
        secret = new_secret()
        self.sessions.put_recovery(digest(secret), RecoveryToken(principal_id, t + self.policy.recovery_token_seconds))
        minutes = self.policy.recovery_token_seconds // 60
        self.notifier.send(
            Notification(
                to=address,
                kind="password_recovery",
                subject="Reset your Selfcare password",
                body=(
                    "Someone asked to reset the password of your customer space.\n\n"
                    f"To choose a new password, open {self.policy.password_reset_url}?token={secret}\n"
                    f"or enter this code in the app: {secret}\n\n"
                    f"The link works once and expires in {minutes} minutes. "
                    "If you did not ask for it, ignore this message: your password stays as it is."
                ),
            )
        )

    def reset_password(self, token: str, new: str, request: RequestInfo) -> None:
        now = self.clock.now()
        t = epoch(now)
        token_digest = digest(token)
        recovery = self.sessions.get_recovery(token_digest, t)
        if recovery is None:
            raise InvalidRecoveryToken()
        credential = self.credentials.get(recovery.principal_id)
        if credential is None:
            raise InvalidRecoveryToken()
        password_policy.check_policy(new, personal=personal_identifiers(credential))
        principal = credential.principal_key
        try:
            transact(
                [
                    self.sessions.consume_recovery_op(token_digest, t),
                    self.credentials.password_op(credential.principal_id, self.passwords.hash(new), t),
                    self.logs.audit_op(
                        AuditEntry(
                            actor=principal,
                            on_behalf_of=principal,
                            action="password.reset",
                            target=principal,
                            at=iso(now),
                            request_id=request.request_id,
                        ),
                        now,
                    ),
                ]
            )
        except ConditionFailed:
            raise InvalidRecoveryToken() from None
        self._revoke_all(principal, keep=None, now=now)
