"""What the parts of the auth capability share: policy, tokens, context, session and entry helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from selfcare.api.context import RequestInfo
from selfcare.auth.devices import device_label
from selfcare.auth.models import (
    AuditEntry,
    Credential,
    CustomerConnection,
    LoginStatus,
    Session,
    StaffConnection,
)
from selfcare.auth.passwords import Passwords
from selfcare.auth.policy import Caller, PrincipalType
from selfcare.auth.throttle import ThrottlePolicy
from selfcare.auth.tokens import (
    AccessClaims,
    RefreshToken,
    TokenIssuer,
    digest,
    new_id,
    new_secret,
)
from selfcare.clock import Clock, epoch, iso
from selfcare.dal.credentials import CredentialsRepository
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.dynamo import transact
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.errors import (
    ReauthenticationRequired,
)
from selfcare.ports.notifications import Notifier

NO_PRINCIPAL = "-"  # looked up when no identifier matched, so every login costs the same reads
MAX_TRANSACTION_ITEMS = 100


@dataclass(frozen=True)
class AuthPolicy:
    access_token_ttl_seconds: int = 900
    customer_session_seconds: int = 30 * 24 * 3600
    staff_session_seconds: int = 10 * 3600
    recent_auth_seconds: int = 5 * 60
    recovery_token_seconds: int = 15 * 60
    recovery_response_floor_ms: int = 600
    # Recovery emails per account and window: beyond, the request answers alike and sends nothing.
    recovery_emails_per_window: int = 5
    recovery_window_seconds: int = 24 * 3600
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


@dataclass
class AuthContext:
    """What every part of the auth capability shares: repositories, ports, clock and policy (one instance,
    so that a clock swapped in a test is seen by every part)."""

    credentials: CredentialsRepository
    sessions: SessionsRepository
    logs: LogsRepository
    customers: CustomersRepository
    passwords: Passwords
    issuer: TokenIssuer
    notifier: Notifier
    clock: Clock
    policy: AuthPolicy


class AuthPart:
    """Base of each concern (login, sessions, recovery...): the shared context, and the helpers that open
    sessions, issue tokens and build log and audit entries the same way everywhere."""

    def __init__(self, context: AuthContext) -> None:
        self.context = context

    @property
    def credentials(self) -> CredentialsRepository:
        return self.context.credentials

    @property
    def sessions(self) -> SessionsRepository:
        return self.context.sessions

    @property
    def logs(self) -> LogsRepository:
        return self.context.logs

    @property
    def customers(self) -> CustomersRepository:
        return self.context.customers

    @property
    def passwords(self) -> Passwords:
        return self.context.passwords

    @property
    def issuer(self) -> TokenIssuer:
        return self.context.issuer

    @property
    def notifier(self) -> Notifier:
        return self.context.notifier

    @property
    def clock(self) -> Clock:
        return self.context.clock

    @property
    def policy(self) -> AuthPolicy:
        return self.context.policy

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

    def _require_recent(self, caller: Caller) -> None:
        if epoch(self.clock.now()) - caller.auth_time > self.policy.recent_auth_seconds:
            raise ReauthenticationRequired()


def personal_identifiers(credential: Credential) -> tuple[str, ...]:
    """What a new password must not contain."""
    return tuple(v for v in (credential.login_id, credential.email, credential.professional_email) if v)
