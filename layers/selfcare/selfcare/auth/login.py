"""Login: customers' and staff passwords, failures counted per account, per source address and per typed
identifier (the CAPTCHA after repeated failures), recent authentication, proofs of control of another account."""

from __future__ import annotations

from datetime import datetime

from selfcare.api.context import RequestInfo
from selfcare.auth.captcha import Captcha
from selfcare.auth.core import NO_PRINCIPAL, AuthContext, AuthPart, Tokens
from selfcare.auth.models import (
    Credential,
)
from selfcare.auth.policy import Caller, PrincipalType
from selfcare.clock import epoch
from selfcare.dal.credentials import AddressThrottle, FailureCounter, Lookup, login_key
from selfcare.dal.dynamo import ConditionFailed, RawItem, transact
from selfcare.errors import (
    AccountClosed,
    CaptchaRequired,
    InvalidCredentials,
    TooManyRequests,
)
from selfcare.identifiers import IdentifierKind, customer_lookup_keys, normalize_email
from selfcare.observability import count, logger


def counted_identifier(keys: list[str], login_used: str) -> str:
    """What the failure counter of a typed identifier is keyed by (through a keyed digest): its normalised lookup
    keys, so that two spellings of one phone number share a counter, and an unknown identifier counts alike."""
    return "|".join(keys) or "raw#" + login_used.lower()


