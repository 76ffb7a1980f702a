"""Domain entities of authentication: principals' credentials, sessions, grants, log entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from selfcare.auth.policy import PrincipalType, StaffRole


@dataclass(frozen=True)
class Credential:
    """What the auth capability keeps about one principal (customer or staff)."""

    principal_type: PrincipalType
    principal_id: str
    password_hash: str
    password_changed_at: int
    failed_attempts: int = 0
    locked_until: int = 0
    # Customers
    login_id: str | None = None
    email: str | None = None
    phone: str | None = None
    account_number: str | None = None
    digital_identity_id: str | None = None
    # The customer's fixed and mobile line numbers (E.164): login keys too, derived from the record.
    line_numbers: tuple[str, ...] = ()
    # Staff
    professional_email: str | None = None
    role: StaffRole | None = None
    # Retention: set by the hide step (1 month after the end of the contract): the login says the space is closed.
    account_closed: bool = False

    @property
    def principal_key(self) -> str:
        return f"{self.principal_type.value}#{self.principal_id}"


@dataclass(frozen=True)
class Session:
    session_id: str
    principal_type: PrincipalType
    principal_id: str
    created_at: str
    expires_at: int
    auth_time: int
    refresh_digest: str
    used_refresh_digests: frozenset[str] = frozenset()
    revoked: bool = False
    last_used_at: str | None = None
    device: str | None = None
    role: StaffRole | None = None
    password_expired: bool = False
    # Retention: set (with `revoked`) by the hide step, 1 month after the end of the customer's contract.
    account_closed: bool = False

    @property
    def principal_key(self) -> str:
        return f"{self.principal_type.value}#{self.principal_id}"

    def is_live(self, now: int) -> bool:
        return not self.revoked and self.expires_at > now


@dataclass(frozen=True)
class Grant:
    """Assisted access: one staff member, one customer, a reason and an expiry."""

    grant_id: str
    staff_id: str
    role: StaffRole
    customer_id: str
    reason: str
    created_at: str
    expires_at: int
    revoked: bool = False
    # What the role's condition names: "incident:INC-..." (production), "ticket:<id>" (customer-service staff).
    reference: str | None = None
    # Retention: set by the hide step on every grant naming the customer.
    account_closed: bool = False

    def is_live(self, now: int) -> bool:
        return not self.revoked and self.expires_at > now


@dataclass(frozen=True)
class RecoveryToken:
    principal_id: str
    expires_at: int


class LoginStatus(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True)
class CustomerConnection:
    """Connection log entry for a customer login attempt: exactly SPEC.md's fields."""

    login_used: str
    at: str
    customer_id: str | None
    status: LoginStatus
    digital_identity_id: str | None
    account_number: str | None


@dataclass(frozen=True)
class StaffConnection:
    """Connection log entry for a staff login attempt: exactly SPEC.md's fields."""

    professional_email: str
    at: str
    status: LoginStatus
    staff_id: str | None = field(default=None, compare=False)  # partition only, not stored


@dataclass(frozen=True)
class AuditEntry:
    """A state-changing action: who did it, on whose behalf, what, on what, when, which request."""

    actor: str  # "customer#<id>" or "staff#<id>"
    on_behalf_of: str  # the customer concerned ("customer#<id>"), or the actor itself
    action: str
    target: str
    at: str
    request_id: str
    grant_id: str | None = None
    reference: str | None = None  # an assisted-access grant's incident or ticket reference
