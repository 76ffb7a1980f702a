"""Activation of the web account (first access) of a customer known to the CRM read model.

Step 1 (`request_code`): an account number or a line number, and a solved CAPTCHA. The answer is the same, and
never comes sooner than a floor, whether the account exists, is already active, is terminated or not. When it
names a customer without a credential, a code goes to the contact email held in the record (else its contact
mobile): never an address the caller gives. Codes: 8 digits, stored as a digest bound to the customer, single
use, 15 minutes, 5 wrong tries; at most 5 codes per identifier and 24 hours.

Step 2 (`activate`): the identifier, the code and a new password (the password policy). One transaction spends
the code, creates the credential and its login keys (derived from the record: contact email and mobile, line
numbers, account number), checks that the record is the one read and not terminated, opens a session and
writes the connection-log and audit entries. A login key already held by another credential: 409, nothing
written (never a takeover).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from selfcare.api.context import RequestInfo
from selfcare.auth import passwords as password_policy
from selfcare.auth.captcha import Captcha
from selfcare.auth.core import AuthContext, AuthPart, Tokens, personal_identifiers
from selfcare.auth.models import AuditEntry, Credential
from selfcare.auth.policy import PrincipalType
from selfcare.clock import epoch, iso
from selfcare.dal.activation import ActivationRepository, PendingActivation
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.errors import IdentifierTaken, InvalidActivationCode
from selfcare.identifiers import IdentifierKind, customer_lookup_keys
from selfcare.observability import count, logger
from selfcare.ports.notifications import Notification, Sms, SmsSender


@dataclass(frozen=True)
class ActivationPolicy:
    code_digits: int = 8
    code_seconds: int = 15 * 60
    max_attempts: int = 5
    codes_per_window: int = 5
    window_seconds: int = 24 * 3600
    response_floor_ms: int = 600


def identifier_digest(kind: IdentifierKind, value: str) -> str:
    return hashlib.sha256(f"activation:{kind.value}:{value}".encode()).hexdigest()


def activation_code_digest(customer_id: str, code: str) -> str:
    return hashlib.sha256(f"activation:{customer_id}:{code}".encode()).hexdigest()


def _identifier(raw: str) -> tuple[IdentifierKind, str] | None:
    """An account number or a line number (any usual form of a phone number): the first that applies."""
    for kind, value in customer_lookup_keys(raw):
        if kind in (IdentifierKind.ACCOUNT_NUMBER, IdentifierKind.PHONE):
            return kind, value
    return None


class ActivationService(AuthPart):
    def __init__(
        self,
        context: AuthContext,
        *,
        records: ActivationRepository,
        captcha: Captcha,
        sms: SmsSender,
        policy: ActivationPolicy,
    ) -> None:
        super().__init__(context)
        self.records = records
        self.captcha = captcha
        self.sms = sms
        self.activation = policy

    # Step 1 ----------------------------------------------------------------------------------------
    def request_code(self, identifier: str, captcha_payload: str | None) -> None:
        """Same answer, same time, whatever the account (the CAPTCHA is checked first: it says nothing of it)."""
        self.captcha.require(captcha_payload)
        started = time.monotonic()
        try:
            self._send_code(identifier)
        except Exception as error:  # noqa: BLE001 - the answer must not depend on what happened
            logger.error("activation code failed", extra={"error_type": type(error).__name__})
        remaining = self.activation.response_floor_ms / 1000 - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)

    def _send_code(self, raw: str) -> None:
        found = _identifier(raw)
        if found is None:
            return
        kind, value = found
        t = epoch(self.clock.now())
        if kind is IdentifierKind.ACCOUNT_NUMBER:
            profile = self.records.customer_by_account_number(value)  # Query 1
        else:
            customer_id = self.records.customer_id_by_line_number(value)
            profile = self.customers.get_profile(customer_id) if customer_id else None
        if profile is None or profile.terminated_at is not None:
            logger.info("activation code not sent", extra={"reason": "no_active_record"})
            return
        if self.credentials.get(profile.customer_id) is not None:  # GetItem 2
            logger.info("activation code not sent", extra={"reason": "already_active"})
            return
        if not profile.contact_email and not profile.contact_mobile:
            logger.info("activation code not sent", extra={"reason": "no_contact", "customer_id": profile.customer_id})
            return
        policy = self.activation
        code = f"{secrets.randbelow(10**policy.code_digits):0{policy.code_digits}d}"
        pending = PendingActivation(
            identifier_digest=identifier_digest(kind, value),
            customer_id=profile.customer_id,
            code_digest=activation_code_digest(profile.customer_id, code),
            code_expires_at=t + policy.code_seconds,
            attempts=0,
        )
        if not self.records.put_code(pending, t, policy.codes_per_window, policy.window_seconds):  # Write 3
            logger.info("activation code not sent", extra={"reason": "limit", "customer_id": profile.customer_id})
            count("ActivationCodeLimited")
            return
        minutes = policy.code_seconds // 60
        if profile.contact_email:
            self.notifier.send(
                Notification(
                    to=profile.contact_email,
                    kind="activation_code",
                    subject="Activate your customer space",
                    body=(
                        f"Your activation code: {code}\n\n"
                        f"Enter it within {minutes} minutes to choose the password of your customer space. "
                        "It works once. If you did not ask for it, ignore this message: nothing changes."
                    ),
                )
            )
        else:
            assert profile.contact_mobile
            self.sms.send_sms(
                Sms(
                    to=profile.contact_mobile,
                    kind="activation_code",
                    body=f"Selfcare: your activation code is {code}. Valid {minutes} min, once.",
                )
            )
        logger.info("activation code sent", extra={"customer_id": profile.customer_id})
        count("ActivationCodeSent")

    # Step 2 ----------------------------------------------------------------------------------------
    def activate(self, identifier: str, code: str, password: str, request: RequestInfo) -> Tokens:
        now = self.clock.now()
        t = epoch(now)
        found = _identifier(identifier)
        if found is None:
            raise InvalidActivationCode()
        pending = self.records.get_code(identifier_digest(*found), t)  # GetItem 1
        if pending is None or pending.attempts >= self.activation.max_attempts:
            raise InvalidActivationCode()
        if not hmac.compare_digest(pending.code_digest, activation_code_digest(pending.customer_id, code)):
            self.records.count_failure(pending)
            logger.info("activation code refused", extra={"customer_id": pending.customer_id})
            raise InvalidActivationCode()
        profile, numbers, version = self.records.customer_with_lines(pending.customer_id)  # Query 2
        if profile is None or profile.terminated_at is not None:
            raise InvalidActivationCode()
        credential = Credential(
            principal_type=PrincipalType.CUSTOMER,
            principal_id=profile.customer_id,
            password_hash="",
            password_changed_at=t,
            email=profile.contact_email,
            phone=profile.contact_mobile,
            account_number=profile.account_number,
            line_numbers=tuple(numbers),
        )
        password_policy.check_policy(password, field="password", personal=personal_identifiers(credential))
        credential = Credential(**{**vars(credential), "password_hash": self.passwords.hash(password)})
        session, refresh = self._new_session(credential, request, t)
        creation = self.credentials.create_ops(credential)
        principal = credential.principal_key
        ops = [
            self.records.consume_op(pending, t, self.activation.max_attempts),
            self.records.record_unchanged_check(profile.customer_id, version),
            *creation,
            self.sessions.put_session_op(session),
            self.logs.connection_op(
                self._connection(PrincipalType.CUSTOMER, identifier.strip(), credential, True, now), now
            ),
            self.logs.audit_op(
                AuditEntry(
                    actor=principal,
                    on_behalf_of=principal,
                    action="account.activated",
                    target=principal,
                    at=iso(now),
                    request_id=request.request_id,
                ),
                now,
            ),
        ]
        try:
            transact(ops)  # Write 3
        except ConditionFailed as failed:
            if failed.index is not None and 3 <= failed.index < 2 + len(creation):
                logger.info("activation refused", extra={"reason": "login_key_taken", "customer_id": principal})
                raise IdentifierTaken() from None
            # The code was spent meanwhile, the record changed or ended, or the credential exists already.
            raise InvalidActivationCode() from None
        logger.info("account activated", extra={"customer_id": profile.customer_id, "session_id": session.session_id})
        count("AccountActivated")
        return self._tokens(session, t, refresh)
