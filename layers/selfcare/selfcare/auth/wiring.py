"""Composition of the auth capability from its settings: adapters in, the parts (one per concern) out.
No I/O here."""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.auth.activation import ActivationPolicy, ActivationService
from selfcare.auth.captcha import Captcha, CaptchaPolicy
from selfcare.auth.core import AuthContext, AuthPolicy
from selfcare.auth.credential_changes import CredentialChanges
from selfcare.auth.enrolment import Enrolment
from selfcare.auth.linked_sessions import LinkedSessions
from selfcare.auth.login import LoginService
from selfcare.auth.passwords import HashParameters, Passwords
from selfcare.auth.recovery import RecoveryService
from selfcare.auth.sessions import SessionService
from selfcare.auth.staff_access import StaffAccessService
from selfcare.auth.tokens import TokenIssuer
from selfcare.clock import Clock, SystemClock
from selfcare.config import AuthSettings
from selfcare.dal.activation import ActivationRepository
from selfcare.dal.credentials import CounterDigests, CredentialsRepository
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.ports.hash_key import SecretsManagerHashKey
from selfcare.ports.keys import SecretsManagerSigningKey
from selfcare.ports.notifications import Notifier, SesNotifier, SmsSender, SnsSmsSender


@dataclass
class AuthService:
    """The auth capability: one part per concern, all sharing one context."""

    context: AuthContext
    login: LoginService
    sessions: SessionService
    recovery: RecoveryService
    credential_changes: CredentialChanges
    enrolment: Enrolment
    linked_sessions: LinkedSessions
    staff_access: StaffAccessService
    activation: ActivationService

    @property
    def clock(self) -> Clock:
        return self.context.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.context.clock = clock  # every part reads the shared context: one swap moves them all
        self.activation.captcha.clock = clock  # shared by recovery and login

    @property
    def notifier(self) -> Notifier:
        return self.context.notifier


def compose(context: AuthContext, activation: ActivationService) -> AuthService:
    """The parts on one context; the CAPTCHA is the activation's, shared with recovery."""
    login = LoginService(context, activation.captcha)
    return AuthService(
        context=context,
        login=login,
        sessions=SessionService(context),
        recovery=RecoveryService(context, activation.captcha),
        credential_changes=CredentialChanges(context),
        enrolment=Enrolment(context),
        linked_sessions=LinkedSessions(context, login),
        staff_access=StaffAccessService(context),
        activation=activation,
    )


def build_auth_service(
    settings: AuthSettings, notifier: Notifier | None = None, sms: SmsSender | None = None
) -> AuthService:
    # One key (Secrets Manager) for the CAPTCHA's signatures and, derived from it, the failure counters' digests.
    captcha_key = SecretsManagerHashKey(settings.captcha_key_secret_id)
    context = AuthContext(
        credentials=CredentialsRepository(
            settings.credentials_table, settings.customers_table, CounterDigests(captcha_key)
        ),
        sessions=SessionsRepository(settings.sessions_table),
        logs=LogsRepository(settings.connection_log_table, settings.audit_log_table),
        customers=CustomersRepository(settings.customers_table),
        passwords=Passwords(
            HashParameters(
                time_cost=settings.argon2_time_cost,
                memory_kib=settings.argon2_memory_kib,
                parallelism=settings.argon2_parallelism,
            )
        ),
        issuer=TokenIssuer(
            SecretsManagerSigningKey(settings.signing_key_secret_id),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.access_token_ttl_seconds,
        ),
        notifier=notifier or SesNotifier(settings.notification_sender),
        clock=SystemClock(),
        policy=AuthPolicy(
            access_token_ttl_seconds=settings.access_token_ttl_seconds,
            recovery_response_floor_ms=settings.recovery_response_floor_ms,
            password_reset_url=settings.password_reset_url,
        ),
    )
    records = ActivationRepository(settings.sessions_table, settings.customers_table)
    captcha = Captcha(
        key=captcha_key,
        solved=records,
        clock=context.clock,
        policy=CaptchaPolicy(cost=settings.captcha_cost),
    )
    activation = ActivationService(
        context,
        records=records,
        captcha=captcha,
        sms=sms or SnsSmsSender(),
        policy=ActivationPolicy(response_floor_ms=settings.recovery_response_floor_ms),
    )
    return compose(context, activation)
