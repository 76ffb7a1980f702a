"""Composition of the digital-identity login and the staff directory login: adapters in, services out. No I/O."""

from __future__ import annotations

import json

from selfcare.auth.digital_identity import CredentialVerifier, DigitalIdentityLinks, DigitalIdentityLogin, FlowPolicy
from selfcare.auth.policy import StaffRole
from selfcare.auth.staff_directory import DEFAULT_GROUP_ROLES, StaffDirectoryLogin, StaffDirectoryPolicy
from selfcare.auth.tokens import TokenIssuer
from selfcare.clock import SystemClock
from selfcare.config import DigitalIdentitySettings
from selfcare.dal.credentials import CredentialsRepository
from selfcare.dal.digital_identity import DigitalIdentityRepository
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.ports.keys import SecretsManagerSigningKey
from selfcare.ports.oidc_https import HttpsOidcProvider, OidcClientConfig


def _issuer(settings: DigitalIdentitySettings) -> TokenIssuer:
    return TokenIssuer(
        SecretsManagerSigningKey(settings.signing_key_secret_id),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
    )


def group_roles(settings: DigitalIdentitySettings) -> dict[str, StaffRole]:
    if not settings.staff_directory_group_roles:
        return dict(DEFAULT_GROUP_ROLES)
    return {str(group): StaffRole(role) for group, role in json.loads(settings.staff_directory_group_roles).items()}


def build_customer_login(settings: DigitalIdentitySettings) -> DigitalIdentityLogin:
    provider = HttpsOidcProvider(
        OidcClientConfig(
            discovery_url=settings.digital_identity_discovery_url,
            client_id=settings.digital_identity_client_id,
            client_secret_id=settings.digital_identity_client_secret_id,
            redirect_uri=settings.digital_identity_redirect_uri,
            scope="openid profile",
            acr_levels=settings.acr_levels(),
            minimum_acr=settings.digital_identity_minimum_acr,
        )
    )
    return DigitalIdentityLogin(
        provider=provider,
        flows=DigitalIdentityRepository(settings.sessions_table, settings.credentials_table),
        sessions=SessionsRepository(settings.sessions_table),
        logs=LogsRepository(settings.connection_log_table, settings.audit_log_table),
        issuer=_issuer(settings),
        clock=SystemClock(),
        policy=FlowPolicy(),
    )


def build_staff_login(settings: DigitalIdentitySettings) -> StaffDirectoryLogin:
    provider = HttpsOidcProvider(
        OidcClientConfig(
            discovery_url=settings.staff_directory_discovery_url,
            client_id=settings.staff_directory_client_id,
            client_secret_id=settings.staff_directory_client_secret_id,
            redirect_uri=settings.staff_directory_redirect_uri,
            scope="openid email groups",
        )
    )
    return StaffDirectoryLogin(
        provider=provider,
        flows=DigitalIdentityRepository(settings.sessions_table, settings.credentials_table),
        sessions=SessionsRepository(settings.sessions_table),
        logs=LogsRepository(settings.connection_log_table, settings.audit_log_table),
        issuer=_issuer(settings),
        clock=SystemClock(),
        policy=StaffDirectoryPolicy(
            session_seconds=settings.access_token_ttl_seconds, group_roles=tuple(group_roles(settings).items())
        ),
    )


def build_links(
    *,
    sessions_table: str,
    credentials_table: str,
    connection_log_table: str,
    audit_log_table: str,
    customers_table: str = "",
    verifier: CredentialVerifier | None = None,
    issuer: TokenIssuer | None = None,
) -> DigitalIdentityLinks:
    """The links service: in `digital_identity` (view, unlink) and in `auth` (link: a login, with the AuthService
    as the credential verifier and its token issuer)."""
    return DigitalIdentityLinks(
        flows=DigitalIdentityRepository(sessions_table, credentials_table),
        # Credentials are read by principal only (`get`): the customers' login keys (customers table) are not needed.
        credentials=CredentialsRepository(credentials_table, customers_table),
        sessions=SessionsRepository(sessions_table),
        logs=LogsRepository(connection_log_table, audit_log_table),
        verifier=verifier,
        issuer=issuer,
        clock=SystemClock(),
        policy=FlowPolicy(),
    )
