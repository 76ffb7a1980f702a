"""Authentication logic: login, tokens, sessions, passwords, recovery, staff and assisted access.

Every state change and its audit entry (or connection-log entry) are written in one DynamoDB
transaction: a failure midway leaves nothing half-done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from selfcare.account.models import AccountLink, SessionRef, SwitchedSession, SwitchOrigin
from selfcare.api.context import RequestInfo
from selfcare.auth import passwords as password_policy
from selfcare.auth.devices import device_label
from selfcare.auth.models import (
    AuditEntry,
    Credential,
    CustomerConnection,
    Grant,
    LoginStatus,
    RecoveryToken,
    Session,
    StaffConnection,
)
from selfcare.auth.passwords import Passwords
from selfcare.auth.policy import Caller, PrincipalType, StaffRole, require_customer, require_staff
from selfcare.auth.throttle import ThrottlePolicy
from selfcare.auth.tokens import (
    AccessClaims,
    RefreshToken,
    TokenIssuer,
    digest,
    new_id,
    new_secret,
    same_digest,
)
from selfcare.clock import Clock, epoch, iso
from selfcare.dal import account as account_records
from selfcare.dal.credentials import AddressThrottle, CredentialsRepository, login_key
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import ConditionFailed, RawItem, transact
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.errors import (
    AccountClosed,
    FieldProblem,
    IdentifierTaken,
    InvalidCredentials,
    InvalidInput,
    InvalidRecoveryToken,
    InvalidRefreshToken,
    NotFound,
    ReauthenticationRequired,
    TooManyRequests,
    Unauthenticated,
)
from selfcare.identifiers import IdentifierKind, customer_lookup_keys, normalize_email, normalize_phone
from selfcare.observability import count, logger
from selfcare.ports.notifications import Notification, Notifier

NO_PRINCIPAL = "-"  # looked up when no identifier matched, so every login costs the same reads
MAX_TRANSACTION_ITEMS = 100
# A link side forgets its expired switched sessions once it holds this many (one extra write, now and then).
SWITCHED_SESSIONS_PRUNE_AT = 20


@dataclass(frozen=True)
class AuthPolicy:
    access_token_ttl_seconds: int = 900
    customer_session_seconds: int = 30 * 24 * 3600
    staff_session_seconds: int = 10 * 3600
    recent_auth_seconds: int = 5 * 60
    recovery_token_seconds: int = 15 * 60
    recovery_response_floor_ms: int = 600
    staff_password_max_age_days: int = 90
    max_grant_minutes: int = 8 * 60
    password_reset_url: str = "https://selfcare.example/reset-password"  # noqa: S105 - a URL
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    session_id: str
    refresh_token: str | None = None


class AuthService:
    def __init__(
        self,
        *,
        credentials: CredentialsRepository,
        sessions: SessionsRepository,
        logs: LogsRepository,
        customers: CustomersRepository,
        passwords: Passwords,
        issuer: TokenIssuer,
        notifier: Notifier,
        clock: Clock,
        policy: AuthPolicy,
    ) -> None:
        self.credentials = credentials
        self.sessions = sessions
        self.logs = logs
        self.customers = customers
        self.passwords = passwords
        self.issuer = issuer
        self.notifier = notifier
        self.clock = clock
        self.policy = policy

    # Login -------------------------------------------------------------------------------------
    def login_customer(self, identifier: str, password: str, request: RequestInfo) -> Tokens:
        keys = [login_key(kind, value) for kind, value in customer_lookup_keys(identifier)]
        return self._login(PrincipalType.CUSTOMER, keys, identifier.strip(), password, request)

    def login_staff(self, email: str, password: str, request: RequestInfo) -> Tokens:
        keys = [login_key(IdentifierKind.STAFF_EMAIL, normalize_email(email))]
        return self._login(PrincipalType.STAFF, keys, normalize_email(email), password, request)

    def _login(
        self,
        principal_type: PrincipalType,
        keys: list[str],
        login_used: str,
        password: str,
        request: RequestInfo,
    ) -> Tokens:
        now = self.clock.now()
        t = epoch(now)
        # Read 1: the identifier's principal and the source address's throttle state.
        lookup = self.credentials.lookup(keys, request.source_ip, t)
        principal_id = next((lookup.principals[k] for k in keys if k in lookup.principals), NO_PRINCIPAL)
        if lookup.address.blocked_until > t:
            transact([self.logs.connection_op(self._connection(principal_type, login_used, None, False, now), now)])
            count("LoginRefusedForSourceAddress")
            raise TooManyRequests(lookup.address.blocked_until - t)
        # Read 2: the credential (also when nothing matched: same reads, same hashing work).
        credential = self.credentials.get(principal_id)
        if credential is not None and credential.principal_type is not principal_type:
            credential = None
        password_ok = self.passwords.verify(credential.password_hash if credential else None, password)
        locked = credential is not None and credential.locked_until > t
        if credential is None or not password_ok or locked:
            # Write: one transaction (log entry, account counter, address counter).
            self._record_failure(principal_type, credential, login_used, lookup.address, request, now)
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
        transact(
            [
                self.sessions.put_session_op(session),
                self.logs.connection_op(self._connection(principal_type, login_used, credential, True, now), now),
                self.credentials.success_op(credential.principal_id, new_hash),
            ]
        )
        logger.info(
            "login succeeded",
            extra={"principal_type": principal_type.value, "session_id": session.session_id},
        )
        count("LoginSucceeded")
        return self._tokens(session, t, refresh)

    def _record_failure(
        self,
        principal_type: PrincipalType,
        credential: Credential | None,
        login_used: str,
        address: AddressThrottle,
        request: RequestInfo,
        now: datetime,
    ) -> None:
        moment = now
        t = epoch(moment)
        throttle = self.policy.throttle
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
                AddressThrottle(address_failures, t + block if block else 0),
                t + throttle.address_window_seconds,
            )
        )
        transact(ops)
        logger.info("login failed", extra={"principal_type": principal_type.value})
        count("LoginFailed")

    def _connection(
        self,
        principal_type: PrincipalType,
        login_used: str,
        credential: Credential | None,
        success: bool,
        now: datetime,
    ) -> CustomerConnection | StaffConnection:
        at = iso(now)
        status = LoginStatus.SUCCESS if success else LoginStatus.FAILURE
        if principal_type is PrincipalType.STAFF:
            return StaffConnection(
                professional_email=login_used,
                at=at,
                status=status,
                staff_id=credential.principal_id if credential else None,
            )
        return CustomerConnection(
            login_used=login_used,
            at=at,
            customer_id=credential.principal_id if credential else None,
            status=status,
            digital_identity_id=credential.digital_identity_id if credential else None,
            account_number=credential.account_number if credential else None,
        )

    def _new_session(self, credential: Credential, request: RequestInfo, t: int) -> tuple[Session, str]:
        refresh_secret = new_secret()
        staff = credential.principal_type is PrincipalType.STAFF
        lifetime = self.policy.staff_session_seconds if staff else self.policy.customer_session_seconds
        password_expired = staff and (
            t - credential.password_changed_at > self.policy.staff_password_max_age_days * 86400
        )
        session = Session(
            session_id=new_id(),
            principal_type=credential.principal_type,
            principal_id=credential.principal_id,
            created_at=iso(self.clock.now()),
            expires_at=t + lifetime,
            auth_time=t,
            refresh_digest=digest(refresh_secret),
            device=device_label(request.user_agent),
            role=credential.role,
            password_expired=password_expired,
        )
        return session, refresh_secret

    def _tokens(
        self, session: Session, t: int, refresh_secret: str | None = None, auth_time: int | None = None
    ) -> Tokens:
        claims = AccessClaims(
            principal_type=session.principal_type,
            principal_id=session.principal_id,
            session_id=session.session_id,
            auth_time=auth_time if auth_time is not None else session.auth_time,
            role=session.role,
            password_expired=session.password_expired,
        )
        return Tokens(
            access_token=self.issuer.issue(claims, t),
            expires_in=self.issuer.ttl_seconds,
            session_id=session.session_id,
            refresh_token=str(RefreshToken(session.session_id, refresh_secret)) if refresh_secret else None,
        )

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

    def _revoke_all(self, principal: str, keep: str | None, now: datetime) -> int:
        t = epoch(now)
        others = [s for s in self.sessions.live_sessions(principal, t) if s.session_id != keep]
        ops = [self.sessions.revoke_op(s.session_id, principal, iso(now)) for s in others]
        for start in range(0, len(ops), MAX_TRANSACTION_ITEMS):
            transact(ops[start : start + MAX_TRANSACTION_ITEMS])
        return len(ops)

    def _audit(self, caller: Caller, action: str, target: str, request: RequestInfo, now: datetime) -> AuditEntry:
        on_behalf = f"customer#{caller.customer_id}" if caller.customer_id else caller.actor
        return AuditEntry(
            actor=caller.actor,
            on_behalf_of=on_behalf,
            action=action,
            target=target,
            at=iso(now),
            request_id=request.request_id,
            grant_id=caller.grant_id,
        )

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

    def _require_recent(self, caller: Caller) -> None:
        if epoch(self.clock.now()) - caller.auth_time > self.policy.recent_auth_seconds:
            raise ReauthenticationRequired()

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
        password_policy.check_policy(new, personal=_personal(credential))
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

    def forgot_password(self, identifier: str, request: RequestInfo) -> None:
        """Same answer, same time, whether the account exists or not."""
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
        if credential is None or credential.principal_type is not PrincipalType.CUSTOMER or not credential.email:
            return
        secret = new_secret()
        self.sessions.put_recovery(digest(secret), RecoveryToken(principal_id, t + self.policy.recovery_token_seconds))
        minutes = self.policy.recovery_token_seconds // 60
        self.notifier.send(
            Notification(
                to=credential.email,
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
        password_policy.check_policy(new, personal=_personal(credential))
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

    # Account unification -------------------------------------------------------------------------
    def verify_customer_credentials(self, identifier: str, password: str, request: RequestInfo) -> str:
        """The customer whose credentials these are: proof of control of another account (unification).

        Counted like a login: the same reads and hashing work, a failure is logged and counts against the
        account and the source address (locks and blocks as for logins). No session is opened."""
        now = self.clock.now()
        t = epoch(now)
        keys = [login_key(kind, value) for kind, value in customer_lookup_keys(identifier)]
        lookup = self.credentials.lookup(keys, request.source_ip, t)
        if lookup.address.blocked_until > t:
            raise TooManyRequests(lookup.address.blocked_until - t)
        principal_id = next((lookup.principals[k] for k in keys if k in lookup.principals), NO_PRINCIPAL)
        credential = self.credentials.get(principal_id)
        if credential is not None and credential.principal_type is not PrincipalType.CUSTOMER:
            credential = None
        password_ok = self.passwords.verify(credential.password_hash if credential else None, password)
        if credential is None or not password_ok or credential.locked_until > t:
            self._record_failure(PrincipalType.CUSTOMER, credential, identifier.strip(), lookup.address, request, now)
            raise InvalidCredentials()
        return credential.principal_id

    def find_customer(self, identifier: str, request: RequestInfo) -> str | None:
        """The customer an identifier (login id, email, phone, account number) names, if any: one BatchGetItem.
        For logic that must answer alike either way (a link code): the caller pads its timing."""
        keys = [login_key(kind, value) for kind, value in customer_lookup_keys(identifier)]
        if not keys:
            return None
        lookup = self.credentials.lookup(keys, request.source_ip, epoch(self.clock.now()))
        return next((lookup.principals[k] for k in keys if k in lookup.principals), None)

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

    # Provisioning ------------------------------------------------------------------------------
    def enrol(self, credential: Credential, password: str) -> Credential:
        """Create a principal's credentials (customer onboarding, staff accounts, demo seed)."""
        password_policy.check_policy(password, field="password", personal=_personal(credential))
        phone = normalize_phone(credential.phone) if credential.phone else None
        if credential.phone and phone is None:
            raise InvalidInput([FieldProblem(("body", "phone"), "Not a valid phone number.", "invalid_phone")])
        professional_email = credential.professional_email
        stored = replace(
            credential,
            phone=phone,
            email=normalize_email(credential.email) if credential.email else None,
            professional_email=normalize_email(professional_email) if professional_email else None,
            password_hash=self.passwords.hash(password),
            password_changed_at=epoch(self.clock.now()),
        )
        try:
            self.credentials.create(stored)
        except ConditionFailed:
            raise IdentifierTaken() from None
        return stored

    # Assisted access ---------------------------------------------------------------------------
    def grant_assisted_access(
        self, caller: Caller, customer_id: str, reason: str, minutes: int, request: RequestInfo
    ) -> Grant:
        role = require_staff(caller)
        if minutes > self.policy.max_grant_minutes:
            raise InvalidInput(
                [
                    FieldProblem(
                        ("body", "duration_minutes"),
                        f"At most {self.policy.max_grant_minutes} minutes.",
                        "too_long",
                    )
                ]
            )
        profile = self.customers.get_profile(customer_id)
        if profile is None:
            raise NotFound("No such customer.")
        if profile.hidden_at is not None:  # retention: no new assisted access to a closed space
            raise AccountClosed()
        now = self.clock.now()
        grant = Grant(
            grant_id=new_id(),
            staff_id=caller.principal_id,
            role=role,
            customer_id=customer_id,
            reason=reason,
            created_at=iso(now),
            expires_at=epoch(now + timedelta(minutes=minutes)),
        )
        entry = AuditEntry(
            actor=caller.actor,
            on_behalf_of=f"customer#{customer_id}",
            action="assisted_access.granted",
            target=f"grant#{grant.grant_id}",
            at=grant.created_at,
            request_id=request.request_id,
            grant_id=grant.grant_id,
        )
        transact([self.sessions.put_grant_op(grant), self.logs.audit_op(entry, now)])
        return grant

    def list_grants(self, caller: Caller) -> list[Grant]:
        require_staff(caller)
        return self.sessions.live_grants(caller.principal_id, epoch(self.clock.now()))

    def end_grant(self, caller: Caller, grant_id: str, request: RequestInfo) -> None:
        require_staff(caller)
        now = self.clock.now()
        entry = AuditEntry(
            actor=caller.actor,
            on_behalf_of=caller.actor,
            action="assisted_access.ended",
            target=f"grant#{grant_id}",
            at=iso(now),
            request_id=request.request_id,
            grant_id=grant_id,
        )
        try:
            transact(
                [
                    self.sessions.end_grant_op(grant_id, caller.principal_id, iso(now)),
                    self.logs.audit_op(entry, now),
                ]
            )
        except ConditionFailed:
            raise NotFound("No such grant.") from None


def _personal(credential: Credential) -> tuple[str, ...]:
    return tuple(v for v in (credential.login_id, credential.email, credential.professional_email) if v)


__all__ = ["AuthPolicy", "AuthService", "StaffRole", "Tokens"]
