"""Digital-identity login for customers (the government OpenID Connect provider).

1. `start()`: a fresh state, nonce and PKCE verifier, kept server-side under the state's digest for 10 minutes
   (no cookie); the answer is the provider's authorize URL (acr_values: the accepted levels).
2. `complete(code, state)`: the state is taken once (a replayed or forged state is refused before anything
   else), the code is redeemed with the verifier and the ID token verified by the port (signature with the
   provider's JWKS, iss, aud, exp, iat, nonce, acr at least the configured minimum). Then:
   - the subject is linked to a customer: a session like a password login's, and a connection-log entry that
     carries the digital-identity id, in one transaction conditioned on the link still being there;
   - it is not linked yet: a link ticket (10 minutes, single use) that holds the verified claims. The first
     digital-identity login of a person links it only after a proof of control of an account:
3. `link(ticket, identifier, password)`: the account's credentials, checked and counted like a login (a failure
   is logged and counts towards the account's lock and the address's block); then, in one transaction, the
   ticket consumed, the link item written (only if the subject is linked to no one), the credential naming the
   subject (only if it names none), a session, the connection-log entry and the audit entry.
4. `view` / `unlink`: the customer sees the link and removes it (one transaction with its audit entry).
DynamoDB calls of the callback: take the state, read the link, one transaction (or: put the ticket).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from selfcare.api.context import RequestInfo
from selfcare.auth.devices import device_label
from selfcare.auth.models import AuditEntry, CustomerConnection, LoginStatus, Session
from selfcare.auth.policy import Caller, PrincipalType, StaffRole, require_customer
from selfcare.auth.tokens import AccessClaims, RefreshToken, TokenIssuer, digest, new_id, new_secret
from selfcare.clock import Clock, epoch, iso
from selfcare.dal.credentials import CredentialsRepository
from selfcare.dal.digital_identity import DigitalIdentityRepository, FlowState, IdentityClaims, IdentityLink
from selfcare.dal.dynamo import ConditionFailed, transact
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.errors import (
    AccountClosed,
    AssuranceLevelTooLow,
    DigitalIdentityAlreadyLinked,
    DigitalIdentityRefused,
    IdentityProviderUnavailable,
    InvalidAuthorizationState,
    InvalidLinkTicket,
    NotFound,
    Unauthenticated,
)
from selfcare.observability import count, logger
from selfcare.ports.oidc import AuthorizationRequest, IdentityProvider, OidcRefusal, OidcUnavailable, VerifiedIdentity

CUSTOMER = "customer"
STAFF = "staff"
# What a digital-identity login writes as the "login used" of the connection log (the id is in its own field).
DIGITAL_IDENTITY_LOGIN = "digital_identity"


@dataclass(frozen=True)
class FlowPolicy:
    state_seconds: int = 600
    ticket_seconds: int = 600
    customer_session_seconds: int = 30 * 24 * 3600


@dataclass(frozen=True)
class Started:
    authorization_url: str
    state: str
    expires_in: int


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    session_id: str
    refresh_token: str | None = None


@dataclass(frozen=True)
class LinkRequired:
    link_ticket: str
    expires_in: int


class CredentialVerifier(Protocol):
    """Proof of control of a customer account by its credentials, counted like a login (AuthService)."""

    def verify_customer_credentials(
        self, identifier: str, password: str, request: RequestInfo, captcha: str | None = None
    ) -> str: ...


# Flow and session helpers, shared with the staff login (selfcare.auth.staff_directory) -----------------------
def begin(
    provider: IdentityProvider, flows: DigitalIdentityRepository, purpose: str, now: int, seconds: int
) -> Started:
    from authlib.common.security import generate_token  # type: ignore[import-untyped]

    request = AuthorizationRequest(state=generate_token(43), nonce=generate_token(43), code_verifier=generate_token(64))
    try:  # the provider's discovery document gives its authorize endpoint: it may not answer
        url = provider.authorization_url(request)
    except OidcUnavailable as error:
        logger.warning("identity provider unavailable", extra={"purpose": purpose, "step": str(error)})
        count("OidcProviderUnavailable")
        raise IdentityProviderUnavailable() from error
    flows.put_state(request.state, FlowState(purpose, request.nonce, request.code_verifier, now + seconds))
    return Started(url, request.state, seconds)


def redeem(
    provider: IdentityProvider,
    flows: DigitalIdentityRepository,
    purpose: str,
    code: str | None,
    state: str,
    now: int,
) -> VerifiedIdentity:
    """The verified identity of a callback; the state is spent whatever happens next. No code: the provider
    answered an error (access denied, a person no longer in the directory...)."""
    flow = flows.take_state(state, purpose, now)
    if flow is None:
        count("OidcStateRefused")
        logger.info("oidc callback refused", extra={"purpose": purpose, "reason": "state_invalid"})
        raise InvalidAuthorizationState()
    if not code:
        logger.info("oidc callback refused", extra={"purpose": purpose, "reason": "provider_error"})
        count("OidcRefused")
        raise DigitalIdentityRefused()
    try:
        return provider.redeem(code, AuthorizationRequest(state, flow.nonce, flow.code_verifier))
    except OidcUnavailable as error:
        logger.warning("identity provider unavailable", extra={"purpose": purpose, "step": str(error)})
        count("OidcProviderUnavailable")
        raise IdentityProviderUnavailable() from error
    except OidcRefusal as refusal:
        logger.info("oidc callback refused", extra={"purpose": purpose, "reason": refusal.reason})
        count("OidcRefused")
        if refusal.reason == "acr_too_low":
            raise AssuranceLevelTooLow() from refusal
        raise DigitalIdentityRefused() from refusal


def new_session(
    principal_type: PrincipalType,
    principal_id: str,
    request: RequestInfo,
    now: datetime,
    lifetime_seconds: int,
    role: StaffRole | None = None,
) -> tuple[Session, str]:
    """A session as the password login opens it; the second value is its refresh secret."""
    t = epoch(now)
    refresh_secret = new_secret()
    session = Session(
        session_id=new_id(),
        principal_type=principal_type,
        principal_id=principal_id,
        created_at=iso(now),
        expires_at=t + lifetime_seconds,
        auth_time=t,
        refresh_digest=digest(refresh_secret),
        device=device_label(request.user_agent),
        role=role,
    )
    return session, refresh_secret


def issue(issuer: TokenIssuer, session: Session, t: int, refresh_secret: str | None) -> IssuedTokens:
    claims = AccessClaims(
        principal_type=session.principal_type,
        principal_id=session.principal_id,
        session_id=session.session_id,
        auth_time=session.auth_time,
        role=session.role,
    )
    return IssuedTokens(
        access_token=issuer.issue(claims, t),
        expires_in=issuer.ttl_seconds,
        session_id=session.session_id,
        refresh_token=str(RefreshToken(session.session_id, refresh_secret)) if refresh_secret else None,
    )


class DigitalIdentityLogin:
    """Steps 1 and 2: the redirect flow (function `digital_identity`)."""

    def __init__(
        self,
        *,
        provider: IdentityProvider,
        flows: DigitalIdentityRepository,
        sessions: SessionsRepository,
        logs: LogsRepository,
        issuer: TokenIssuer,
        clock: Clock,
        policy: FlowPolicy,
    ) -> None:
        self.provider = provider
        self.flows = flows
        self.sessions = sessions
        self.logs = logs
        self.issuer = issuer
        self.clock = clock
        self.policy = policy

    def start(self) -> Started:
        return begin(self.provider, self.flows, CUSTOMER, epoch(self.clock.now()), self.policy.state_seconds)

    def complete(self, code: str | None, state: str, request: RequestInfo) -> IssuedTokens | LinkRequired:
        now = self.clock.now()
        t = epoch(now)
        try:
            identity = redeem(self.provider, self.flows, CUSTOMER, code, state, t)  # call 1: the state
        except (Unauthenticated, InvalidAuthorizationState):
            transact([self.logs.connection_op(self._connection(None, False, now), now)])
            raise
        link = self.flows.get_link(identity.subject)  # call 2
        claims = IdentityClaims(identity.subject, identity.family_name, identity.given_name, identity.birth_date)
        if link is None:
            ticket = new_secret()
            self.flows.put_ticket(ticket, claims, t + self.policy.ticket_seconds)  # call 3
            count("DigitalIdentityLinkRequired")
            return LinkRequired(ticket, self.policy.ticket_seconds)
        session, refresh = new_session(
            PrincipalType.CUSTOMER, link.customer_id, request, now, self.policy.customer_session_seconds
        )
        ops = [
            self.sessions.put_session_op(session),
            self.logs.connection_op(self._connection(link, True, now), now),
            self.flows.link_check_op(identity.subject, link.customer_id),
        ]
        # Retention: a hidden space opens no session, whichever way in (as the password login).
        space_open = len(ops)
        ops.append(self.flows.space_open_check_op(link.customer_id))
        try:
            transact(ops)  # call 3
        except ConditionFailed as failed:
            if failed.index == space_open:
                transact([self.logs.connection_op(self._connection(link, False, now), now)])
                count("DigitalIdentityLoginRefusedAccountClosed")
                raise AccountClosed() from None
            raise DigitalIdentityRefused() from None  # unlinked meanwhile
        logger.info("digital-identity login succeeded", extra={"session_id": session.session_id})
        count("DigitalIdentityLoginSucceeded")
        return issue(self.issuer, session, t, refresh)

    def _connection(self, link: IdentityLink | None, success: bool, now: datetime) -> CustomerConnection:
        return CustomerConnection(
            login_used=DIGITAL_IDENTITY_LOGIN,
            at=iso(now),
            customer_id=link.customer_id if link else None,
            status=LoginStatus.SUCCESS if success else LoginStatus.FAILURE,
            digital_identity_id=link.claims.subject if link else None,
            account_number=link.account_number if link else None,
        )


class DigitalIdentityLinks:
    """Steps 3 and 4: linking after a proof of control (function `auth`: a login), seeing and removing the link."""

    def __init__(
        self,
        *,
        flows: DigitalIdentityRepository,
        credentials: CredentialsRepository,
        sessions: SessionsRepository,
        logs: LogsRepository,
        verifier: CredentialVerifier | None,
        issuer: TokenIssuer | None,
        clock: Clock,
        policy: FlowPolicy,
    ) -> None:
        self.flows = flows
        self.credentials = credentials
        self.sessions = sessions
        self.logs = logs
        self.verifier = verifier
        self.issuer = issuer
        self.clock = clock
        self.policy = policy

    def link(
        self, ticket: str, identifier: str, password: str, request: RequestInfo, captcha: str | None = None
    ) -> IssuedTokens:
        assert self.verifier is not None and self.issuer is not None, "linking needs the credential verifier"
        now = self.clock.now()
        t = epoch(now)
        pending = self.flows.get_ticket(ticket, t)
        if pending is None:
            raise InvalidLinkTicket()
        # Counted like a login: a failure is logged and counts towards the lock and the block (InvalidCredentials);
        # after repeated failures, the login's CAPTCHA (400 captcha_required).
        customer_id = self.verifier.verify_customer_credentials(identifier, password, request, captcha)
        credential = self.credentials.get(customer_id)
        if credential is None:
            raise InvalidLinkTicket()
        if credential.account_closed:
            # Retention: the right password of a hidden space is told so (as at login); no link, no session.
            raise AccountClosed()
        if credential.digital_identity_id:
            raise DigitalIdentityAlreadyLinked()
        subject = pending.claims.subject
        link = IdentityLink(pending.claims, customer_id, credential.account_number, iso(now))
        session, refresh = new_session(
            PrincipalType.CUSTOMER, customer_id, request, now, self.policy.customer_session_seconds
        )
        principal = f"{PrincipalType.CUSTOMER.value}#{customer_id}"
        connection = CustomerConnection(
            login_used=identifier.strip(),
            at=iso(now),
            customer_id=customer_id,
            status=LoginStatus.SUCCESS,
            digital_identity_id=subject,
            account_number=credential.account_number,
        )
        audit = AuditEntry(
            actor=principal,
            on_behalf_of=principal,
            action="digital_identity.linked",
            target=f"digital_identity#{subject}",
            at=iso(now),
            request_id=request.request_id,
        )
        try:
            transact(
                [
                    self.flows.consume_ticket_op(ticket, t),
                    self.flows.put_link_op(link),
                    self.flows.set_credential_subject_op(customer_id, subject),
                    self.sessions.put_session_op(session),
                    self.logs.connection_op(connection, now),
                    self.logs.audit_op(audit, now),
                ]
            )
        except ConditionFailed as failed:
            if failed.index == 0:
                raise InvalidLinkTicket() from None
            raise DigitalIdentityAlreadyLinked() from None
        logger.info("digital identity linked", extra={"customer_id": customer_id, "session_id": session.session_id})
        count("DigitalIdentityLinked")
        return issue(self.issuer, session, t, refresh)

    def view(self, caller: Caller) -> IdentityLink | None:
        customer_id = require_customer(caller)
        credential = self.credentials.get(customer_id)
        if credential is None or not credential.digital_identity_id:
            return None
        link = self.flows.get_link(credential.digital_identity_id)
        return link if link is not None and link.customer_id == customer_id else None

    def unlink(self, caller: Caller, request: RequestInfo) -> None:
        customer_id = require_customer(caller)
        now = self.clock.now()
        credential = self.credentials.get(customer_id)
        if credential is None or not credential.digital_identity_id:
            raise NotFound("No digital identity is linked to this account.")
        subject = credential.digital_identity_id
        audit = AuditEntry(
            actor=caller.actor,
            on_behalf_of=caller.actor,
            action="digital_identity.unlinked",
            target=f"digital_identity#{subject}",
            at=iso(now),
            request_id=request.request_id,
        )
        try:
            transact(
                [
                    self.flows.delete_link_op(subject, customer_id),
                    self.flows.clear_credential_subject_op(customer_id, subject),
                    self.logs.audit_op(audit, now),
                ]
            )
        except ConditionFailed:
            raise NotFound("No digital identity is linked to this account.") from None
        count("DigitalIdentityUnlinked")
