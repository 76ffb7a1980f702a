"""Composition of the auth capability from its settings: adapters in, service out. No I/O here."""

from __future__ import annotations

from selfcare.auth.passwords import HashParameters, Passwords
from selfcare.auth.service import AuthPolicy, AuthService
from selfcare.auth.tokens import TokenIssuer
from selfcare.clock import SystemClock
from selfcare.config import AuthSettings
from selfcare.dal.credentials import CredentialsRepository
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.ports.keys import SecretsManagerSigningKey
from selfcare.ports.notifications import Notifier, SesNotifier


def build_auth_service(settings: AuthSettings, notifier: Notifier | None = None) -> AuthService:
    return AuthService(
        credentials=CredentialsRepository(settings.credentials_table),
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