class LoginService(AuthPart):
    """Password logins and proofs: every attempt is in the connection log."""

    def __init__(self, context: AuthContext, captcha: Captcha) -> None:
        super().__init__(context)
        self.captcha = captcha

    # Login -------------------------------------------------------------------------------------
    def login_customer(
        self, identifier: str, password: str, request: RequestInfo, captcha: str | None = None
    ) -> Tokens:
        keys = [login_key(kind, value) for kind, value in customer_lookup_keys(identifier)]
        return self._login(PrincipalType.CUSTOMER, keys, identifier.strip(), password, request, captcha)

    def login_staff(self, email: str, password: str, request: RequestInfo, captcha: str | None = None) -> Tokens:
        keys = [login_key(IdentifierKind.STAFF_EMAIL, normalize_email(email))]
        return self._login(PrincipalType.STAFF, keys, normalize_email(email), password, request, captcha)

    def _login(
        self,
        principal_type: PrincipalType,
        keys: list[str],
        login_used: str,
        password: str,
        request: RequestInfo,
        captcha: str | None,
    ) -> Tokens:
        now = self.clock.now()
        t = epoch(now)
        counted = counted_identifier(keys, login_used)
        # Read 1: the identifier's principal, the source address's throttle state, the identifier's failures.
        lookup = self.credentials.lookup(keys, request.source_ip, t, identifier=counted)
        principal_id = next((lookup.principals[k] for k in keys if k in lookup.principals), NO_PRINCIPAL)
        if lookup.address.blocked_until > t:
            transact([self.logs.connection_op(self._connection(principal_type, login_used, None, False, now), now)])
            count("LoginRefusedForSourceAddress")
            raise TooManyRequests(lookup.address.blocked_until - t)
        # The CAPTCHA after repeated failures: decided on counters that exist alike for known and unknown
        # identifiers, before anything about the account is read, so the answer tells nothing of it.
        solved = self._captcha_if_needed(principal_type, lookup, login_used, captcha)
        # Read 2: the credential (also when nothing matched: same reads, same hashing work).
        credential = self.credentials.get(principal_id)
        if credential is not None and credential.principal_type is not principal_type:
            credential = None
        password_ok = self.passwords.verify(credential.password_hash if credential else None, password)
        locked = credential is not None and credential.locked_until > t
        if credential is None or not password_ok or locked:
            # Write: one transaction (log entry, account counter, address and identifier counters).
            self._record_failure(principal_type, credential, login_used, lookup, counted, request, now, solved)
            raise InvalidCredentials()
        if credential.account_closed:
            # Retention: the right password of a closed space (hide step) is told so; no session. A wrong one
            # answered above like any wrong password. Logged as a failed attempt (no session opened).
            transact(
                [self.logs.connection_op(self._connection(principal_type, login_used, credential, False, now), now)]
            )
            count("LoginRefusedAccountClosed")
            raise AccountClosed()
        session, refresh = self._new_session(credential, request, t)
        new_hash = self.passwords.hash(password) if self.passwords.needs_rehash(credential.password_hash) else None
        # Write: one transaction (session, log entry, counters reset).
        ops = [
            self.sessions.put_session_op(session),
            self.logs.connection_op(self._connection(principal_type, login_used, credential, True, now), now),
            self.credentials.success_op(credential.principal_id, new_hash),
        ]
        if lookup.identifier.failures:  # this identifier's failures are forgotten; other identifiers' are not
            ops.append(self.credentials.identifier_reset_op(counted))
        if solved and lookup.address.failures > lookup.address.cleared:
            # The address's failures so far are covered by the solved CAPTCHA (they still count towards its block):
            # no new challenge from this address until failures recur.
            ops.append(self.credentials.address_cleared_op(request.source_ip, lookup.address.failures))
        transact(ops)
        logger.info(
            "login succeeded",
            extra={"principal_type": principal_type.value, "session_id": session.session_id},
        )
        count("LoginSucceeded")
        return self._tokens(session, t, refresh)

    def _captcha_if_needed(
        self,
        principal_type: PrincipalType,
        lookup: Lookup,
        login_used: str,
        captcha: str | None,
    ) -> bool:
        """True when a CAPTCHA was needed and solved; raises CaptchaRequired when needed and not solved (one
        connection-log entry, no counter moves: the password was not tried). A solution sent when none is needed
        is left unused."""
        throttle = self.policy.throttle
        if not (
            throttle.captcha_needed(lookup.address.failures, lookup.address.cleared)
            or throttle.captcha_needed(lookup.identifier.failures, lookup.identifier.cleared)
        ):
            return False
        try:
            self.captcha.require(captcha)
        except CaptchaRequired:
            now = self.clock.now()
            transact([self.logs.connection_op(self._connection(principal_type, login_used, None, False, now), now)])
            logger.info("login refused: captcha required", extra={"principal_type": principal_type.value})
            count("LoginCaptchaRequired")
            raise
        count("LoginCaptchaSolved")
        return True

    def _record_failure(
        self,
        principal_type: PrincipalType,
        credential: Credential | None,
        login_used: str,
        lookup: Lookup,
        counted: str,
        request: RequestInfo,
        now: datetime,
        solved: bool = False,
    ) -> None:
        """One transaction: the log entry, the account's counter (lock), the address's counter (block, CAPTCHA) and
        the typed identifier's counter (CAPTCHA). A solved CAPTCHA covered the failures counted before it."""
        moment = now
        t = epoch(moment)
        throttle = self.policy.throttle
        address = lookup.address
        ops: list[RawItem] = [
            self.logs.connection_op(self._connection(principal_type, login_used, credential, False, moment), moment)
        ]
        # An attempt on a locked account is logged but does not lengthen the lock: the owner who
        # retries with the right password is not punished further.
        if credential is not None and credential.locked_until <= t:
            failures = credential.failed_attempts + 1
            lock = throttle.account_lock_seconds(failures)
            ops.append(
                self.credentials.failure_op(credential.principal_id, t + lock if lock else credential.locked_until)
            )
        address_failures = address.failures + 1
        block = throttle.address_block_seconds(address_failures)
        ops.append(
            self.credentials.address_failure_op(
                request.source_ip,
                AddressThrottle(
                    address_failures, t + block if block else 0, address.failures if solved else address.cleared
                ),
                t + throttle.address_window_seconds,
            )
        )
        counter = lookup.identifier
        ops.append(
            self.credentials.identifier_failure_op(
                counted,
                FailureCounter(counter.failures + 1, counter.failures if solved else counter.cleared),
                t + throttle.identifier_window_seconds,
            )
        )
        transact(ops)
        logger.info("login failed", extra={"principal_type": principal_type.value})
        count("LoginFailed")

    # Recent authentication -----------------------------------------------------------------------
    def reauthenticate(self, caller: Caller, password: str, request: RequestInfo) -> Tokens:
        """Prove the password again: a fresh access token whose auth_time is now."""
        now = self.clock.now()
        t = epoch(now)
        credential = self.credentials.get(caller.principal_id)
        if credential is None:
            raise InvalidCredentials()
        login_used = (
            credential.professional_email if credential.principal_type is PrincipalType.STAFF else credential.login_id
        ) or credential.principal_id
        ok = self.passwords.verify(credential.password_hash, password) and credential.locked_until <= t
        if not ok:
            lock = self.policy.throttle.account_lock_seconds(credential.failed_attempts + 1)
            transact(
                [
                    self.logs.connection_op(
                        self._connection(credential.principal_type, login_used, credential, False, now), now
                    ),
                    self.credentials.failure_op(credential.principal_id, t + lock if lock else credential.locked_until),
                ]
            )
            raise InvalidCredentials()
        try:
            transact(
                [
                    self.sessions.reauthenticate_op(caller.session_id, caller.actor, t),
                    self.logs.connection_op(
                        self._connection(credential.principal_type, login_used, credential, True, now), now
                    ),
                    self.credentials.success_op(credential.principal_id, None),
                ]
            )
        except ConditionFailed:
            raise InvalidCredentials() from None
        session = self.sessions.get_session(caller.session_id, t)
        if session is None:
            raise InvalidCredentials()
        return self._tokens(session, t, auth_time=t)

    # Account unification -------------------------------------------------------------------------
    def verify_customer_credentials(
        self, identifier: str, password: str, request: RequestInfo, captcha: str | None = None
    ) -> str:
        """The customer whose credentials these are: proof of control of another account (unification, the
        digital-identity link).

        Counted like a login: the same reads and hashing work, a failure is logged and counts against the
        account, the source address and the typed identifier (locks, blocks and the CAPTCHA as for logins); after
        repeated failures the same solved CAPTCHA is asked for (400 captcha_required, decided on those counters
        before the account is read, so the answer tells nothing of it); a success is in that account's
        connection log and resets its failure counters, like a login's. No session is opened."""
        now = self.clock.now()
        t = epoch(now)
        keys = [login_key(kind, value) for kind, value in customer_lookup_keys(identifier)]
        counted = counted_identifier(keys, identifier.strip())
        lookup = self.credentials.lookup(keys, request.source_ip, t, identifier=counted)
        if lookup.address.blocked_until > t:
            raise TooManyRequests(lookup.address.blocked_until - t)
        # The login's CAPTCHA after repeated failures (per identifier, per source), before the account is read.
        solved = self._captcha_if_needed(PrincipalType.CUSTOMER, lookup, identifier.strip(), captcha)
        principal_id = next((lookup.principals[k] for k in keys if k in lookup.principals), NO_PRINCIPAL)
        credential = self.credentials.get(principal_id)
        if credential is not None and credential.principal_type is not PrincipalType.CUSTOMER:
            credential = None
        password_ok = self.passwords.verify(credential.password_hash if credential else None, password)
        if credential is None or not password_ok or credential.locked_until > t:
            self._record_failure(
                PrincipalType.CUSTOMER, credential, identifier.strip(), lookup, counted, request, now, solved
            )
            raise InvalidCredentials()
        # A success is a login of that account without a session: in its connection log, counters reset (the
        # account's, the typed identifier's; the address's covered by a solved CAPTCHA), as after a login.
        success = self._connection(PrincipalType.CUSTOMER, identifier.strip(), credential, True, now)
        ops = [self.logs.connection_op(success, now), self.credentials.success_op(credential.principal_id, None)]
        if lookup.identifier.failures:
            ops.append(self.credentials.identifier_reset_op(counted))
        if solved and lookup.address.failures > lookup.address.cleared:
            ops.append(self.credentials.address_cleared_op(request.source_ip, lookup.address.failures))
        transact(ops)
        count("LinkCredentialsVerified")
        return credential.principal_id

    def find_customer(self, identifier: str, request: RequestInfo) -> str | None:
        """The customer an identifier (login id, email, phone, account number) names, if any: one BatchGetItem.
        For logic that must answer alike either way (a link code): the caller pads its timing."""
        keys = [login_key(kind, value) for kind, value in customer_lookup_keys(identifier)]
        if not keys:
            return None
        lookup = self.credentials.lookup(keys, request.source_ip, epoch(self.clock.now()))
        return next((lookup.principals[k] for k in keys if k in lookup.principals), None)
