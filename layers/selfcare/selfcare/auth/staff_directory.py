"""Staff sign in through the operator's identity provider (OpenID Connect): the directory decides who they are.

- The provider authenticates the person; its ID token carries their professional email and a `groups` claim.
  The role is the one that `group_roles` maps their groups to (the five roles of SPEC.md). No mapped group,
  or groups mapping to different roles: refused (403 staff_role_not_granted), and logged as a failure.
- A person removed from the directory cannot authenticate at the provider any more; removed from the group,
  they get no role: either way they cannot sign in again.
- The session lasts as long as its access token (15 minutes) and has no refresh token: staying signed in means
  signing in again, which asks the directory again. The authorizer checks the session on every request, so a
  session ends no later than its access token (README, Staff; docs/decisions.md).
- Staff principal id: `dir-<subject>` (the provider's stable subject); grants and audit entries name it.
DynamoDB calls of the callback: take the state, one transaction (session, connection log).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from selfcare.api.context import RequestInfo
from selfcare.auth.digital_identity import STAFF, IssuedTokens, Started, begin, issue, new_session, redeem
from selfcare.auth.models import LoginStatus, StaffConnection
from selfcare.auth.policy import PrincipalType, StaffRole
from selfcare.auth.tokens import TokenIssuer
from selfcare.clock import Clock, epoch, iso
from selfcare.dal.digital_identity import DigitalIdentityRepository
from selfcare.dal.dynamo import transact
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.errors import InvalidAuthorizationState, NotInDirectory, Unauthenticated
from selfcare.observability import count, logger
from selfcare.ports.oidc import IdentityProvider

_SAFE_SUBJECT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNKNOWN_EMAIL = "unknown"

# The directory's groups and the roles they give (the operator's group names; configurable).
DEFAULT_GROUP_ROLES: dict[str, StaffRole] = {
    "selfcare-sales": StaffRole.SALES,
    "selfcare-production": StaffRole.PRODUCTION,
    "selfcare-infrastructure": StaffRole.INFRASTRUCTURE,
    "selfcare-customer-service-staff": StaffRole.CUSTOMER_SERVICE_STAFF,
    "selfcare-customer-service-advisors": StaffRole.CUSTOMER_SERVICE_ADVISOR,
}


@dataclass(frozen=True)
class StaffDirectoryPolicy:
    state_seconds: int = 600
    # No longer than the access token: the session ends with it (no refresh without asking the directory again).
    session_seconds: int = 900
    group_roles: tuple[tuple[str, StaffRole], ...] = tuple(DEFAULT_GROUP_ROLES.items())


def staff_id_of(subject: str) -> str:
    """The staff principal id of a directory subject (readable when the subject is a plain identifier)."""
    if _SAFE_SUBJECT.match(subject):
        return f"dir-{subject}"
    return "dir-" + hashlib.sha256(subject.encode()).hexdigest()[:32]


def role_of(groups: tuple[str, ...], group_roles: dict[str, StaffRole]) -> StaffRole | None:
    roles = {group_roles[g] for g in groups if g in group_roles}
    return roles.pop() if len(roles) == 1 else None


class StaffDirectoryLogin:
    def __init__(
        self,
        *,
        provider: IdentityProvider,
        flows: DigitalIdentityRepository,
        sessions: SessionsRepository,
        logs: LogsRepository,
        issuer: TokenIssuer,
        clock: Clock,
        policy: StaffDirectoryPolicy,
    ) -> None:
        self.provider = provider
        self.flows = flows
        self.sessions = sessions
        self.logs = logs
        self.issuer = issuer
        self.clock = clock
        self.policy = policy

    def start(self) -> Started:
        return begin(self.provider, self.flows, STAFF, epoch(self.clock.now()), self.policy.state_seconds)

    def complete(self, code: str | None, state: str, request: RequestInfo) -> IssuedTokens:
        now = self.clock.now()
        t = epoch(now)
        try:
            identity = redeem(self.provider, self.flows, STAFF, code, state, t)  # call 1: the state
        except (Unauthenticated, InvalidAuthorizationState):
            transact([self.logs.connection_op(self._connection(UNKNOWN_EMAIL, None, False, now), now)])
            raise
        email = (identity.email or UNKNOWN_EMAIL).lower()
        staff_id = staff_id_of(identity.subject)
        role = role_of(identity.groups, dict(self.policy.group_roles))
        if role is None:
            transact([self.logs.connection_op(self._connection(email, staff_id, False, now), now)])
            logger.info("staff sign-in refused", extra={"staff_id": staff_id, "reason": "no_role"})
            count("StaffDirectoryRefused")
            raise NotInDirectory()
        lifetime = min(self.policy.session_seconds, self.issuer.ttl_seconds)
        session, _ = new_session(PrincipalType.STAFF, staff_id, request, now, lifetime, role=role)
        transact(  # call 2
            [
                self.sessions.put_session_op(session),
                self.logs.connection_op(self._connection(email, staff_id, True, now), now),
            ]
        )
        logger.info("staff sign-in", extra={"staff_id": staff_id, "session_id": session.session_id})
        count("StaffDirectoryLoginSucceeded")
        # No refresh token: the refresh secret is dropped, so the session cannot outlive its access token.
        return issue(self.issuer, session, t, None)

    @staticmethod
    def _connection(email: str, staff_id: str | None, success: bool, now: datetime) -> StaffConnection:
        return StaffConnection(
            professional_email=email,
            at=iso(now),
            status=LoginStatus.SUCCESS if success else LoginStatus.FAILURE,
            staff_id=staff_id,
        )
